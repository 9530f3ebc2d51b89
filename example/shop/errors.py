"""Domain errors shared by every layer of the shop; the API maps them to 404 and 400."""


class NotFound(LookupError):
    """A requested user or order does not exist."""


class ValidationError(ValueError):
    """Input was rejected by a service."""

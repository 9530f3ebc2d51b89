"""Domain errors shared by every layer of the shop."""


class NotFound(LookupError):
    """A requested row does not exist."""


class ValidationError(ValueError):
    """Input was rejected by a service."""

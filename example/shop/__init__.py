"""Shop: a small layered example app (db -> repositories -> services -> api)."""

from shop.services import UserService

__all__ = ["UserService"]

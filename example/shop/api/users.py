"""`/api/users`: sign up and look up users."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, request

from shop.api import user_service
from shop.models import User

bp = Blueprint("users", __name__, url_prefix="/api/users")


def _json(user: User) -> dict[str, Any]:
    return {
        "id": user.id,
        "name": user.name,
        "email": user.email,
        "created": user.created.isoformat(),
    }


@bp.post("")
def create_user() -> tuple[dict[str, Any], int]:
    """Register a user from ``{"name", "email"}``."""
    body = request.get_json()
    user = user_service().register(str(body["name"]), str(body["email"]))
    return _json(user), 201


@bp.get("/<int:user_id>")
def get_user(user_id: int) -> dict[str, Any]:
    """One user."""
    return _json(user_service().get(user_id))

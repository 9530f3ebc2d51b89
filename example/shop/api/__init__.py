"""The JSON API: the services a request uses, and the mapping of domain errors to statuses."""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app

from shop.db import get_db
from shop.errors import NotFound, ValidationError
from shop.mail import Mailer
from shop.repository import OrderRepo, UserRepo
from shop.services import OrderService, UserService


def get_mailer() -> Mailer:
    """The app's mailer (installed by `create_app` from ``MAIL_BACKEND``)."""
    mailer: Mailer = current_app.extensions["shop.mailer"]
    return mailer


def user_service() -> UserService:
    """User rules on the request's database connection."""
    return UserService(UserRepo(get_db()), get_mailer())


def order_service() -> OrderService:
    """Order rules on the request's database connection."""
    db = get_db()
    return OrderService(OrderRepo(db), UserRepo(db))


def not_found(error: NotFound) -> tuple[dict[str, Any], int]:
    """404 with the error's message."""
    return {"error": str(error)}, 404


def invalid(error: ValidationError) -> tuple[dict[str, Any], int]:
    """400 with the error's message."""
    return {"error": str(error)}, 400


def init_app(app: Flask) -> None:
    """Register the error handlers and the blueprints."""
    from shop.api import orders, reports, users

    app.register_error_handler(NotFound, not_found)
    app.register_error_handler(ValidationError, invalid)
    app.register_blueprint(users.bp)
    app.register_blueprint(orders.bp)
    app.register_blueprint(reports.bp)

"""Shop: a Flask app (factory, blueprints, `flask.g`) over SQLite, or SQLAlchemy in `shop.sqla`."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from flask import Flask

from shop import api, db
from shop.mail import MemoryMailer, SmtpMailer


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app: settings, database teardown, mailer, error handlers and blueprints."""
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_mapping(
        SECRET_KEY="dev",
        DATABASE=os.path.join(app.instance_path, "shop.sqlite"),
        MAIL_BACKEND="smtp",
        MAIL_SERVER="localhost",
        MAIL_SENDER="shop@example.com",
    )
    if config is None:
        app.config.from_pyfile("config.py", silent=True)
        os.makedirs(app.instance_path, exist_ok=True)
    else:
        app.config.from_mapping(config)

    db.init_app(app)
    if app.config["MAIL_BACKEND"] == "memory":
        app.extensions["shop.mailer"] = MemoryMailer()
    else:
        app.extensions["shop.mailer"] = SmtpMailer(
            app.config["MAIL_SERVER"], app.config["MAIL_SENDER"]
        )
    api.init_app(app)
    return app


__all__ = ["create_app"]

"""E-mail: the messages the shop sends, and the mailers that deliver them."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from typing import Protocol

from shop.models import User

Email = dict[str, str]


class Mailer(Protocol):
    """Anything that delivers an e-mail given as {to, subject, body}."""

    def send(self, email: Email) -> None:
        """Deliver ``email``."""


def welcome_email(user: User) -> Email:
    """The message a new user gets."""
    return {
        "to": user.email,
        "subject": "Welcome to the shop",
        "body": f"Hello {user.name}, thanks for signing up.",
    }


class SmtpMailer:
    """Sends through an SMTP server (production)."""

    def __init__(self, host: str, sender: str) -> None:
        self.host = host
        self.sender = sender

    def send(self, email: Email) -> None:
        """Deliver ``email`` through the SMTP server."""
        message = EmailMessage()
        message["From"], message["To"] = self.sender, email["to"]
        message["Subject"] = email["subject"]
        message.set_content(email["body"])
        with smtplib.SMTP(self.host) as smtp:
            smtp.send_message(message)


class MemoryMailer:
    """Keeps every e-mail in ``outbox`` instead of sending it (``MAIL_BACKEND = "memory"``)."""

    def __init__(self) -> None:
        self.outbox: list[Email] = []

    def send(self, email: Email) -> None:
        """Append ``email`` to the outbox."""
        self.outbox.append(email)

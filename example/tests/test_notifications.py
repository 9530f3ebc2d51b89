"""Notifications: welcome messages, async sends and the lazy generator."""

import asyncio
import sqlite3

from shop import api
from shop.repository import NotificationRepo


def test_send_welcome_and_list_pending(app: api.Services, alice: int) -> None:
    sent = api.handle(app, "POST /notifications/welcome", {"user_id": alice})
    assert 202 == sent["status"]

    pending = api.handle(app, "GET /notifications", {"user_id": alice})

    assert {"status": 200, "pending": ["Welcome, Alice!"]} == pending


def test_welcome_for_missing_user_is_404(app: api.Services) -> None:
    response = api.handle(app, "POST /notifications/welcome", {"user_id": 7})
    assert {"status": 404, "error": "user 7 not found"} == response


def test_send_async_from_sync_test(app: api.Services, alice: int) -> None:
    notification_id = asyncio.run(app.notifications.send_async(alice, "Your order shipped"))

    pending = app.notifications.pending(alice)

    assert [(notification_id, "message", "Your order shipped", False)] == [
        (n["id"], n["kind"], n["body"], n["sent"]) for n in pending
    ]


def test_iter_notifications_partially(
    app: api.Services, db: sqlite3.Connection, alice: int
) -> None:
    first_id = app.notifications.send_welcome(alice)
    app.notifications.send_welcome(alice)

    gen = NotificationRepo(db).iter_notifications(alice)
    first = next(gen)

    assert (first_id, alice, "Welcome, Alice!") == (first["id"], first["user_id"], first["body"])


def test_iter_notifications_fully_after_delivery(
    app: api.Services, db: sqlite3.Connection, alice: int
) -> None:
    app.notifications.send_welcome(alice)
    asyncio.run(app.notifications.send_async(alice, "Sale starts now"))

    delivered = app.notifications.deliver_all(alice)
    notes = list(NotificationRepo(db).iter_notifications(alice))

    assert 2 == delivered
    assert [("welcome", True), ("message", True)] == [(n["kind"], n["sent"]) for n in notes]
    assert [] == app.notifications.pending(alice)

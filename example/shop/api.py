"""Plain-function API layer: request dicts in, response dicts out."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from shop.errors import NotFound, ValidationError
from shop.models import LineItem, Order, User
from shop.services import NotificationService, OrderService, UserService

Request = dict[str, Any]
Response = dict[str, Any]
Handler = Callable[["Services", Request], Response]

ROUTES: dict[str, Handler] = {}


@dataclass(frozen=True)
class Services:
    """The services an endpoint can use."""

    users: UserService
    orders: OrderService
    notifications: NotificationService


def route(spec: str) -> Callable[[Handler], Handler]:
    """Register the decorated endpoint in ROUTES under ``spec``."""

    def register(fn: Handler) -> Handler:
        ROUTES[spec] = fn
        return fn

    return register


def handle(services: Services, route_spec: str, request: Request) -> Response:
    """Dispatch ``request`` to the endpoint for ``route_spec``; map errors to statuses."""
    endpoint = ROUTES.get(route_spec)
    if endpoint is None:
        return {"status": 404, "error": f"no route {route_spec!r}"}
    try:
        return endpoint(services, request)
    except NotFound as exc:
        return {"status": 404, "error": str(exc)}
    except KeyError as exc:
        return {"status": 400, "error": f"missing field {exc}"}
    except ValidationError as exc:
        return {"status": 400, "error": str(exc)}


def _int_field(request: Request, key: str) -> int:
    value = request[key]
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValidationError(f"{key} must be an integer")
    return value


def _line_item(raw: dict[str, Any]) -> LineItem:
    try:
        qty, price = int(raw.get("qty", 1)), Decimal(str(raw["price"]))
    except (ArithmeticError, TypeError, ValueError):
        raise ValidationError(f"invalid line item {raw!r}") from None
    return LineItem(sku=str(raw["sku"]), qty=qty, unit_price=price)


def _user_json(user: User) -> dict[str, Any]:
    return {
        "id": user.id,
        "name": user.name,
        "email": user.email,
        "created_at": user.created_at.isoformat(),
    }


def _order_json(order: Order) -> dict[str, Any]:
    return {
        "id": order.id,
        "user_id": order.user_id,
        "total": str(order.total),
        "items": list(order.items),
        "status": order.status.value,
        "created_at": order.created_at.isoformat(),
    }


@route("POST /users")
def register_user(services: Services, request: Request) -> Response:
    """Register a user from ``name`` and ``email``."""
    user = services.users.register(str(request["name"]), str(request["email"]))
    return {"status": 201, "user": _user_json(user)}


@route("GET /users")
def get_user(services: Services, request: Request) -> Response:
    """Fetch a user by ``user_id``."""
    user = services.users.get_user(_int_field(request, "user_id"))
    return {"status": 200, "user": _user_json(user)}


@route("POST /orders")
def create_order(services: Services, request: Request) -> Response:
    """Place an order from ``user_id`` and ``items`` ({sku, qty, price})."""
    lines = [_line_item(raw) for raw in request["items"]]
    order = services.orders.create_order(_int_field(request, "user_id"), lines)
    return {"status": 201, "order": _order_json(order)}


@route("GET /orders")
def list_orders(services: Services, request: Request) -> Response:
    """List the orders of ``user_id``."""
    orders = services.orders.orders_for_user(_int_field(request, "user_id"))
    return {"status": 200, "orders": [_order_json(o) for o in orders]}


@route("POST /notifications/welcome")
def send_welcome(services: Services, request: Request) -> Response:
    """Queue a welcome notification for ``user_id``."""
    notification_id = services.notifications.send_welcome(_int_field(request, "user_id"))
    return {"status": 202, "notification_id": notification_id}


@route("GET /notifications")
def pending_notifications(services: Services, request: Request) -> Response:
    """List the bodies of ``user_id``'s pending notifications."""
    pending = services.notifications.pending(_int_field(request, "user_id"))
    return {"status": 200, "pending": [n["body"] for n in pending]}

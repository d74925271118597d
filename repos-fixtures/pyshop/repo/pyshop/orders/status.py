"""Order status machine."""

from ..errors import InvalidTransition

PENDING_PAYMENT = "pending_payment"
PAYMENT_FAILED = "payment_failed"
PAID = "paid"
SHIPPED = "shipped"
DELIVERED = "delivered"
CANCELLED = "cancelled"

STATUSES = (PENDING_PAYMENT, PAYMENT_FAILED, PAID, SHIPPED, DELIVERED, CANCELLED)

TRANSITIONS = {
    PENDING_PAYMENT: {PAID, PAYMENT_FAILED, CANCELLED},
    PAYMENT_FAILED: {PENDING_PAYMENT, PAID, CANCELLED},
    PAID: {SHIPPED, CANCELLED},
    SHIPPED: {DELIVERED},
    DELIVERED: set(),
    CANCELLED: set(),
}

OPEN_STATUSES = (PENDING_PAYMENT, PAYMENT_FAILED, PAID)


def can_transition(current: str, target: str) -> bool:
    return target in TRANSITIONS.get(current, set())


def assert_transition(current: str, target: str) -> None:
    if not can_transition(current, target):
        raise InvalidTransition(current, target)


def is_final(status: str) -> bool:
    return not TRANSITIONS.get(status)

"""Shipments handed to a carrier."""

from dataclasses import dataclass

from ..db.repository import Counter, Repository
from .carriers import get_carrier


@dataclass(kw_only=True)
class Shipment:
    id: int = 0
    order_id: int
    carrier: str
    tracking_number: str
    created_at: float = 0.0
    delivered_at: float | None = None


class ShipmentRepository(Repository):
    table_name = "shipments"
    model = Shipment

    def for_order(self, order_id: int) -> list:
        return self.find(order_id=order_id)


class ShipmentService:
    def __init__(self, db, clock):
        self.repo = ShipmentRepository(db)
        self.counter = Counter(db)
        self.clock = clock

    def create(self, order_id: int, carrier: str) -> Shipment:
        get_carrier(carrier)
        seq = self.counter.next("tracking")
        tracking = f"{carrier[:2].upper()}{seq:09d}"
        return self.repo.add(Shipment(order_id=order_id, carrier=carrier, tracking_number=tracking,
                                      created_at=self.clock.now()))

    def mark_delivered(self, shipment_id: int) -> Shipment:
        return self.repo.update(shipment_id, delivered_at=self.clock.now())

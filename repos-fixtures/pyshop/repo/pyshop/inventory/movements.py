"""Stock movement log (every change of on-hand or reserved stock)."""

from dataclasses import dataclass

from ..db.repository import Repository

KINDS = ("receive", "recount", "reserve", "release", "commit", "adjust")


@dataclass(kw_only=True)
class StockMovement:
    id: int = 0
    sku: str
    kind: str
    quantity: int
    reference: str = ""
    actor: str = "system"
    note: str = ""
    at: float = 0.0


class MovementRepository(Repository):
    table_name = "stock_movements"
    model = StockMovement

    def for_sku(self, sku: str) -> list:
        return self.find(sku=sku)

    def for_reference(self, reference: str) -> list:
        return self.find(reference=reference)

    def kinds_for(self, reference: str) -> list:
        return [m.kind for m in self.for_reference(reference)]

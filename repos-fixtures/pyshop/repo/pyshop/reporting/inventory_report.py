"""Stock report for the warehouse team."""


def stock_report(app) -> list:
    rows = []
    for level in app.inventory.snapshot():
        try:
            variant = app.catalog.variant_by_sku(level["sku"])
            name = variant.name
        except Exception:  # noqa: BLE001 - stock for a deleted SKU
            name = "?"
        status = "ok"
        if level["available"] <= 0:
            status = "out"
        elif level["available"] <= app.settings.low_stock_threshold:
            status = "low"
        rows.append(dict(level, name=name, status=status))
    return rows


def movements_for(app, sku: str) -> list:
    return [
        {"kind": m.kind, "quantity": m.quantity, "reference": m.reference, "actor": m.actor,
         "at": m.at, "note": m.note}
        for m in app.inventory.movements.for_sku(sku)
    ]

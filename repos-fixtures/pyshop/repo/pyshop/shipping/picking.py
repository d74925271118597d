"""Picking lists for the warehouse: every paid, unshipped order's lines,
sorted by bin location so a picker walks each aisle once."""

from ..orders import status as st


def picking_list(app, *, limit: int | None = None) -> dict:
    orders = sorted(app.orders.repo.with_status(st.PAID), key=lambda o: (o.paid_at or 0, o.id))
    if limit is not None:
        orders = orders[:limit]
    picks = {}
    for order in orders:
        for line in app.orders.lines(order.id):
            entry = picks.setdefault(line.sku, {"sku": line.sku, "quantity": 0, "orders": []})
            entry["quantity"] += line.quantity
            entry["orders"].append(order.number)
    rows = sorted(picks.values(), key=lambda p: app.bins.sort_key(p["sku"]))
    for row in rows:
        row["location"] = app.bins.location(row["sku"])
    return {"orders": [o.number for o in orders], "picks": rows}


def packing_slip(app, order_number: str) -> str:
    order = app.orders.by_number(order_number)
    lines = [f"Packing slip {order.number}", ""]
    address = order.address or {}
    lines.append(address.get("name", ""))
    lines.append(address.get("line1", ""))
    if address.get("line2"):
        lines.append(address["line2"])
    city = " ".join(p for p in (address.get("postcode"), address.get("city"), address.get("region")) if p)
    lines.append(city)
    lines.append(address.get("country", ""))
    lines.append("")
    for line in app.orders.lines(order.id):
        lines.append(f"{line.quantity:>3} x {line.sku:<16} {line.name}")
    return "\n".join(lines) + "\n"

"""Customer value report for the marketing team."""

from ..orders import status as st

COUNTED = (st.PAID, st.SHIPPED, st.DELIVERED)


def customer_values(app, *, top: int = 10) -> list:
    totals = {}
    counts = {}
    for order in app.orders.repo.all():
        if order.status not in COUNTED:
            continue
        totals[order.customer_id] = totals.get(order.customer_id, 0) + order.total_cents
        counts[order.customer_id] = counts.get(order.customer_id, 0) + 1
    rows = []
    for customer_id, total in totals.items():
        customer = app.customers.repo.get(customer_id)
        rows.append({
            "customer_id": customer_id,
            "email": customer.email if customer else "?",
            "orders": counts[customer_id],
            "lifetime_cents": total,
            # legacy: marketing's spreadsheet expects dollars as a float
            "average_order": round(total / counts[customer_id] / 100.0, 2),
            "loyalty_points": app.loyalty.balance(customer_id),
        })
    rows.sort(key=lambda r: (-r["lifetime_cents"], r["customer_id"]))
    return rows[:top]


def repeat_rate(app) -> float:
    values = customer_values(app, top=10**9)
    if not values:
        return 0.0
    return round(sum(1 for v in values if v["orders"] > 1) / len(values), 3)

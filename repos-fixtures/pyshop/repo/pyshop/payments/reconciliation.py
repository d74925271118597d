"""Nightly reconciliation of our payment records against the gateway."""


def reconcile(app) -> dict:
    gateway = app.gateway.transactions
    seen = set()
    mismatches = []
    for payment in app.payments.repo.all():
        if payment.transaction_id is None:
            continue
        seen.add(payment.transaction_id)
        txn = gateway.get(payment.transaction_id)
        if txn is None:
            mismatches.append({"transaction_id": payment.transaction_id, "problem": "missing_at_gateway"})
            continue
        if txn["captured"] != payment.amount_cents:
            mismatches.append({"transaction_id": payment.transaction_id, "problem": "amount",
                               "ours": payment.amount_cents, "gateway": txn["captured"]})
        if txn["refunded"] != payment.refunded_cents:
            mismatches.append({"transaction_id": payment.transaction_id, "problem": "refund",
                               "ours": payment.refunded_cents, "gateway": txn["refunded"]})
    orphans = sorted(t for t, txn in gateway.items() if t not in seen and txn["captured"])
    for txn_id in orphans:
        mismatches.append({"transaction_id": txn_id, "problem": "missing_locally"})
    return {"checked": len(seen), "mismatches": mismatches, "ok": not mismatches}

"""The daily delivery report mailed to the on-call channel."""

from __future__ import annotations

from . import metrics
from .message import MessageStatus


def delivery_summary(app) -> dict:
    counts = app.spool.counts()
    total = sum(counts.values())
    final = sum(counts[s.value] for s in MessageStatus if s.final)
    delivered = counts[MessageStatus.DELIVERED.value]
    snap = metrics.snapshot()
    per_domain = {}
    for key, value in snap["counters"].items():
        if key.startswith("delivery.recipient_ok{domain="):
            per_domain[key[len("delivery.recipient_ok{domain="):-1]] = value
    return {
        "total": total,
        "final": final,
        "delivered": delivered,
        "delivery_rate": round(delivered / final, 4) if final else None,
        "by_status": counts,
        "by_domain": dict(sorted(per_domain.items(), key=lambda kv: (-kv[1], kv[0]))),
        "suppressed_addresses": len(app.suppression),
    }


def format_table(rows, headers) -> str:
    widths = [len(h) for h in headers]
    for row in rows:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], len(str(cell)))
    line = "  ".join(h.ljust(widths[i]) for i, h in enumerate(headers))
    out = [line, "  ".join("-" * w for w in widths)]
    for row in rows:
        out.append("  ".join(str(cell).ljust(widths[i]) for i, cell in enumerate(row)))
    return "\n".join(out)


def render_report(app) -> str:
    summary = delivery_summary(app)
    lines = [f"Postroom delivery report ({app.settings.hostname})", ""]
    rate = summary["delivery_rate"]
    lines.append(f"messages: {summary['total']}, final: {summary['final']}, "
                 f"delivered: {summary['delivered']}, rate: "
                 f"{'n/a' if rate is None else f'{rate:.1%}'}")
    lines.append("")
    lines.append(format_table([(k, v) for k, v in summary["by_status"].items() if v],
                              ("status", "messages")))
    if summary["by_domain"]:
        lines.append("")
        lines.append(format_table(list(summary["by_domain"].items()), ("domain", "delivered")))
    lines.append("")
    lines.append(f"suppressed addresses: {summary['suppressed_addresses']}")
    return "\n".join(lines) + "\n"

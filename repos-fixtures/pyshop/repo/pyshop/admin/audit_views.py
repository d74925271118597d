"""Audit trail search for the back office."""

from ..util.dates import iso
from ..util.pagination import paginate


def search_audit(app, *, actor=None, action_prefix=None, subject=None, since=None, page=1, per_page=50) -> dict:
    rows = app.audit.entries(subject=subject)
    if actor is not None:
        rows = [r for r in rows if r["actor"] == actor]
    if action_prefix:
        rows = [r for r in rows if r["action"].startswith(action_prefix)]
    if since is not None:
        rows = [r for r in rows if r["at"] >= since]
    rows = [{"at": iso(r["at"]), "actor": r["actor"], "action": r["action"], "subject": r["subject"],
             "details": r["details"]} for r in reversed(rows)]
    return paginate(rows, page, per_page)


def actions_summary(app) -> dict:
    counts = {}
    for entry in app.audit.entries():
        family = entry["action"].split(".", 1)[0]
        counts[family] = counts.get(family, 0) + 1
    return dict(sorted(counts.items()))

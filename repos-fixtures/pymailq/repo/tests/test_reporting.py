from mailq.reporting import delivery_summary, format_table, render_report

from .conftest import submit


def test_summary_and_report(app, relay):
    relay.script("ghost", [550])
    submit(app, message_id="r1@x")
    submit(app, to=["ghost@example.com"], message_id="r2@x")
    app.process_pending()
    summary = delivery_summary(app)
    assert summary["delivered"] == 1 and summary["final"] == 2
    assert summary["delivery_rate"] == 0.5
    assert summary["by_domain"] == {"example.com": 1}
    text = render_report(app)
    assert "rate: 50.0%" in text
    assert "suppressed addresses: 1" in text


def test_format_table():
    assert format_table([("a", 1)], ("k", "value")) == "k  value\n-  -----\na  1    "


def test_housekeeping_records_gauges(app, clock):
    from mailq import metrics
    submit(app)
    result = app.housekeeper.run_once()
    assert result["counts"]["queued"] == 1
    assert metrics.snapshot()["gauges"]["queue.length"] == 1

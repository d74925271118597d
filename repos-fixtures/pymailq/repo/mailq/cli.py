"""Command line: `python -m mailq.cli send --to a@example.com --subject hi`
delivers one message through the configured relay and prints the outcome."""

from __future__ import annotations

import argparse
import json
import sys

from .api.http import Request
from .app import Application
from .reporting import render_report
from .settings import from_env


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="mailq")
    sub = parser.add_subparsers(dest="command", required=True)
    send = sub.add_parser("send", help="deliver one message now")
    send.add_argument("--to", action="append", required=True)
    send.add_argument("--subject", required=True)
    send.add_argument("--body", default="")
    send.add_argument("--from", dest="sender")
    sub.add_parser("report", help="print an (empty) report, to check the settings")
    args = parser.parse_args(argv)
    try:
        settings = from_env()
    except ValueError as exc:
        print(f"mailq: {exc}", file=sys.stderr)
        return 2
    app = Application(settings)
    if args.command == "report":
        sys.stdout.write(render_report(app))
        return 0
    payload = {"to": args.to, "subject": args.subject, "body": args.body}
    if args.sender:
        payload["from"] = args.sender
    response = app.handle(Request("POST", "/messages", json.dumps(payload).encode()))
    if response.status != 202:
        print(json.dumps(response.body), file=sys.stderr)
        return 1
    app.process_pending()
    print(json.dumps(app.spool.require(response.body["id"]).public(), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Command line entry point for ops tasks.

    python -m pyshop.cli seed
    python -m pyshop.cli import-products products.csv
    python -m pyshop.cli run-jobs
    python -m pyshop.cli report sales 2023-11-14

Each invocation builds a fresh in-memory Application, so the commands are
mostly useful for smoke tests and demos.
"""

import argparse
import json
import sys

from .app import Application
from .catalog.importer import import_products
from .config.settings import Settings
from .reporting.inventory_report import stock_report
from .reporting.sales import daily_sales
from .seed import seed_demo


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="pyshop")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("seed", help="load demo data and print a summary")
    imp = sub.add_parser("import-products", help="import a product CSV")
    imp.add_argument("path")
    sub.add_parser("run-jobs", help="run every periodic job once")
    rep = sub.add_parser("report", help="print a report")
    rep.add_argument("kind", choices=("sales", "stock"))
    rep.add_argument("day", nargs="?")
    sub.add_parser("routes", help="list the HTTP routes")
    return parser


def main(argv=None, *, app=None, out=None, env=None) -> int:
    out = out or sys.stdout
    args = build_parser().parse_args(argv)
    app = app or Application(settings=Settings.from_env(env or {}))
    if args.command == "seed":
        result = seed_demo(app)
    elif args.command == "import-products":
        with open(args.path, encoding="utf-8") as fh:
            result = import_products(app.catalog, fh.read())
    elif args.command == "run-jobs":
        result = {name: app.scheduler.run(name) for name in app.scheduler.jobs()}
    elif args.command == "report":
        if args.kind == "sales":
            from .util.dates import day_of
            result = daily_sales(app, args.day or day_of(app.clock.now()))
        else:
            result = stock_report(app)
    else:
        result = [f"{m} {p}" for m, p in app.router.routes()]
    json.dump(result, out, indent=2, sort_keys=True, default=str)
    out.write("\n")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

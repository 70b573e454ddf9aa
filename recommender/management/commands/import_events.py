"""Import shopper events from an order export: `manage.py import_events --format online-retail PATH`.

The work is done by ``recommender.services.events_import_online_retail``; this command
shows progress on stderr and prints a summary with the first refused lines.
"""

from __future__ import annotations

import csv
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from recommender import online_retail, services

SHOWN_ERRORS = 50


class Command(BaseCommand):
    help = "Import products and purchase events from an Online Retail CSV (or .csv.gz); safe to run again."

    def add_arguments(self, parser):
        parser.add_argument("path", help="the CSV file, optionally gzipped")
        parser.add_argument("--format", choices=["online-retail"], default="online-retail",
                            help="the file's layout (default online-retail: InvoiceNo, StockCode, Description, "
                                 "Quantity, InvoiceDate, UnitPrice, CustomerID)")
        parser.add_argument("--source", default=services.ONLINE_RETAIL_SOURCE,
                            help="the events' source name; a re-import with the same source adds nothing")
        parser.add_argument("--errors", metavar="PATH", help="write every refused line to this CSV file")

    def handle(self, *args, path, format, source, errors, **options):
        stream = getattr(self.stderr, "_out", self.stderr)  # tqdm needs the raw stream
        bars: dict[str, tqdm] = {}

        def progress(stage: str, done: int, total: int) -> None:
            if stage not in bars:
                for bar in bars.values():
                    bar.close()
                unit, scale = ("B", True) if stage == "read" else ("events", False)
                bars[stage] = tqdm(total=total, desc=f"{Path(path).name}: {stage}", unit=unit, unit_scale=scale,
                                   file=stream)
            bars[stage].n = done
            bars[stage].refresh()

        try:
            result = services.events_import_online_retail(path=path, source=source, progress=progress)
        except online_retail.FileRefused as exc:
            raise CommandError(f"{path}: {exc}. Nothing was imported.") from exc
        finally:
            for bar in bars.values():
                bar.close()

        self.stdout.write(self.style.SUCCESS(
            f"{path}: {result.lines} lines in {result.seconds:.1f} s. {result.created} events stored, "
            f"{result.already_there} already there; {result.products_created} products created. "
            f"Skipped: {result.not_goods} postage/fee/adjustment lines, {result.not_purchases} stock write-offs, "
            f"{len(result.errors)} refused."
        ))
        if result.errors:
            shown = result.errors[:SHOWN_ERRORS]
            self.stdout.write(
                f"{len(result.errors)} refused lines"
                + (f", the first {len(shown)}:" if len(shown) < len(result.errors) else ":")
            )
            for error in shown:
                self.stdout.write(self.style.ERROR(f"  line {error.line}: {error.reason}"))
        if errors:
            with Path(errors).open("w", newline="", encoding="utf-8") as out:
                writer = csv.writer(out)
                writer.writerow(["line", "reason"])
                writer.writerows(result.errors)
            self.stdout.write(f"All {len(result.errors)} refused lines written to {errors}.")
        if result.events_in_file == 0:
            raise CommandError(f"{path}: no purchase lines found")

"""Import or update products from a CSV or JSON file: `manage.py import_products PATH`.

The work is done by ``content.importers.product_bulk_import``; this command shows a progress
bar on stderr, prints a summary and the first errors, and can write every error to a CSV file.
"""

from __future__ import annotations

import csv
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from content import importers

SHOWN_ERRORS = 50


class ImportCommand(BaseCommand):
    """Shared by import_products and import_reviews; subclasses name the importer and the noun."""

    noun = "rows"

    def importer(self, **kwargs) -> importers.ImportResult:
        raise NotImplementedError

    def add_arguments(self, parser):
        parser.add_argument("path", help="a .csv, .json or .jsonl file, optionally gzipped (.csv.gz ...)")
        parser.add_argument("--format", choices=["csv", "json"], help="default: guessed from the file name")
        parser.add_argument("--batch-size", type=int, default=importers.DEFAULT_BATCH_SIZE,
                            help=f"rows per database write (default {importers.DEFAULT_BATCH_SIZE})")
        parser.add_argument("--dry-run", action="store_true", help="validate and report; write nothing")
        parser.add_argument("--errors", metavar="PATH", help="write every error to this CSV file")

    def handle(self, *args, path, format, batch_size, dry_run, errors, **options):
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1")
        # tqdm needs the raw stream: Django's wrapper would add a newline to every redraw.
        name = Path(path).name
        bar = tqdm(total=0, desc=name, file=getattr(self.stderr, "_out", self.stderr),
                   bar_format="{desc}: {percentage:3.0f}%|{bar}| [{elapsed}<{remaining}]")

        def progress(done: int, total: int, rows: int) -> None:
            bar.total = total
            bar.n = min(done, total)
            bar.set_description_str(f"{name} ({rows} rows)", refresh=False)
            bar.refresh()

        try:
            result = self.importer(path=path, format=format, batch_size=batch_size, dry_run=dry_run, progress=progress)
        except importers.ImportRefused as exc:
            raise CommandError(f"{path}: {exc}. Nothing was imported.") from exc
        finally:
            bar.close()

        self.report(path, result)
        if errors:
            self.write_errors(Path(errors), result)
        if result.imported == 0:
            raise CommandError(f"{path}: no {self.noun} " + ("imported" if result.skipped else "found"))

    def report(self, path: str, result: importers.ImportResult) -> None:
        if result.dry_run:
            summary = (f"Dry run, nothing written. {path}: {result.created} to create, {result.updated} to update, "
                       f"{result.skipped} skipped.")
        else:
            summary = f"{path}: {result.created} created, {result.updated} updated, {result.skipped} skipped."
        self.stdout.write(self.style.SUCCESS(summary) if result.imported else summary)
        for warning in result.warnings:
            self.stdout.write(self.style.WARNING(f"Warning: {warning}"))
        if result.errors:
            shown = result.errors[:SHOWN_ERRORS]
            heading = f"{len(result.errors)} error{'s' if len(result.errors) != 1 else ''}"
            if len(shown) < len(result.errors):
                heading += f", the first {len(shown)}"
            self.stdout.write(heading + ":")
            for error in shown:
                self.stdout.write(self.style.ERROR(f"  {result.unit} {error.line}: {error.reason}"))
            if len(shown) < len(result.errors):
                self.stdout.write(f"  ... and {len(result.errors) - len(shown)} more (--errors PATH writes them all)")

    def write_errors(self, path: Path, result: importers.ImportResult) -> None:
        try:
            with path.open("w", newline="", encoding="utf-8") as out:
                writer = csv.writer(out)
                writer.writerow([result.unit, "reason"])
                writer.writerows(result.errors)
        except OSError as exc:
            raise CommandError(f"cannot write the error report {path}: {exc.strerror or exc}") from exc
        self.stdout.write(f"All {len(result.errors)} errors written to {path}.")


class Command(ImportCommand):
    help = "Create or update products by SKU from a CSV or JSON file (columns: docs/import-formats.md)."
    noun = "products"

    def importer(self, **kwargs) -> importers.ImportResult:
        return importers.product_bulk_import(**kwargs)

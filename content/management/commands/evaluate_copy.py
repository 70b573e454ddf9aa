"""Measure the copy the worker writes: generate drafts for products from a file and score them.

    python manage.py evaluate_copy --products PATH --format amazon2020|csv --kind description
        [--limit N] [--seed S] [--adapter none] [--strategy free] [--template default|active|N]
        [--batch-size N] [--json] [--out FILE]

See docs/copy-quality.md. Nothing is written to the database.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError
from tqdm import tqdm

from content import generation, prompts
from content.evaluation import harness, sources
from content.models import BannedPhrase, CopyKind, PromptTemplate
from ecomcms.conf import conf
from ecomcms.shared_data import shared_data_path

KINDS = [kind for kind in CopyKind.values if kind != CopyKind.REVIEW_SUMMARY]


class Command(BaseCommand):
    help = ("Generate drafts in-process (the worker's code path) for products read from a file, and report "
            "unsupported claims, checks, length, overlap with the people's copy and speed.")

    def add_arguments(self, parser):
        parser.add_argument("--products", help="The file of products with their facts and the people's copy "
                                               "(amazon2020: default content/amazon_2020/products_dev.csv in the "
                                               "shared data).")
        parser.add_argument("--format", choices=sorted(sources.READERS),
                            help="amazon2020: the shared Amazon 2020 listings; csv: the product import format plus "
                                 "a 'reference' column (docs/copy-quality.md).")
        parser.add_argument("--kind", choices=KINDS)
        parser.add_argument("--limit", type=int, help="A random sample of this many products (fixed by --seed).")
        parser.add_argument("--seed", type=int, default=0, help="Seed of the --limit sample (default 0).")
        parser.add_argument("--shard", metavar="I/N", help="Only the I-th of N equal consecutive parts of the "
                                                            "(sampled) products (I-J/N: parts I to J), to spread one "
                                                            "run over processes; join their partial files and "
                                                            "--rescore them.")
        parser.add_argument("--adapter", default="none",
                            help="none (the base model), active, or the VERSION of a content.copy adapter "
                                 "(Runtime > Adapters).")
        parser.add_argument("--strategy", help=f"Generation strategy (default: the template's, else "
                                               f"{generation.DEFAULT_STRATEGY!r}).")
        parser.add_argument("--template", default="default",
                            help="'default': the built-in template of the kind (what a new shop starts with); "
                                 "'active': the shop's active template; a number: that version.")
        parser.add_argument("--batch-size", type=int, help="Prompts per model call (default: the worker's, "
                                                           "ECOMCMS_GENERATION_BATCH_SIZE).")
        parser.add_argument("--json", action="store_true", help="Print one JSON object: metrics and items.")
        parser.add_argument("--out", help="Write the report (JSON with --json, else the table) to this file.")
        parser.add_argument("--rescore", metavar="REPORT",
                            help="Score the texts of a saved --json report (or of the OUT.partial.jsonl of a run "
                                 "stopped half-way) again with today's claim extractor and metrics, without "
                                 "generating (checks and provenance stay as they were).")

    @staticmethod
    def _adapter(value: str) -> tuple[str, str]:
        from ecomcms.finetune import selectors as finetune_selectors
        from ecomcms.models import Adapter

        if value == "none":
            return "none", ""
        if value == "active":
            adapter = finetune_selectors.adapter_active(generation.COPY_PURPOSE)
            return (str(adapter), adapter.path) if adapter else ("none", "")
        if not value.isdigit():
            raise CommandError(f"--adapter {value!r}: none, active, or a version number")
        adapter = Adapter.objects.filter(purpose=generation.COPY_PURPOSE, version=int(value)).first()
        if adapter is None or not adapter.path:
            raise CommandError(f"--adapter {value}: no trained {generation.COPY_PURPOSE} adapter has this version")
        return str(adapter), adapter.path

    def handle(self, *args, **options):
        if options["rescore"]:
            self._output(self._rescore(options["rescore"]), options)
            return
        if not options["format"] or not options["kind"]:
            raise CommandError("--format and --kind are required (unless --rescore)")
        adapter_label, adapter_path = self._adapter(options["adapter"])
        if options["limit"] is not None and options["limit"] < 1:
            raise CommandError("--limit must be at least 1")
        batch_size = options["batch_size"] or conf.ECOMCMS_GENERATION_BATCH_SIZE
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1")
        if not options["products"]:
            if options["format"] != "amazon2020":
                raise CommandError("--products is required with --format csv")
            options["products"] = shared_data_path("content", "amazon_2020", "products_dev.csv")
        kind = options["kind"]
        template, label = self._template(kind, options["template"])
        strategy = options["strategy"] or generation.strategy_for(template)
        if strategy not in generation.STRATEGIES:
            raise CommandError(f"--strategy {strategy!r}: unknown (known: {', '.join(sorted(generation.STRATEGIES))})")
        try:
            products = sources.products_read(options["products"], options["format"], limit=options["limit"],
                                             seed=options["seed"])
        except sources.SourceError as exc:
            raise CommandError(str(exc)) from exc
        if options["shard"]:
            products = self._shard(products, options["shard"])
        if not products:
            raise CommandError(f"{options['products']}: no products to evaluate")
        run = harness.Settings(kind=kind, template=template, template_label=label, strategy=strategy,
                               adapter=adapter_label, adapter_path=adapter_path, batch_size=batch_size,
                               banned=self._banned())
        source = {"products": str(options["products"]), "format": options["format"], "limit": options["limit"],
                  "seed": options["seed"]}
        partial = self._partial(options["out"], source | harness.settings_header(run))
        with tqdm(total=len(products), unit="draft", file=sys.stderr, dynamic_ncols=True) as bar:
            try:
                report = harness.copy_evaluate(products, run, progress=bar.update, on_items=partial)
            except harness.EvaluationError as exc:
                raise CommandError(str(exc)) from exc
        report["metrics"] = source | {
            "generated_at": datetime.now(UTC).isoformat(timespec="seconds")} | report["metrics"]
        self._output(report, options)

    def _output(self, report: dict, options: dict) -> None:
        text = (
            json.dumps(report, indent=1, ensure_ascii=False, default=str) if options["json"] else render_table(report)
        )
        if options["out"]:
            path = Path(options["out"])
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text + "\n", encoding="utf-8")
            self.stdout.write(render_totals(report["metrics"]))
            self.stdout.write(f"report written to {path}")
        else:
            self.stdout.write(text)

    def _shard(self, products: list, shard: str) -> list:
        try:
            parts, count = shard.split("/")
            first, _, last = parts.partition("-")
            first, last, count = int(first), int(last or first), int(count)
        except ValueError:
            raise CommandError("--shard must be I/N or I-J/N, e.g. 2/3") from None
        if not 1 <= first <= last <= count:
            raise CommandError("--shard I/N needs 1 <= I <= N (I-J/N: I <= J)")
        size = -(-len(products) // count)
        return products[(first - 1) * size:last * size]

    def _partial(self, out: str | None, header: dict):
        """With --out, each batch's items are appended to OUT.partial.jsonl as they are scored, so a run
        stopped half-way can still be scored (--rescore OUT.partial.jsonl)."""
        if not out:
            return None
        path = Path(f"{out}.partial.jsonl")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"metrics": header}, default=str) + "\n", encoding="utf-8")

        def append(items: list[dict]) -> None:
            with path.open("a", encoding="utf-8") as handle:
                handle.writelines(json.dumps(item, ensure_ascii=False, default=str) + "\n" for item in items)

        return append

    def _rescore(self, path: str) -> dict:
        try:
            text = Path(path).read_text(encoding="utf-8")
            if path.endswith(".jsonl"):
                lines = [json.loads(line) for line in text.splitlines() if line.strip()]
                report = {"metrics": lines[0]["metrics"], "items": lines[1:]}
            else:
                report = json.loads(text)
            return harness.report_rescore(report)
        except OSError as exc:
            raise CommandError(f"--rescore: cannot read {path}: {exc.strerror or exc}") from exc
        except (ValueError, KeyError, TypeError) as exc:
            raise CommandError(f"--rescore: {path} is not a report of evaluate_copy --json ({exc})") from exc

    def _template(self, kind: str, choice: str):
        """An unsaved built-in template, or one read from the database (read only)."""
        if choice == "default":
            default = prompts.DEFAULT_TEMPLATES[kind]
            template = PromptTemplate(kind=kind, version=0, system=default["system"], user=default["user"],
                                      options=default["options"], max_chars=default["max_chars"],
                                      strategy=default.get("strategy") or generation.DEFAULT_STRATEGY)
            return template, f"{kind} built-in default"
        try:
            if choice == "active":
                template = PromptTemplate.objects.filter(kind=kind, is_active=True).first()
                if template is None:
                    return self._template(kind, "default")
            elif choice.isdigit():
                template = PromptTemplate.objects.filter(kind=kind, version=int(choice)).first()
                if template is None:
                    raise CommandError(f"--template {choice}: no {kind} template has version {choice}")
            else:
                raise CommandError("--template must be 'default', 'active' or a version number")
        except DatabaseError as exc:
            raise CommandError(f"--template {choice}: the database cannot be read ({exc})") from exc
        return template, f"{kind} v{template.version}"

    def _banned(self) -> tuple[str, ...]:
        """The shop's active banned phrases, when there is a database to read them from."""
        try:
            return tuple(BannedPhrase.objects.filter(is_active=True).values_list("phrase", flat=True))
        except DatabaseError:
            return ()


def _number(value, digits: int = 2) -> str:
    if value is None:
        return "-"
    return f"{value:.{digits}f}" if isinstance(value, float) else str(value)


def _with_ci(figure: dict, digits: int = 2, scale: float = 1.0) -> str:
    if figure["value"] is None:
        return "-"
    text = f"{figure['value'] * scale:.{digits}f}"
    if figure.get("ci95"):
        low, high = figure["ci95"]
        text += f"  [{low * scale:.{digits}f}, {high * scale:.{digits}f}]"
    return text


def render_totals(m: dict) -> str:
    percent = lambda v: "-" if v is None else f"{v * 100:.1f}%"  # noqa: E731
    rows = [
        ("drafts", f"{m['drafts']} ({m['kind']}, strategy {m['strategy']}, adapter {m['adapter']})"),
        ("model / template", f"{m['model_id']} / {m['template']}"),
        ("unsupported claims per draft", _with_ci(m["unsupported_claims_per_draft"])),
        ("unsupported claims by type", ", ".join(f"{k} {v}" for k, v in m["unsupported_by_type"].items()) or "none"),
        ("drafts with unsupported claims", f"{m['drafts_with_unsupported_claims']} of {m['drafts']}"),
        ("share of them the checks flag", _with_ci(m["flagged_share"], 1, 100) + " %"
         + f"  ({m['flagged_claims']} of {m['unsupported_claims']})"),
        ("checks all passed", percent(m["checks_passed_share"])),
        ("within length / complete", f"{percent(m['length_ok_share'])} / {percent(m['complete_share'])}"),
        ("empty / repeated / banned", f"{percent(m['empty_share'])} / {percent(m['repeated_share'])} / "
                                      f"{percent(m['banned_share'])}"),
        ("publishable", _with_ci(m["publishable_share"], 1, 100) + f" %  ({m['publishable']} of {m['drafts']})"),
        ("chrF (mean of drafts)", _with_ci(m["chrf"], 1) + f"  corpus {_number(m['chrf_corpus'], 1)}"),
        ("ROUGE-L F", _with_ci(m["rouge_l"], 1)),
        ("distinct-2", _number(m["distinct_2"], 3)),
        ("tokens in / out", f"{m['tokens_in']} / {m['tokens_out']}"),
        ("seconds per draft", _number(m["seconds_per_draft"], 2)),
        ("tokens per second", _number(m["tokens_per_second"], 1)),
        ("wall seconds (load)", f"{_number(m['wall_seconds'], 1)} ({_number(m['model_load_seconds'], 1)})"),
    ]
    width = max(len(name) for name, _ in rows)
    return "\n".join(f"{name.ljust(width)}  {value}" for name, value in rows)


def render_table(report: dict) -> str:
    """One line per product, then the totals."""
    lines = [
        f"{'id':<10} {'claims':>6} {'flagged':>7} {'checks':>6} {'len':>4} {'end':>3} {'pub':>3} {'chrF':>5}  name"
    ]
    for item in report["items"]:
        lines.append(
            f"{item['id'][:10]:<10} {len(item['claims']):>6} {sum(c['flagged'] for c in item['claims']):>7} "
            f"{'ok' if item['checks_passed'] else 'fail':>6} {'ok' if item['length_ok'] else 'no':>4} "
            f"{'ok' if item['complete'] else 'no':>3} {'yes' if item['publishable'] else 'no':>3} "
            f"{_number(item['chrf'], 1):>5}  {item['name'][:60]}"
        )
    return "\n".join(lines) + "\n\n" + render_totals(report["metrics"])

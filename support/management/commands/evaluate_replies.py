"""Compare the reply strategies on the held-out Bitext split in one run (docs/support.md, "Reply strategies")."""

from __future__ import annotations

import json

from django.conf import settings as django_settings
from django.core.management.base import BaseCommand, CommandError

from ecomcms.shared_data import shared_data_path
from support import replies, reply_evaluation
from support.conf import conf


class Command(BaseCommand):
    help = ("Write a reply with each strategy (model, nearest resolved ticket, canned response, combined) for the "
            "held-out Bitext messages and report chrF against the reference reply, the share flagged by the "
            "product's checks and the share citing the right article, with 95% intervals, per strategy and per "
            "intent, and the serving choice the numbers imply. Writes nothing unless --apply.")

    def add_arguments(self, parser):
        parser.add_argument("--dataset", default=str(shared_data_path("support", "bitext")),
                            help="The Bitext CSV or its folder.")
        parser.add_argument("--strategies", default=",".join(replies.EVALUATED),
                            help="Some of model, model+grounded, nearest, canned, combined, combined+grounded "
                                 "(+grounded: the model's reply decoded without gaps, unknown links or chatbot lines).")
        parser.add_argument("--held-out", type=float, default=0.2, dest="holdout",
                            help="Share of rows held out (the split support.reply trains on the rest of).")
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--per-intent", type=int, help="Evaluate the first N held-out rows of each intent.")
        parser.add_argument("--limit", type=int, help="Evaluate at most N held-out rows.")
        parser.add_argument("--shard", help="K/N: evaluate only every N-th message of the sample, from the K-th "
                                            "(0-based), to share a long run among processes; --merge joins them.")
        parser.add_argument("--merge", nargs="+", metavar="JSON",
                            help="Join the --out files of shards (their --items) into one report; runs nothing.")
        parser.add_argument("--adapter", default="none",
                            help="none (the base model), active (support.reply's active adapter) or a version number; "
                                 "several, comma-separated (none,2), compare them in one run with the gate's verdict.")
        parser.add_argument("--out", help="Also write the JSON report here, after each adapter's run.")
        parser.add_argument("--knowledge", choices=["demo", "db"], default="demo",
                            help="The demo knowledge base (reproducible) or this shop's published articles.")
        parser.add_argument("--batch-size", type=int, default=conf.ECOMCMS_GENERATION_BATCH_SIZE)
        parser.add_argument("--items", action="store_true", help="Keep every reply in the JSON report.")
        parser.add_argument("--apply", action="store_true",
                            help="Store the measured choice: the default strategy and the intents that differ.")
        parser.add_argument("--json", action="store_true")

    def handle(self, *args, **o):
        strategies = tuple(s.strip() for s in o["strategies"].split(",") if s.strip())
        unknown = set(strategies) - set(replies.EVALUATED)
        if unknown or not strategies:
            raise CommandError(f"--strategies takes some of {', '.join(replies.EVALUATED)}")
        if not 0.05 <= o["holdout"] <= 0.5:
            raise CommandError("--held-out must be between 0.05 and 0.5")
        try:
            pairs = reply_evaluation.pairs_read(o["dataset"])
        except (OSError, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        if o["merge"]:
            result = reply_evaluation.reports_merge([_read(path) for path in o["merge"]])
            if o["out"]:
                _write(o["out"], result)
            self.stdout.write(json.dumps(result, indent=2) if o["json"] else table(result))
            return
        train, held = reply_evaluation.split(pairs, seed=o["seed"], share=o["holdout"])
        held = reply_evaluation.held_out_sample(held, per_intent=o["per_intent"], limit=o["limit"])
        if o["shard"]:
            try:
                k, n = (int(x) for x in o["shard"].split("/"))
                assert 0 <= k < n
            except (ValueError, AssertionError) as exc:
                raise CommandError("--shard takes K/N with 0 <= K < N") from exc
            held = held[k::n]
        runs = {}
        for value in [v.strip() for v in o["adapter"].split(",") if v.strip()]:
            adapter_label, adapter_path = _adapter(value)
            settings = reply_evaluation.Settings(
                strategies=strategies, adapter=adapter_label, adapter_path=adapter_path, batch_size=o["batch_size"],
                max_new_tokens=conf.SUPPORT_REPLY_MAX_NEW_TOKENS, details=shop_details(),
                shop_texts=(django_settings.DEFAULT_FROM_EMAIL, *conf.SUPPORT_REDACTION_KEEP))
            articles = reply_evaluation.knowledge_db() if o["knowledge"] == "db" else None
            def partial(report, label=adapter_label):  # a long run leaves what it measured so far
                if o["out"]:
                    _write(o["out"], {**runs, label: report} if len(runs) else report)

            report = reply_evaluation.replies_evaluate(held, train, settings, articles, keep_items=o["items"],
                                                       on_progress=partial)
            report["settings"] |= {"dataset": o["dataset"], "seed": o["seed"], "held_out_share": o["holdout"],
                                   "knowledge": o["knowledge"]}
            runs[adapter_label] = report
            if o["out"]:  # after each run, so a long comparison leaves what it measured
                _write(o["out"], runs if len(runs) > 1 else report)
        first = next(iter(runs.values()))
        if o["apply"]:
            from support.services import reply_strategies_apply

            first["applied"] = reply_strategies_apply(choice=first["choice"], evaluation=_brief(first), actor=None)
        if len(runs) > 1:
            from support.finetuning import reply_gate

            passed, reasons = reply_gate(first, list(runs.values())[-1])
            result = {"runs": runs, "gate": {"passed": passed, "reasons": reasons}}
        else:
            result = first
        if o["out"]:
            _write(o["out"], runs if len(runs) > 1 else result)
        if o["json"]:
            self.stdout.write(json.dumps(result, indent=2))
            return
        self.stdout.write("\n\n".join(table(report) for report in runs.values()))
        if len(runs) > 1:
            self.stdout.write(("gate passed: " if passed else "gate refused: ") + "; ".join(reasons))


def _read(path: str) -> dict:
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def _write(path: str, data: dict) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(data, handle, indent=2)


def shop_details() -> replies.Details:
    from support.services.strategies import shop_details as details

    return details()


def _adapter(value: str) -> tuple[str, str]:
    from ecomcms.finetune.selectors import adapter_active_path
    from ecomcms.models import Adapter
    from support.finetuning import REPLY_PURPOSE

    if value == "none":
        return "none", ""
    if value == "active":
        path = adapter_active_path(REPLY_PURPOSE)
        return (path.rsplit("/", 1)[-1] if path else "none"), path
    adapter = Adapter.objects.filter(purpose=REPLY_PURPOSE, version=value if value.isdigit() else -1).first()
    if adapter is None or not adapter.path:
        raise CommandError(f"no trained {REPLY_PURPOSE} adapter version {value!r}")
    return f"{REPLY_PURPOSE}-v{adapter.version}", adapter.path


def _brief(report: dict) -> dict:
    return {"settings": report["settings"], "strategies": {
        name: {"chrf": (s["chrf"] or {}).get("value"), "flagged_share": (s["flagged_share"] or {}).get("value"),
               "right_article_share": (s["right_article_share"] or {}).get("value")}
        for name, s in report["strategies"].items()}}


def _fmt(value: dict | None, percent: bool = False) -> str:
    if not value:
        return "-"
    if percent:
        return f"{100 * value['value']:.0f}% [{100 * value['low']:.0f}, {100 * value['high']:.0f}]"
    return f"{value['value']:.1f} [{value['low']:.1f}, {value['high']:.1f}]"


def table(report: dict) -> str:
    s = report["settings"]
    lines = [f"{s['held_out']} held-out Bitext messages, adapter {s['adapter']}, {report['seconds']:.0f} s",
             "| strategy | chrF | flagged | cannot be sent | right article | main flags |",
             "| --- | --- | --- | --- | --- | --- |"]
    for name, row in report["strategies"].items():
        flags = ", ".join(f"{code} {n}" for code, n in list(row["flags"].items())[:4])
        lines.append(f"| {name} | {_fmt(row['chrf'])} | {_fmt(row['flagged_share'], True)} | "
                     f"{_fmt(row.get('blocked_share'), True)} | {_fmt(row['right_article_share'], True)} | {flags} |")
    winners = {}
    for rows in report["per_intent"].values():
        best = replies.best_strategy({n: {"chrf": (r["chrf"] or {}).get("value"),
                                          "flagged_share": (r["flagged_share"] or {}).get("value")}
                                      for n, r in rows.items()})
        winners[best] = winners.get(best, 0) + 1
    lines.append("best per intent (same rule, each intent's own messages): "
                 + ", ".join(f"{name} {n}" for name, n in sorted(winners.items(), key=lambda kv: -kv[1])))
    choice = report["choice"]
    lines.append(f"serve: {choice['default']}" + "".join(f"; {i}: {c}" for i, c in choice["per_intent"].items()))
    return "\n".join(lines)

"""What editors did with the AI drafts: per template version, model, adapter, kind and category."""

from __future__ import annotations

import json
from datetime import datetime, time

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.dateparse import parse_date

from content import analytics, arms
from content.models import CopyKind


def _day(value: str | None, name: str) -> datetime | None:
    if not value:
        return None
    day = parse_date(value)
    if day is None:
        raise CommandError(f"{name}: expected a date like 2026-11-30, got {value!r}")
    return timezone.make_aware(datetime.combine(day, time.min))


class Command(BaseCommand):
    help = ("Editor decisions on AI drafts (approved as written / after edits, changes requested, rejected, failed "
            "checks, time to decision) per kind x template x model x adapter x category, with weekly trends; "
            "--compare A B compares two arms of --kind (template versions, adapters, models) with 95% intervals.")

    def add_arguments(self, parser):
        parser.add_argument("--since", help="Drafts generated on or after this date (YYYY-MM-DD).")
        parser.add_argument("--until", help="Drafts generated before this date (YYYY-MM-DD).")
        parser.add_argument("--kind", choices=CopyKind.values)
        parser.add_argument("--compare", nargs=2, metavar=("A", "B"),
                            help="Compare arm B against arm A of --kind: two template versions (3 4), the base model "
                                 "and an adapter (adapter:none adapter:2), two adapters, or two models (model:ID).")
        parser.add_argument("--job", type=int, help="With --compare: only the drafts of this (split) job.")
        parser.add_argument("--json", action="store_true", help="Print one JSON object.")

    def handle(self, *args, since, until, kind, compare, job, json: bool, **options):
        since_at, until_at = _day(since, "--since"), _day(until, "--until")
        if compare:
            if not kind:
                raise CommandError("--compare needs --kind")
            try:
                a, b = arms.arms_parse(compare, kind=kind)
            except arms.ArmError as exc:
                raise CommandError(f"--compare: {exc}") from exc
            result = analytics.compare_arms(arm_a=a, arm_b=b, kind=kind, since=since_at, job_id=job)
            self.stdout.write(_json(result) if json else _comparison_text(result))
            return
        result = analytics.report(since=since_at, until=until_at, kind=kind)
        self.stdout.write(_json(result) if json else _report_text(result))


def _json(value) -> str:
    return json.dumps(value, indent=2, default=str)


def _rate(value: dict) -> str:
    return f"{value['estimate']:.0%} [{value['low']:.0%}-{value['high']:.0%}]"


def _report_text(result: dict) -> str:
    totals = result["totals"]
    lines = [f"{totals['generated']} drafts generated, {totals['decided']} decided; approved as written "
             f"{_rate(totals['approved_as_written_rate'])}, approved {_rate(totals['approved_rate'])}", ""]
    header = ("kind", "template", "model", "adapter", "category", "gen", "as written", "edited", "changes", "rejected",
              "pending", "edit dist", "hours")
    rows = [header]
    for g in result["groups"]:
        rows.append((g["kind"], g["template"], g["model"][-28:], g["adapter"], g["category"][:20], g["generated"],
                     g["approved_as_written"], g["approved_after_edits"], g["changes_requested"], g["rejected"],
                     g["pending"], _num(g["median_edit_distance"]), _num(g["median_hours_to_decision"])))
    widths = [max(len(str(row[i])) for row in rows) for i in range(len(header))]
    lines += ["  ".join(str(v).ljust(w) for v, w in zip(row, widths)) for row in rows]
    if totals["failed_checks"]:
        lines += ["", "failed checks: " + ", ".join(f"{k} {v}" for k, v in totals["failed_checks"].items())]
    if totals["rejected_by_reason"]:
        lines += ["rejected because: " + "; ".join(f"{k} ({v})" for k, v in totals["rejected_by_reason"].items())]
    return "\n".join(lines)


def _num(value) -> str:
    return "-" if value is None else f"{value:.2f}"


def _comparison_text(result: dict) -> str:
    lines = []
    for arm in ("a", "b"):
        r = result[arm]
        lines.append(f"{arm.upper()} {r['arm']}: {r['decided']} decided, approved as written "
                     f"{_rate(r['approved_as_written_rate'])}, approved {_rate(r['approved_rate'])}")
    d = result["difference_b_minus_a"]["approved_as_written_rate"]
    lines.append(f"B - A approved as written: {d['estimate']:+.1%} [{d['low']:+.1%}, {d['high']:+.1%}]")
    lines.append(result["verdict"])
    return "\n".join(lines)

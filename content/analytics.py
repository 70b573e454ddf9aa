"""Editor-decision analytics: what editors did with the drafts of each template version and model.

Reads only (selectors for the report page, ``manage.py content_report`` and comparisons). A draft's
*decision* is the first approve / publish / request changes / reject after it was generated:

- approved as written: approved with no editor text, or an editor text equal to the AI text;
- approved after edits: approved with a different editor text; the normalized word edit distance
  (Levenshtein over words / the longer text's word count) says how much was rewritten;
- changes requested, rejected (with the editor's reason), or pending (no decision yet).

Rows are grouped by kind x template version x model x adapter x category over a period
(``generated_at``); weekly trends count by the ISO week the draft was generated in. Comparing two
arms (two template versions, two adapters or the base model and an adapter, two models:
``content.arms``) gives each arm's rates with Wilson 95% intervals and the difference with
Newcombe's interval, so an editor sees whether a difference is more than noise.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from content import arms
from content.arms import Arm
from content.models import Draft, DraftEvent, DraftStatus
from ecomcms import stats

DECISIONS = (DraftStatus.APPROVED, DraftStatus.PUBLISHED, DraftStatus.CHANGES_REQUESTED, DraftStatus.REJECTED)
OUTCOMES = ("approved_as_written", "approved_after_edits", "changes_requested", "rejected", "pending")
DIMENSIONS = ("kind", "template", "model", "adapter", "category")


def edit_distance(before: str, after: str) -> float:
    """Levenshtein distance over words, divided by the longer text's word count (0: same, 1: all rewritten)."""
    a, b = before.split(), after.split()
    if not a and not b:
        return 0.0
    previous = list(range(len(b) + 1))
    for i, word in enumerate(a, 1):
        current = [i]
        for j, other in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (word != other)))
        previous = current
    return previous[-1] / max(len(a), len(b))


@dataclass(frozen=True)
class Decision:
    """One generated draft and what became of it."""

    draft_id: int
    kind: str
    template_id: int
    template: str  # "description v3"
    model: str
    adapter: str
    category: str
    generated_at: datetime
    outcome: str
    reason: str = ""
    distance: float | None = None  # approved drafts only: 0.0 when approved as written
    hours: float | None = None  # generation to decision
    failed_checks: tuple[str, ...] = ()

    template_version: int | None = None

    def key(self, dimensions=DIMENSIONS) -> tuple:
        return tuple(getattr(self, name) for name in dimensions)

    def in_arm(self, arm: Arm) -> bool:
        return arm.holds(template_version=self.template_version, adapter=self.adapter, model=self.model)


def decisions(*, since: datetime | None = None, until: datetime | None = None, kind: str | None = None,
              job_id: int | None = None, template_ids=None) -> list[Decision]:
    """Every draft generated in the period, with its first decision (two queries)."""
    drafts = Draft.objects.filter(generated_at__isnull=False)
    if since:
        drafts = drafts.filter(generated_at__gte=since)
    if until:
        drafts = drafts.filter(generated_at__lt=until)
    if kind:
        drafts = drafts.filter(kind=kind)
    if job_id:
        drafts = drafts.filter(job_id=job_id)
    if template_ids:
        drafts = drafts.filter(template_id__in=list(template_ids))
    rows = list(drafts.values("pk", "kind", "template_id", "template__version", "model_id", "generation_options",
                              "product__category", "generated_at", "ai_text", "editor_text", "checks"))
    first: dict[int, tuple] = {}
    events = (DraftEvent.objects.filter(draft_id__in=[r["pk"] for r in rows], to_status__in=DECISIONS)
              .order_by("at", "pk").values_list("draft_id", "to_status", "comment", "at"))
    for draft_id, to_status, comment, at in events:
        first.setdefault(draft_id, (to_status, comment, at))
    return [_decision(row, first.get(row["pk"])) for row in rows]


def _decision(row: dict, event: tuple | None) -> Decision:
    failed = tuple(
        c.get("name", "?") for c in (row["checks"] or []) if isinstance(c, dict) and c.get("passed") is False
    )
    common = dict(
        draft_id=row["pk"],
        kind=row["kind"],
        template_id=row["template_id"],
        template=f"{row['kind']} v{row['template__version']}",
        template_version=row["template__version"],
        model=row["model_id"] or "-",
        adapter=arms.adapter_name(row["generation_options"]),
        category=row["product__category"] or "-",
        generated_at=row["generated_at"],
        failed_checks=failed,
    )
    if event is None:
        return Decision(outcome="pending", **common)
    to_status, comment, at = event
    hours = max((at - row["generated_at"]).total_seconds() / 3600, 0.0)
    if to_status in (DraftStatus.APPROVED, DraftStatus.PUBLISHED):
        edited = row["editor_text"].strip()
        if not edited or edited == row["ai_text"].strip():
            return Decision(outcome="approved_as_written", distance=0.0, hours=hours, **common)
        return Decision(outcome="approved_after_edits", distance=edit_distance(row["ai_text"], edited), hours=hours,
                        **common)
    if to_status == DraftStatus.REJECTED:
        return Decision(outcome="rejected", reason=(comment or "").strip() or "(no reason)", hours=hours, **common)
    return Decision(outcome="changes_requested", hours=hours, **common)


@dataclass
class Summary:
    """The figures of one group of drafts."""

    generated: int = 0
    outcomes: Counter = field(default_factory=Counter)
    reasons: Counter = field(default_factory=Counter)
    failed_checks: Counter = field(default_factory=Counter)
    distances: list[float] = field(default_factory=list)  # approved after edits
    hours: list[float] = field(default_factory=list)

    def add(self, decision: Decision) -> None:
        self.generated += 1
        self.outcomes[decision.outcome] += 1
        if decision.reason:
            self.reasons[decision.reason] += 1
        self.failed_checks.update(decision.failed_checks)
        if decision.outcome == "approved_after_edits" and decision.distance is not None:
            self.distances.append(decision.distance)
        if decision.hours is not None:
            self.hours.append(decision.hours)

    @property
    def decided(self) -> int:
        return self.generated - self.outcomes["pending"]

    @property
    def approved(self) -> int:
        return self.outcomes["approved_as_written"] + self.outcomes["approved_after_edits"]

    def as_dict(self) -> dict:
        return {
            "generated": self.generated,
            "decided": self.decided,
            **{outcome: self.outcomes[outcome] for outcome in OUTCOMES},
            "approved_as_written_rate": stats.wilson(self.outcomes["approved_as_written"], self.decided).as_dict(),
            "approved_rate": stats.wilson(self.approved, self.decided).as_dict(),
            "median_edit_distance": _round(stats.median(self.distances)),
            "rejected_by_reason": dict(self.reasons.most_common()),
            "failed_checks": dict(self.failed_checks.most_common()),
            "median_hours_to_decision": _round(stats.median(self.hours)),
        }


def _round(value: float | None, digits: int = 3) -> float | None:
    return None if value is None else round(value, digits)


def week_of(moment: datetime) -> date:
    day = moment.date()
    return day - timedelta(days=day.weekday())


def report(*, since: datetime | None = None, until: datetime | None = None, kind: str | None = None) -> dict:
    """The whole report: totals, one row per group, and weekly trends per kind."""
    found = decisions(since=since, until=until, kind=kind)
    total, groups, weeks = Summary(), defaultdict(Summary), defaultdict(Summary)
    for decision in found:
        total.add(decision)
        groups[decision.key()].add(decision)
        weeks[(decision.kind, week_of(decision.generated_at))].add(decision)
    return {
        "since": since.isoformat() if since else None,
        "until": until.isoformat() if until else None,
        "kind": kind,
        "totals": total.as_dict(),
        "groups": [dict(zip(DIMENSIONS, key)) | summary.as_dict() for key, summary in sorted(groups.items())],
        "weeks": [
            {"kind": k, "week": week.isoformat()} | summary.as_dict() for (k, week), summary in sorted(weeks.items())
        ],
    }


def compare_templates(*, template_a, template_b, since: datetime | None = None, job_id: int | None = None) -> dict:
    """Template B against template A on the drafts each generated: rates, intervals, differences."""
    return compare_arms(arm_a=arms.template_arm(template_a), arm_b=arms.template_arm(template_b), since=since,
                        job_id=job_id)


def compare_arms(*, arm_a: Arm, arm_b: Arm, kind: str | None = None, since: datetime | None = None,
                 job_id: int | None = None) -> dict:
    """Arm B against arm A (template versions, adapters or models) on the drafts each wrote.

    Each arm's share approved as written and approved in all (Wilson 95%), its mean edit distance
    (bootstrap 95%), and the differences B - A with Newcombe's 95% interval. ``job_id`` narrows it
    to one split job, where both arms wrote for the same mix of products.
    """
    template_ids = [arm.template_id for arm in (arm_a, arm_b)] if arm_a.by == arm_b.by == "template" else None
    found = decisions(since=since, kind=kind, job_id=job_id, template_ids=template_ids)
    a, b = Summary(), Summary()
    for decision in found:
        if decision.in_arm(arm_a):
            a.add(decision)
        elif decision.in_arm(arm_b):
            b.add(decision)
    differences = {}
    for name, count in (("approved_as_written_rate", lambda s: s.outcomes["approved_as_written"]),
                        ("approved_rate", lambda s: s.approved),
                        ("rejected_rate", lambda s: s.outcomes["rejected"])):
        interval = stats.rate_difference(count(a), a.decided, count(b), b.decided)
        differences[name] = interval.as_dict() | {"clear": interval.low > 0 or interval.high < 0}
    return {
        "by": arm_a.by,
        "a": _arm_figures(arm_a, a),
        "b": _arm_figures(arm_b, b),
        "difference_b_minus_a": differences,
        "verdict": _verdict(differences["approved_as_written_rate"], a.decided, b.decided),
    }


def _arm_figures(arm: Arm, summary: Summary) -> dict:
    distance = stats.bootstrap_mean(summary.distances)
    names = {"arm": arm.label, "spec": arm.spec}
    if arm.by == "template":
        names |= {"template": arm.label, "id": arm.template_id}
    return names | summary.as_dict() | {"mean_edit_distance": distance.as_dict() if summary.distances else None}


MINIMUM_DECIDED = 20


def _verdict(difference: dict, decided_a: int, decided_b: int) -> str:
    if min(decided_a, decided_b) < MINIMUM_DECIDED:
        return f"not enough decisions yet (each arm needs {MINIMUM_DECIDED}; A has {decided_a}, B has {decided_b})"
    if not difference["clear"]:
        return "no clear difference: the 95% interval of the difference includes 0"
    better = "B" if difference["estimate"] > 0 else "A"
    return f"{better} is approved as written more often (95% interval excludes 0)"


"""Editor-decision analytics: figures from a fixture of decisions match hand-counted values."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from content import analytics, services
from content.models import Draft, DraftEvent, DraftStatus
from ecomcms import stats
from tests.content.factories import make_product

MONDAY = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def _draft(template, product, *, ai="The shirt is blue cotton.", editor="", decision=None, comment="",
           hours=2.0, generated=MONDAY, model="model-a", checks=(), adapter=None):
    options = {"adapter": adapter} if adapter else {}
    draft = Draft.objects.create(
        product=product, kind=template.kind, template=template, status=decision or DraftStatus.IN_REVIEW,
        ai_text=ai, editor_text=editor, model_id=model, generated_at=generated, generation_options=options,
        checks=[{"name": name, "passed": False, "message": "", "spans": []} for name in checks],
        variant=Draft.objects.filter(product=product, kind=template.kind).count() + 1,
    )
    if decision:
        event = DraftEvent.objects.create(draft=draft, from_status=DraftStatus.IN_REVIEW, to_status=decision,
                                          comment=comment)
        DraftEvent.objects.filter(pk=event.pk).update(at=generated + timedelta(hours=hours))
    return draft


@pytest.fixture
def versions(editor):
    v1 = services.template_active("description")
    v2 = services.template_save_version(kind="description", system=v1.system, user=v1.user, options=v1.options,
                                        max_chars=v1.max_chars, actor=editor, activate=False)
    return v1, v2


def test_edit_distance_counts_changed_words_over_the_longer_text():
    assert analytics.edit_distance("a b c d", "a b c d") == 0.0
    assert analytics.edit_distance("a b c d", "a x c d") == 0.25
    assert analytics.edit_distance("a b", "a b c d") == 0.5
    assert analytics.edit_distance("a b", "x y") == 1.0


def test_the_report_matches_hand_counted_figures(versions):
    v1, v2 = versions
    shirts, shoes = make_product(category="shirts"), make_product(category="shoes")
    # v1 on shirts: 2 approved as written (1 h, 3 h), 1 approved after editing 1 of 5 words (5 h),
    # 1 rejected with a reason (7 h), 1 pending; failed checks: facts twice, length once.
    _draft(v1, shirts, decision=DraftStatus.APPROVED, hours=1, checks=("facts",))
    _draft(v1, shirts, decision=DraftStatus.PUBLISHED, hours=3)
    _draft(v1, shirts, ai="one two three four five", editor="one two three four six", decision=DraftStatus.APPROVED,
           hours=5, checks=("facts", "length"))
    _draft(v1, shirts, decision=DraftStatus.REJECTED, comment="invents a material", hours=7)
    _draft(v1, shirts)
    # v2 on shoes, another model and an adapter: 1 changes requested
    _draft(v2, shoes, decision=DraftStatus.CHANGES_REQUESTED, model="model-b", adapter="lora-3", hours=4)
    # outside the period
    _draft(v1, shirts, decision=DraftStatus.APPROVED, generated=MONDAY - timedelta(days=30))

    result = analytics.report(since=MONDAY - timedelta(days=1))

    totals = result["totals"]
    assert (totals["generated"], totals["decided"]) == (6, 5)
    assert (totals["approved_as_written"], totals["approved_after_edits"]) == (2, 1)
    assert (totals["changes_requested"], totals["rejected"], totals["pending"]) == (1, 1, 1)
    assert totals["approved_as_written_rate"]["estimate"] == pytest.approx(2 / 5, abs=1e-4)
    assert totals["median_edit_distance"] == pytest.approx(0.2)
    assert totals["median_hours_to_decision"] == pytest.approx(4.0)  # 1, 3, 4, 5, 7
    assert totals["failed_checks"] == {"facts": 2, "length": 1}
    assert totals["rejected_by_reason"] == {"invents a material": 1}
    groups = {(g["template"], g["model"], g["adapter"], g["category"]): g for g in result["groups"]}
    assert set(groups) == {
        ("description v1", "model-a", "none", "shirts"),
        ("description v2", "model-b", "lora-3", "shoes"),
    }
    assert groups[("description v1", "model-a", "none", "shirts")]["generated"] == 5
    assert groups[("description v2", "model-b", "lora-3", "shoes")]["changes_requested"] == 1
    assert [w["week"] for w in result["weeks"]] == ["2026-11-02"]


def test_weekly_trends_count_by_the_week_a_draft_was_generated(versions):
    v1, _ = versions
    product = make_product()
    _draft(v1, product, decision=DraftStatus.APPROVED)
    _draft(v1, product, decision=DraftStatus.REJECTED, comment="no", generated=MONDAY + timedelta(days=8))
    _draft(v1, product, decision=DraftStatus.APPROVED, generated=MONDAY + timedelta(days=9))
    weeks = {w["week"]: w for w in analytics.report()["weeks"]}
    assert weeks["2026-11-02"]["approved_as_written"] == 1
    assert (weeks["2026-11-09"]["generated"], weeks["2026-11-09"]["rejected"]) == (2, 1)


def test_comparing_two_versions_gives_intervals_and_a_verdict(versions):
    v1, v2 = versions
    product = make_product()
    for i in range(30):
        _draft(v1, product, decision=DraftStatus.APPROVED if i < 9 else DraftStatus.REJECTED, comment="bad")
        _draft(v2, product, decision=DraftStatus.APPROVED if i < 24 else DraftStatus.REJECTED, comment="bad")
    result = analytics.compare_templates(template_a=v1, template_b=v2)
    difference = result["difference_b_minus_a"]["approved_as_written_rate"]
    assert difference["estimate"] == pytest.approx(0.5, abs=1e-4)  # 24/30 - 9/30
    expected = stats.rate_difference(9, 30, 24, 30)
    assert (difference["low"], difference["high"]) == (round(expected.low, 4), round(expected.high, 4))
    assert difference["clear"] and result["verdict"].startswith("B is approved as written more often")


def test_a_small_or_equal_comparison_gives_no_winner(versions):
    v1, v2 = versions
    product = make_product()
    for _ in range(5):
        _draft(v1, product, decision=DraftStatus.APPROVED)
        _draft(v2, product, decision=DraftStatus.APPROVED)
    assert analytics.compare_templates(template_a=v1, template_b=v2)["verdict"].startswith("not enough decisions")
    for i in range(40):
        _draft(v1, product, decision=DraftStatus.APPROVED if i % 2 else DraftStatus.REJECTED, comment="x")
        _draft(v2, product, decision=DraftStatus.APPROVED if i % 2 else DraftStatus.REJECTED, comment="x")
    assert analytics.compare_templates(template_a=v1, template_b=v2)["verdict"].startswith("no clear difference")


def test_a_split_job_sends_about_half_the_products_to_the_challenger(versions, writer):
    v1, v2 = versions
    products = [make_product() for _ in range(60)]
    job = services.drafts_request(products=products, kind="description", actor=writer, challenger=v2)
    templates = list(Draft.objects.filter(job=job).values_list("template_id", flat=True))
    assert len(templates) == 60 and set(templates) == {v1.pk, v2.pk}
    assert 18 <= templates.count(v2.pk) <= 42
    with pytest.raises(services.ContentError):
        services.drafts_request(products=products[:1], kind="description", actor=writer, challenger=v1)


def test_the_command_prints_the_report_and_the_comparison_as_json(versions):
    v1, v2 = versions
    product = make_product()
    _draft(v1, product, decision=DraftStatus.APPROVED)
    _draft(v2, product, decision=DraftStatus.REJECTED, comment="too long")
    out = StringIO()
    call_command("content_report", "--json", stdout=out)
    assert json.loads(out.getvalue())["totals"]["generated"] == 2
    out = StringIO()
    call_command("content_report", "--kind", "description", "--compare", "1", "2", "--json", stdout=out)
    assert json.loads(out.getvalue())["b"]["rejected"] == 1
    out = StringIO()
    call_command("content_report", stdout=out)
    assert "description v1" in out.getvalue()


def test_the_report_page_shows_charts_and_the_comparison(client, versions, writer):
    v1, v2 = versions
    product = make_product()
    _draft(v1, product, decision=DraftStatus.APPROVED, generated=datetime.now(UTC) - timedelta(days=1))
    client.force_login(writer)
    response = client.get(reverse("admin:ecomcms_content_editordecisions_changelist"),
                          {"kind": "description", "compare_a": 1, "compare_b": 2})
    assert response.status_code == 200
    body = response.content.decode()
    assert body.count('role="img" aria-label') == 2 and "description v1" in body and "B − A" in body
    assert (
        client.get(reverse("admin:ecomcms_content_editordecisions_changelist"), {"since": "nonsense"}).status_code
        == 200
    )

"""Requesting changes changes things (issue 12, section 5).

The walk: "battery life 12 hours, IPX7, 540 g, no USB port" gave a new draft that still said 18
hours and added IP67 and Wi-Fi. The comment's facts now override the product's in the prompt, a
check "editor_comment" flags a new draft that contradicts or ignores them, the drafts link to
each other, and a job's progress counts the regenerated draft.
"""

import importlib

import pytest
from django.apps import apps
from django.urls import reverse

from content import selectors, services
from content.checks import attributes_with_comment, comment_facts, run_checks
from content.models import Draft, DraftStatus, GenerationJob
from ecomcms import inference
from tests.content.factories import make_product

pytestmark = pytest.mark.django_db

COMMENT = "battery life 12 hours, IPX7, 540 g, no USB port"
HEADPHONES = {"battery life": "18 hours", "water resistance": "IP54", "weight": "600 g",
              "connectivity": "Bluetooth 5.0, USB-C"}


def editor_comment(text: str, feedback: str = COMMENT, attributes=None, max_chars: int = 1000) -> dict:
    results = run_checks(text, max_chars=max_chars, attributes=attributes or HEADPHONES, title="Sonora Headphones",
                         brand="Sonora", feedback=feedback)
    return next(result for result in results if result["name"] == "editor_comment")


# --- reading the comment -----------------------------------------------------------------------


def test_the_facts_stated_in_a_comment_are_read():
    facts = comment_facts(COMMENT)

    assert [(f.kind, f.label, f.value) for f in facts] == [
        ("quantity", "battery life", "12 hours"), ("rating", "rating", "IPX7"), ("quantity", "weight", "540 g"),
        ("absent", "USB", "none"),
    ]


def test_a_comment_without_figures_or_features_states_no_facts():
    assert comment_facts("Shorter, please, and friendlier.") == []


def test_the_comments_facts_take_precedence_over_the_products():
    assert attributes_with_comment(HEADPHONES, COMMENT) == {
        "battery life": "12 hours", "water resistance": "IPX7", "weight": "540 g", "connectivity": "Bluetooth 5.0",
        "USB": "none",
    }


def test_a_comment_fact_the_product_lacks_is_added():
    assert attributes_with_comment({"material": "mesh"}, "weight 540 g, add Bluetooth") == {
        "material": "mesh", "weight": "540 g", "Bluetooth": "yes",
    }


# --- the check ------------------------------------------------------------------------------------


def test_a_draft_that_still_says_18_hours_and_adds_usb_is_flagged():
    text = "Plays for 18 hours, rated IP67, weighs 540 g and charges over USB-C."

    result = editor_comment(text)

    assert result["passed"] is False
    assert result["message"] == (
        'Says "18 hours"; the editor asked for "battery life 12 hours". '
        'Says "IP67"; the editor asked for IPX7. '
        'Says "USB-C"; the editor said "no USB port".'
    )
    assert [text[s:e] for s, e in result["spans"]] == ["18 hours", "IP67", "USB-C"]


def test_a_draft_that_ignores_the_comment_is_flagged():
    result = editor_comment("Soft ear cushions for long flights.")

    assert result["message"] == ("Ignores the editor's comment: the text does not say \"battery life 12 hours\"; "
                                 "\"IPX7\"; \"540 g\".")


def test_a_short_kind_is_not_asked_to_mention_every_fact_but_may_not_contradict_them():
    assert editor_comment("Sonora Headphones", max_chars=30)["passed"] is True
    assert editor_comment("Sonora: 18 hours of music", max_chars=30)["passed"] is False


def test_a_draft_that_follows_the_comment_passes_this_check_and_the_fact_check():
    text = "Plays for 12 hours, is rated IPX7, weighs 0.54 kg and has no USB port."

    results = run_checks(text, max_chars=1000, attributes=HEADPHONES, title="Sonora Headphones", brand="Sonora",
                         feedback=COMMENT)

    failed = {r["name"]: r["message"] for r in results if not r["passed"]}
    assert failed == {}


def test_without_a_comment_the_check_passes():
    assert editor_comment("Anything.", feedback="")["message"] == "No editor's comment to follow."


# --- the workflow -----------------------------------------------------------------------------------


def test_the_regenerated_prompt_carries_the_comments_facts_and_its_draft_is_checked_against_them(
        writer, editor, fake_models):
    product = make_product(attributes=HEADPHONES, title="Sonora Headphones", brand="Sonora")
    services.drafts_request(products=[product], kind="description", actor=writer)
    services.drafts_process_queue()
    draft = Draft.objects.get(product=product)

    services.draft_request_changes(draft=draft, actor=editor, comment=COMMENT)
    services.drafts_process_queue()

    prompt = inference.get_generator().calls[-1][0]
    data = prompt.user[prompt.user.index("<product>"):prompt.user.index("</product>")]
    assert "- battery life: 12 hours" in data and "18 hours" not in data
    assert "- water resistance: IPX7" in data and "- USB: none" in data and "USB-C" not in data
    new = Draft.objects.get(regenerates=draft)
    check = next(c for c in new.checks if c["name"] == "editor_comment")
    assert check["passed"] is False and check["message"].startswith("Ignores the editor's comment")
    assert new.checks_passed is False


def test_a_second_round_keeps_the_first_rounds_comment_and_the_newest_wins(writer, editor, fake_models):
    product = make_product(attributes=HEADPHONES)
    services.drafts_request(products=[product], kind="description", actor=writer)
    services.drafts_process_queue()
    first = Draft.objects.get(product=product)
    services.draft_request_changes(draft=first, actor=editor, comment="battery life 12 hours")
    services.drafts_process_queue()
    second = Draft.objects.get(regenerates=first)

    services.draft_request_changes(draft=second, actor=editor, comment="battery life 14 hours, no USB port")
    third = Draft.objects.get(regenerates=second)

    assert third.feedback == "battery life 12 hours\nbattery life 14 hours, no USB port"
    assert attributes_with_comment(HEADPHONES, third.feedback)["battery life"] == "14 hours"


def test_job_progress_counts_the_regenerated_draft(writer, editor, fake_models):
    products = [make_product() for _ in range(2)]
    job = services.drafts_request(products=products, kind="description", actor=writer)
    services.drafts_process_queue()
    draft = Draft.objects.filter(job=job).first()

    services.draft_request_changes(draft=draft, actor=editor, comment="Shorter, please.")
    assert selectors.job_progress(job) == {"total": 3, "done": 2, "failed": 0}
    services.drafts_process_queue()

    assert selectors.job_progress(job) == {"total": 3, "done": 3, "failed": 0}


def test_jobs_counted_before_the_fix_are_corrected_by_the_migration(writer, editor, fake_models):
    job = services.drafts_request(products=[make_product()], kind="description", actor=writer)
    services.drafts_process_queue()
    services.draft_request_changes(draft=Draft.objects.get(job=job), actor=editor, comment="Shorter, please.")
    GenerationJob.objects.filter(pk=job.pk).update(total=1)  # as the old code left it: "2 / 1"

    importlib.import_module("content.migrations.0008_job_totals_count_regenerations").count_regenerations(apps, None)

    assert GenerationJob.objects.get(pk=job.pk).total == 2


def test_the_old_and_the_new_draft_link_to_each_other_in_the_admin(client, writer, editor, fake_models):
    product = make_product()
    services.drafts_request(products=[product], kind="description", actor=writer)
    services.drafts_process_queue()
    old = Draft.objects.get(product=product)
    services.draft_request_changes(draft=old, actor=editor, comment="Shorter, please.")
    new = Draft.objects.get(regenerates=old)
    client.force_login(editor)

    old_page = client.get(reverse("admin:ecomcms_content_draft_change", args=[old.pk])).content.decode()
    new_page = client.get(reverse("admin:ecomcms_content_draft_change", args=[new.pk])).content.decode()

    assert Draft.objects.get(pk=old.pk).status == DraftStatus.CHANGES_REQUESTED
    assert (
        f'Regenerated as <a href="{reverse("admin:ecomcms_content_draft_change", args=[new.pk])}">draft {new.pk}</a>'
        in old_page
    )
    assert (
        f'Regenerates <a href="{reverse("admin:ecomcms_content_draft_change", args=[old.pk])}">draft {old.pk}</a>'
        in new_page
    )

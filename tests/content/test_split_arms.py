"""A split generation job with an adapter as the challenger, and the comparison of arms by adapter.

The fake generator stands in for the model (it records the options each call asked for, so the test
sees which adapter was asked for); tests/ecomcms/test_finetune.py runs the same split on a real model.
"""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from content import analytics, arms, services
from content.models import Draft, DraftEvent, DraftStatus
from ecomcms import inference
from ecomcms.models import Adapter, AdapterStatus
from tests.content.factories import make_product


def _adapter(version: int, tmp_path, *, status=AdapterStatus.READY, active=False) -> Adapter:
    path = tmp_path / f"content.copy-v{version}"
    path.mkdir(exist_ok=True)
    return Adapter.objects.create(purpose="content.copy", version=version, status=status, path=str(path),
                                  is_active=active)


def _decide(draft: Draft, decision: str) -> None:
    Draft.objects.filter(pk=draft.pk).update(status=decision)
    DraftEvent.objects.create(draft=draft, from_status=DraftStatus.IN_REVIEW, to_status=decision,
                              comment="" if decision != DraftStatus.REJECTED else "invents facts")


def test_a_split_job_writes_half_the_products_with_the_challenger_adapter(writer, fake_models, tmp_path):
    adapter = _adapter(2, tmp_path)
    products = [make_product() for _ in range(40)]

    job = services.drafts_request(products=products, kind="description", actor=writer, challenger_adapter=adapter)
    queued = list(Draft.objects.filter(job=job))
    challenged = {d.product_id for d in queued if d.adapter_id == adapter.pk}
    assert len(queued) == 40 and 10 <= len(challenged) <= 30
    assert {d.template_id for d in queued} == {services.template_active("description").pk}  # only the model differs

    services.drafts_process_queue(batch_size=8, max_batches=20)

    drafts = list(Draft.objects.filter(job=job))
    assert {d.status for d in drafts} == {DraftStatus.IN_REVIEW}
    for draft in drafts:  # the provenance records the arm
        expected = adapter.path if draft.product_id in challenged else ""
        assert draft.generation_options.get("adapter") == expected, draft.pk
    generator = inference.get_generator()
    asked = [(options.adapter, len(prompts)) for options, prompts in zip(generator.options, generator.calls)]
    assert sum(n for path, n in asked if path == adapter.path) == len(challenged)  # the model was asked for it
    assert sum(n for path, n in asked if path == "") == 40 - len(challenged)  # and the others without one
    assert all(path in ("", adapter.path) for path, _ in asked)


def test_a_regenerated_draft_stays_in_its_arm(writer, editor, fake_models, tmp_path):
    adapter = _adapter(2, tmp_path)
    products = [make_product() for _ in range(12)]
    job = services.drafts_request(products=products, kind="description", actor=writer, challenger_adapter=adapter)
    services.drafts_process_queue(batch_size=20)
    draft = Draft.objects.filter(job=job, adapter=adapter).first()
    services.draft_request_changes(draft=draft, actor=editor, comment="Shorter, please.")
    assert Draft.objects.get(regenerates=draft).adapter_id == adapter.pk


def test_the_challenger_adapter_must_be_trained_for_copy_and_not_active_nor_with_a_template(
        writer, versions, tmp_path):
    products = [make_product()]
    failed = _adapter(3, tmp_path, status=AdapterStatus.FAILED)
    active = _adapter(4, tmp_path, active=True)
    ready = _adapter(5, tmp_path)
    other = Adapter.objects.create(purpose="support.reply", version=1, status=AdapterStatus.READY, path=str(tmp_path))
    before = Draft.objects.count()
    for challenger, message in ((failed, "not a trained content.copy adapter"),
                                (other, "not a trained content.copy adapter"),
                                (active, "is the active adapter already")):
        with pytest.raises(services.ContentError, match=message):
            services.drafts_request(products=products, kind="description", actor=writer, challenger_adapter=challenger)
    with pytest.raises(services.ContentError, match="not both"):
        services.drafts_request(products=products, kind="description", actor=writer, challenger=versions[1],
                                challenger_adapter=ready)
    with pytest.raises(services.ContentError, match="review summaries"):
        services.drafts_request(products=products, kind="review_summary", actor=writer, challenger_adapter=ready)
    assert Draft.objects.count() == before


@pytest.fixture
def versions(editor):
    v1 = services.template_active("description")
    v2 = services.template_save_version(kind="description", system=v1.system, user=v1.user, options=v1.options,
                                        max_chars=v1.max_chars, actor=editor, activate=False)
    return v1, v2


def test_the_command_takes_an_adapter_challenger_both_ways_and_refuses_unknown_ones(writer, versions, tmp_path):
    adapter = _adapter(2, tmp_path)
    for _ in range(6):
        make_product(category="split-shirts")
    for spelling in (["--challenger", "adapter:2"], ["--challenger-adapter", "2"]):
        out = StringIO()
        call_command("generate_drafts", "--kind", "description", "--category", "split-shirts", "--no-wait",
                     *spelling, stdout=out)
        job_id = int(out.getvalue().split()[1].rstrip(":"))
        assert set(Draft.objects.filter(job_id=job_id).values_list("adapter_id", flat=True)) <= {None, adapter.pk}
        Draft.objects.filter(job_id=job_id).update(status=DraftStatus.FAILED)  # free the products for the next job
    out = StringIO()
    call_command("generate_drafts", "--kind", "description", "--category", "split-shirts", "--no-wait",
                 "--challenger", "template:2", stdout=out)
    job_id = int(out.getvalue().split()[1].rstrip(":"))
    assert set(Draft.objects.filter(job_id=job_id).values_list("template__version", flat=True)) <= {1, 2}
    count = Draft.objects.count()
    for spelling, message in ((["--challenger", "adapter:9"], "no trained content.copy adapter has version 9"),
                              (["--challenger", "adapter:none"], "a template version"),
                              (["--challenger", "recipe:1"], "an arm is template"),
                              (["--challenger", "7"], "no version 7 of the description template"),
                              (["--challenger", "2", "--challenger-adapter", "2"], "one challenger")):
        with pytest.raises(CommandError, match=message):
            call_command("generate_drafts", "--kind", "description", "--category", "split-shirts", "--no-wait",
                         *spelling, stdout=StringIO())
    assert Draft.objects.count() == count


def test_the_admin_generate_form_splits_a_job_with_an_adapter(client, writer, tmp_path):
    adapter = _adapter(2, tmp_path)
    products = [make_product() for _ in range(10)]
    client.force_login(writer)
    url = reverse("admin:ecomcms_content_product_changelist")
    form = {"action": "generate_drafts", "_selected_action": [p.pk for p in products], "apply": "1",
            "kind": "description"}
    page = client.post(url, form | {"challenger": "adapter:8"})
    assert page.status_code == 200 and "no trained content.copy adapter has version 8" in page.content.decode()
    assert not Draft.objects.exists()
    assert client.post(url, form | {"challenger": "adapter:2"}).status_code == 302
    assert set(Draft.objects.values_list("adapter_id", flat=True)) == {None, adapter.pk}


def _split_with_decisions(tmp_path, *, approve_rate_base: float, approve_rate_adapter: float, n: int = 40):
    """Drafts of both arms of a split job, decided as the rates say (the first share approved as written)."""
    adapter = _adapter(2, tmp_path)
    template = services.template_active("description")
    from content.models import GenerationJob

    job = GenerationJob.objects.create(kind="description", total=2 * n)
    for arm_adapter, rate in ((None, approve_rate_base), (adapter, approve_rate_adapter)):
        for i in range(n):
            draft = Draft.objects.create(
                product=make_product(), kind="description", template=template, job=job, adapter=arm_adapter,
                status=DraftStatus.IN_REVIEW, ai_text="A blue cotton shirt.", model_id="smol",
                generation_options={"adapter": arm_adapter.path} if arm_adapter else {},
                generated_at="2026-11-02T09:00:00Z")
            _decide(draft, DraftStatus.APPROVED if i < rate * n else DraftStatus.REJECTED)
    return adapter, job


def test_comparing_the_base_model_with_an_adapter_gives_intervals_and_a_verdict(db, tmp_path):
    _, job = _split_with_decisions(tmp_path, approve_rate_base=0.3, approve_rate_adapter=0.8)
    base_arm, adapter_arm = arms.arms_parse(["adapter:none", "adapter:2"], kind="description")
    assert adapter_arm.label == "adapter content.copy-v2" and base_arm.label == "no adapter"

    result = analytics.compare_arms(arm_a=base_arm, arm_b=adapter_arm, kind="description", job_id=job.pk)

    assert (result["a"]["decided"], result["b"]["decided"]) == (40, 40)
    assert (result["a"]["approved_as_written"], result["b"]["approved_as_written"]) == (12, 32)
    difference = result["difference_b_minus_a"]["approved_as_written_rate"]
    from ecomcms import stats

    expected = stats.rate_difference(12, 40, 32, 40)
    assert difference["estimate"] == pytest.approx(0.5, abs=1e-4)
    assert (difference["low"], difference["high"]) == (round(expected.low, 4), round(expected.high, 4))
    assert result["verdict"].startswith("B is approved as written more often")

    out = StringIO()
    call_command("content_report", "--kind", "description", "--compare", "adapter:none", "adapter:2",
                 "--job", str(job.pk), "--json", stdout=out)
    assert json.loads(out.getvalue())["b"]["approved_as_written"] == 32
    out = StringIO()
    call_command("content_report", "--kind", "description", "--compare", "adapter:none", "adapter:2", stdout=out)
    assert "A no adapter: 40 decided" in out.getvalue() and "B adapter content.copy-v2: 40 decided" in out.getvalue()
    with pytest.raises(CommandError, match="of one kind"):
        call_command("content_report", "--kind", "description", "--compare", "1", "adapter:2", stdout=StringIO())


def test_equal_arms_give_no_clear_difference(db, tmp_path):
    adapter, job = _split_with_decisions(tmp_path, approve_rate_base=0.5, approve_rate_adapter=0.5)
    result = analytics.compare_arms(arm_a=arms.adapter_arm(None), arm_b=arms.adapter_arm(adapter), job_id=job.pk)
    assert result["verdict"].startswith("no clear difference")


def test_the_report_page_compares_adapters(client, writer, tmp_path):
    _split_with_decisions(tmp_path, approve_rate_base=0.3, approve_rate_adapter=0.8, n=25)
    client.force_login(writer)
    url = reverse("admin:ecomcms_content_editordecisions_changelist")
    body = client.get(url, {"kind": "description", "since": "2026-11-01", "compare_a": "adapter:none",
                            "compare_b": "adapter:2"}).content.decode()
    assert "adapter content.copy-v2" in body and "no adapter" in body and "B − A" in body
    body = client.get(
        url, {"kind": "description", "compare_a": "adapter:none", "compare_b": "adapter:7"}
    ).content.decode()
    assert "no trained content.copy adapter has version 7" in body

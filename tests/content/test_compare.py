"""A text a person writes is checked at once; its embedding (a model) is computed by a worker, never the request."""

import pytest

from content import services
from content.models import Draft
from ecomcms import inference
from tests.content.factories import make_product

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent(monkeypatch):
    from content.tasks import compare_draft

    calls = []
    monkeypatch.setattr(compare_draft, "apply_async", lambda args, **options: calls.append(args[0]))
    return calls


def near_duplicate(draft):
    return next(c for c in Draft.objects.get(pk=draft.pk).checks if c["name"] == "near_duplicate")


def test_an_edit_is_checked_without_a_model_and_compared_by_the_worker(
        writer, fake_models, sent, monkeypatch, django_capture_on_commit_callbacks):
    twin = make_product(title="Linen shirt")
    services.draft_write(
        product=twin, kind="description", text="A light linen shirt for hot summer days.", actor=writer
    )
    services.draft_compare(Draft.objects.get(product=twin).pk)
    product = make_product(title="Linen shirt too")
    services.drafts_request(products=[product], kind="description", actor=writer)
    services.drafts_process_queue()
    draft = Draft.objects.get(product=product)
    sent.clear()

    with monkeypatch.context() as web_request:
        web_request.setattr(inference, "get_embedder", lambda *a, **k: pytest.fail("the request loaded a model"))
        with django_capture_on_commit_callbacks(execute=True):
            services.draft_edit(draft=draft, actor=writer, text="A light linen shirt for hot summer days.")

    assert sent == [draft.pk]
    assert "Not compared yet" in near_duplicate(draft)["message"]
    services.draft_compare(draft.pk)  # what the worker does with the task
    check = near_duplicate(draft)
    assert check["passed"] is False and "Very similar" in check["message"]
    assert Draft.objects.get(pk=draft.pk).checks_passed is False


def test_a_comparison_of_an_older_text_is_not_saved_over_a_newer_edit(writer, fake_models, sent, monkeypatch):
    draft = services.draft_write(product=make_product(), kind="description", text="First words.", actor=writer)
    embed = services._embed_or_none

    def embed_while_the_editor_saves_again(texts):
        vectors = embed(texts)
        Draft.objects.filter(pk=draft.pk).update(editor_text="Newer words.")  # a newer edit lands meanwhile
        return vectors

    monkeypatch.setattr(services, "_embed_or_none", embed_while_the_editor_saves_again)
    services.draft_compare(draft.pk)

    stored = Draft.objects.get(pk=draft.pk)
    assert stored.editor_text == "Newer words." and stored.embedding is None
    assert "Not compared yet" in near_duplicate(draft)["message"]  # the newer edit's own task will compare it

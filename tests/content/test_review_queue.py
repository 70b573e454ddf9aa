"""The review queue as an editor's tool: badges, excerpts, variants on one page, readable diffs."""

import pytest
from django.urls import reverse

from content import services
from content.admin import check_badges, short_model_id, text_excerpt
from content.models import Draft, DraftStatus
from tests.content.factories import make_product

pytestmark = pytest.mark.django_db


@pytest.fixture
def headlines(writer, fake_models):
    product = make_product(title="Trail Shoe")
    services.drafts_request(products=[product], kind="ad_headline", actor=writer)
    services.drafts_process_queue()
    return list(Draft.objects.filter(product=product).order_by("variant"))


def test_a_failed_check_is_a_red_badge_with_a_cross_and_the_word_failed():
    draft = Draft(checks_passed=False, checks=[
        {"name": "facts", "passed": False, "message": "says cotton; the material is polyester", "spans": []},
        {"name": "length", "passed": True, "message": "ok", "spans": []},
        {"name": "near_duplicate", "passed": True, "pending": True, "message": "Not compared yet", "spans": []},
    ])

    html = str(check_badges(draft))

    assert ('<span class="ecomcms-badge failed" title="says cotton; the material is polyester">'
            '<span aria-hidden="true">✗</span> facts failed</span>') in html
    assert '<span aria-hidden="true">…</span> near duplicate pending</span>' in html
    assert 'class="ecomcms-badge passed" title="length"><span aria-hidden="true">✓</span> 1 other passed' in html


def test_all_passed_is_one_green_badge_and_unchecked_is_neither():
    passed = Draft(checks_passed=True, checks=[{"name": "length", "passed": True, "message": "", "spans": []}])

    assert "✓</span> all checks passed" in str(check_badges(passed)) and "failed" not in str(check_badges(passed))
    assert str(check_badges(Draft(checks_passed=None))) == '<span class="ecomcms-badge none">not checked</span>'


def test_excerpts_and_model_names_are_short_with_the_whole_text_in_the_tooltip():
    text = "A very long description " * 10

    excerpt = str(text_excerpt(text))

    assert excerpt.startswith(f'<span class="ecomcms-excerpt" title="{" ".join(text.split())}">A very long')
    assert excerpt.endswith("…</span>") and len(excerpt.split(">")[1].split("<")[0]) == 90
    assert str(short_model_id("HuggingFaceTB/SmolLM2-135M-Instruct")) == (
        '<span class="ecomcms-model" title="HuggingFaceTB/SmolLM2-135M-Instruct">SmolLM2-135M-Instruct</span>')
    assert (
        str(text_excerpt("<b>x</b>"))
        == '<span class="ecomcms-excerpt" title="&lt;b&gt;x&lt;/b&gt;">&lt;b&gt;x&lt;/b&gt;</span>'
    )


def test_the_queue_lists_an_excerpt_badges_and_a_link_to_review_variants_together(client, editor, headlines):
    client.force_login(editor)

    page = client.get(reverse("admin:ecomcms_content_reviewqueue_changelist")).content.decode()

    assert page.count('class="ecomcms-excerpt"') == 3
    assert page.count("ecomcms-badge ") >= 3
    assert reverse("admin:ecomcms_content_draft_variants", args=[headlines[0].pk]) in page


def test_the_variants_page_shows_the_three_headlines_of_one_request_with_their_own_buttons(
    client, editor, headlines, writer
):
    other = make_product(title="Road Shoe")
    services.drafts_request(products=[other], kind="ad_headline", actor=writer)
    client.force_login(editor)

    page = client.get(reverse("admin:ecomcms_content_draft_variants", args=[headlines[1].pk])).content.decode()

    assert [page.count(f'id="variant-{d.pk}"') for d in headlines] == [1, 1, 1]
    assert "Road Shoe" not in page  # another request
    assert page.count('name="return_to" value="variants"') == 3 and page.count('value="approve"') == 3


def test_deciding_on_the_variants_page_returns_to_it(client, editor, headlines):
    client.force_login(editor)
    url = reverse("admin:ecomcms_content_draft_variants", args=[headlines[0].pk])

    response = client.post(reverse("admin:ecomcms_content_draft_decide", args=[headlines[0].pk]),
                           {"decision": "approve", "return_to": "variants"})
    refused = client.post(reverse("admin:ecomcms_content_draft_decide", args=[headlines[0].pk]),
                          {"decision": "approve", "return_to": "variants"})

    assert (response.status_code, response["Location"]) == (302, url)
    assert (refused.status_code, refused["Location"]) == (302, url)  # already approved: the error, back on the page
    assert Draft.objects.get(pk=headlines[0].pk).status == DraftStatus.APPROVED
    page = client.get(url).content.decode()
    assert page.count('value="approve"') == 2


def test_the_variants_page_needs_view_permission(client, outsider, headlines):
    client.force_login(outsider)

    response = client.get(reverse("admin:ecomcms_content_draft_variants", args=[headlines[0].pk]))

    assert response.status_code == 403


def test_a_rewritten_draft_shows_its_diff_side_by_side(client, editor, writer, headlines):
    draft = headlines[0]
    services.draft_edit(draft=draft, actor=writer, text="Light trail shoe with a grippy sole for wet rocks")
    client.force_login(editor)

    page = client.get(reverse("admin:ecomcms_content_draft_change", args=[draft.pk])).content.decode()

    assert 'class="ecomcms-sidebyside" id="diff"' in page and "the two versions side by side" in page

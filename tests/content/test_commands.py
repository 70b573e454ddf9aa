"""generate_drafts: queue by filter, report what was skipped, follow progress."""

import pytest
from django.core.management import CommandError, call_command

from content import services
from content.models import Draft
from tests.content.factories import make_product

pytestmark = pytest.mark.django_db


def test_drafts_are_queued_for_the_products_matching_the_filter(capsys):
    shoes = [make_product(category="Shoes"), make_product(category="shoes")]
    make_product(category="shirts")
    make_product(category="shoes", is_active=False)

    call_command("generate_drafts", "--category", "shoes", "--kind", "description", "--no-wait")

    assert set(Draft.objects.values_list("product_id", flat=True)) == {p.pk for p in shoes}
    assert "queued 2 drafts for 2 products" in capsys.readouterr().out


def test_a_second_run_says_what_it_skipped(capsys):
    make_product(category="shoes")
    call_command("generate_drafts", "--category", "shoes", "--kind", "description", "--no-wait")

    call_command("generate_drafts", "--category", "shoes", "--kind", "description", "--no-wait")

    assert "queued 0 drafts for 1 products (1 skipped: already on their way)" in capsys.readouterr().out
    assert Draft.objects.count() == 1


def test_following_the_job_shows_the_result(capsys, fake_models, monkeypatch):
    make_product(category="shoes")
    real_sleep_calls = []

    def work_instead_of_sleeping(seconds):  # stands in for the worker while the command waits
        real_sleep_calls.append(seconds)
        services.drafts_process_queue()

    monkeypatch.setattr("content.management.commands.generate_drafts.time.sleep", work_instead_of_sleeping)
    call_command("generate_drafts", "--category", "shoes", "--kind", "description")

    out, err = capsys.readouterr()
    assert "done: 1 drafts ready for review, 0 failed" in out
    assert "1/1" in err  # the progress bar
    assert real_sleep_calls == [1]


def test_no_matching_product_is_an_error():
    with pytest.raises(CommandError, match="no product matches"):
        call_command("generate_drafts", "--category", "hats", "--kind", "description")


def test_an_unknown_requesting_user_is_an_error():
    make_product(category="shoes")
    with pytest.raises(CommandError, match="no user named 'ghost'"):
        call_command("generate_drafts", "--category", "shoes", "--kind", "description", "--as-user", "ghost")

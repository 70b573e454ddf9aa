"""Staff login: brute force is locked out, and every admin form needs its CSRF token."""

import pytest
from django.contrib.admin.sites import site
from django.contrib.auth.models import User
from django.test import Client

from tests.permissions_routes import walk

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"


@pytest.fixture
def staff():
    return User.objects.create_user("editor-anna", password=PASSWORD, is_staff=True, is_superuser=True)


def login(client, username, password, ip="203.0.113.7"):
    return client.post("/admin/login/?next=/admin/", {"username": username, "password": password}, REMOTE_ADDR=ip)


def test_after_five_wrong_passwords_even_the_right_one_is_refused(staff, settings):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = login(client, staff.username, "guess")
        assert response.status_code == 200 and b"Please enter the correct username and password" in response.content

    locked = login(client, staff.username, "guess")
    assert locked.status_code == 429
    assert b"Too many failed logins" in locked.content

    again = login(client, staff.username, PASSWORD)
    assert again.status_code == 429
    assert client.get("/admin/").status_code == 302  # still not logged in


def test_the_lockout_is_per_username_and_address(staff, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login(Client(), staff.username, "guess", ip="203.0.113.7")

    assert login(Client(), staff.username, PASSWORD, ip="198.51.100.20").status_code == 302  # the editor, elsewhere
    assert login(Client(), staff.username, PASSWORD, ip="203.0.113.7").status_code == 429  # the attacker's address


def test_the_lockout_ends_after_the_cool_off(staff, settings):
    from axes.models import AccessAttempt
    from django.utils import timezone

    for _ in range(settings.AXES_FAILURE_LIMIT):
        login(Client(), staff.username, "guess")
    AccessAttempt.objects.update(
        attempt_time=timezone.now() - settings.AXES_COOLOFF_TIME - timezone.timedelta(seconds=1)
    )

    assert login(Client(), staff.username, PASSWORD).status_code == 302


def test_a_successful_login_forgets_earlier_failures(staff, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        login(Client(), staff.username, "guess")
    assert login(Client(), staff.username, PASSWORD).status_code == 302
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        login(Client(), staff.username, "guess")

    assert login(Client(), staff.username, PASSWORD).status_code == 302


def test_a_spoofed_forwarded_for_header_does_not_reset_the_count(staff, settings):
    assert settings.REST_FRAMEWORK["NUM_PROXIES"] == 0
    for n in range(settings.AXES_FAILURE_LIMIT):
        Client().post("/admin/login/", {"username": staff.username, "password": "guess"},
                      REMOTE_ADDR="203.0.113.7", HTTP_X_FORWARDED_FOR=f"10.0.0.{n}")

    assert login(Client(), staff.username, PASSWORD, ip="203.0.113.7").status_code == 429


def admin_patterns():
    """(route, view) for every URL under the admin site, the apps' custom admin pages included."""
    return [
        (found.pattern, found.callback) for found in walk() if found.site is not None and found.site.name == site.name
    ]


def test_no_admin_view_is_exempt_from_csrf():
    views = list(admin_patterns())
    assert len(views) > 50  # every registered model's views and the custom review, triage and job pages
    exempt = [route for route, view in views if getattr(view, "csrf_exempt", False)]
    assert exempt == []


def test_admin_posts_without_the_token_are_refused(staff):
    client = Client(enforce_csrf_checks=True)
    client.force_login(staff)
    models = list(site._registry)
    assert len(models) > 10
    for model in models:
        info = model._meta.app_label, model._meta.model_name
        changelist = f"/admin/{info[0]}/{info[1]}/"
        for url, data in [(changelist, {"action": "delete_selected", "_selected_action": "1"}),
                          (f"{changelist}add/", {})]:
            assert client.post(url, data).status_code == 403, url

    assert b"csrfmiddlewaretoken" in client.get("/admin/auth/user/add/").content
    assert Client(enforce_csrf_checks=True).post("/admin/login/", {"username": staff.username,
                                                                   "password": PASSWORD}).status_code == 403


def test_a_superuser_lifts_a_lockout_in_the_admin(staff, settings):
    from axes.models import AccessAttempt

    for _ in range(settings.AXES_FAILURE_LIMIT):
        login(Client(), staff.username, "guess")
    admin_user = User.objects.create_superuser("root", "root@shop.example", "root-pw")
    client = Client()
    client.force_login(admin_user)
    attempt = AccessAttempt.objects.get(username=staff.username)

    page = client.get("/admin/axes/accessattempt/").content.decode()
    assert "Locked Out" in page and "cleanup_expired_attempts" not in page
    client.post("/admin/axes/accessattempt/", {"action": "delete_selected", "_selected_action": [attempt.pk],
                                               "post": "yes"})

    assert not AccessAttempt.objects.exists()
    assert login(Client(), staff.username, PASSWORD).status_code == 302

"""Acceptance (issue #7, Access): the permission matrix.

Every route of the project and every admin action, found by walking the URL
resolver and the admin registry, is called as each principal (anonymous, a
storefront token without and with the endpoint's scope, a writer, an editor, a
support agent, a superuser) and must be allowed or denied as
tests/permissions_matrix.py says. Every response is also searched for text that
principal must never see: unpublished draft text (only writers, editors and
superusers) and customers' tickets (only support agents and superusers). A
customer's ticket token opens that ticket only.

One pytest case per (route, principal) and per (action, principal). The data is
built once per module and each case runs in a transaction rolled back after it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from urllib.parse import urlencode, urlparse

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.auth.models import Group, User
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.db import transaction
from django.test import Client, RequestFactory, override_settings
from django.urls import resolve, reverse

from ecomcms import inference
from tests.permissions_matrix import (
    AGENT,
    ANONYMOUS,
    EDITOR,
    KNOWN_FAILURES,
    KWARGS,
    PRINCIPALS,
    SEES_TICKETS,
    SEES_UNPUBLISHED_TEXT,
    SUPERUSER,
    TOKEN_WITH_SCOPE,
    TOKEN_WITHOUT_SCOPE,
    WRITER,
)
from tests.permissions_routes import (
    OBJECT_KWARGS,
    ActionCase,
    Probe,
    all_admin_models,
    build_path,
    classify_actions,
    classify_routes,
    kwarg_names,
    positional_count,
    stale_entries,
    view_methods,
    walk,
)

# Secret text planted in the data. None of it may reach a principal outside its audience.
UNPUBLISHED = "UNPUBLISHEDDRAFTQX"  # in a draft in review (AI and editor text), its events, a template preview
TICKET = "CUSTOMERTICKETQX"  # in customer A's ticket: subject and message
OTHER_TICKET = "OTHERCUSTOMERQX"  # in customer B's ticket
STAFF_ONLY = "STAFFONLYNOTEQX"  # an internal note and a suggested reply on customer A's ticket
AUDIENCES = {UNPUBLISHED: SEES_UNPUBLISHED_TEXT, TICKET: SEES_TICKETS, OTHER_TICKET: SEES_TICKETS,
             STAFF_ONLY: SEES_TICKETS}

DENIED = "denied"
ALLOWED = "allowed"
VIEW = "view"
CHANGE = "change"
REFUSAL = re.compile(r"\bmay not\b|\bnot allowed\b|\bpermission\b|No action selected", re.IGNORECASE)

FOUND = walk()
PROBES, UNCLASSIFIED_ROUTES = classify_routes(FOUND)
ACTIONS, UNCLASSIFIED_ACTIONS = classify_actions()


# --- The world: built once, rolled back at the end of the module ------------------------------------

@dataclass
class World:
    sessions: dict = field(default_factory=dict)  # principal -> session key
    tokens: dict = field(default_factory=dict)  # frozenset(scopes) -> secret
    objects: dict = field(default_factory=dict)  # "app.model" -> pk of the object admin routes and actions use
    product_slug: str = ""
    product_sku: str = ""
    draft_id: int = 0
    draft_content_type: int = 0
    suggestion_id: int = 0
    ticket_public_id: str = ""
    ticket_token: str = ""
    other_ticket_public_id: str = ""
    other_ticket_token: str = ""
    attachment_id: int = 0
    customer_id: str = "perm-customer"
    session_id: str = "perm-session"
    missing_admin_path: str = "no-such-page/"
    cms: dict = field(default_factory=dict)  # ids of a CMS page and its parts, when the CMS is installed


def _build_world() -> World:
    from content import services as content_services
    from content.models import BannedPhrase, DraftEvent, Review, TemplatePreview
    from ecomcms.models import Adapter
    from recommender.models import Event, MerchandisingRule, ModelActivation, ModelVersion, ShopSetting
    from storefront.models import Experiment, ExperimentVariant, Scope
    from storefront.services import token_create
    from support import services as support_services
    from support.models import InboundEmail, IntentLabel, PriorityRule, ReplySuggestion, Ticket
    from tests.content.factories import make_product
    from tests.storefront.factories import make_draft, publish
    from tests.support.factories import make_knowledge, make_taxonomy, make_ticket

    world = World()
    users = {
        WRITER: _user("perm-writer", "Writers"), EDITOR: _user("perm-editor", "Editors"),
        AGENT: _user("perm-agent", "Support agents"),
        SUPERUSER: User.objects.create_superuser("perm-superuser", "root@example.com", "pw"),
    }
    for principal, user in users.items():
        client = Client()
        client.force_login(user)
        world.sessions[principal] = client.cookies[settings.SESSION_COOKIE_NAME].value
    scopes = set(Scope.values)
    for subset in [set(), scopes] + [{s} for s in scopes] + [scopes - {s} for s in scopes]:
        world.tokens[frozenset(subset)] = token_create(name=f"perm {sorted(subset)}", scopes=sorted(subset))[1]

    # Content: a published product, a draft in review carrying the secret, and one of everything else.
    product = make_product(sku="SKU-PERM", slug="perm-shirt", title="Permission shirt")
    publish(product, "The published description.")
    draft = make_draft(product, text=f"{UNPUBLISHED} AI text", kind="seo_title")
    draft.editor_text = f"{UNPUBLISHED} editor text"
    draft.save()
    DraftEvent.objects.create(draft=draft, to_status=draft.status, comment=f"{UNPUBLISHED} comment")
    TemplatePreview.objects.create(template=draft.template, product=product, text=f"{UNPUBLISHED} preview",
                                   status=TemplatePreview.Status.DONE)
    content_services.drafts_request(products=[make_product(slug="perm-other")], kind="description", actor=None)
    Review.objects.create(product=product, external_id="r-1", rating=5, title="Great", body="Fits well")
    BannedPhrase.objects.create(phrase="best ever")
    world.product_slug, world.product_sku, world.draft_id = product.slug, product.sku, draft.pk
    arms = [make_draft(product, text=f"Approved variant {label}.", status="approved") for label in "AB"]
    experiment = Experiment.objects.create(product=product, kind="description", started_at="2026-01-01T00:00:00Z")
    for label, arm in zip("AB", arms):
        ExperimentVariant.objects.create(experiment=experiment, product=product, kind="description", label=label,
                                         draft=arm, text=arm.ai_text)
    world.draft_content_type = ContentType.objects.get_for_model(draft).pk
    from content.revisions import copy_revision_report

    copy_revision_report(product=product, source="T-PERM", text="The page said size 42; it is a 40.")

    # Support: customer A's ticket (waiting for a person's triage, with a note and a suggestion), customer B's.
    make_taxonomy()
    make_knowledge()
    PriorityRule.objects.create(name="Angry", priority="high", keywords=["angry"])
    ticket, world.ticket_token = make_ticket(subject=f"Parcel {TICKET}", body=f"Where is my parcel? {TICKET}",
                                             email="anna@example.com", customer_id="cust-a")
    Ticket.objects.filter(pk=ticket.pk).update(needs_human_triage=True, triage_status="done")  # unsure too
    support_services.ticket_reply(ticket=ticket, actor=None, body=f"{STAFF_ONLY} note", internal=True)
    from support.models import Attachment

    world.attachment_id = Attachment.objects.create(  # a file a customer emailed: readable by support only
        ticket=ticket, message=ticket.messages.order_by("pk").first(), filename="receipt.txt",
        content_type="text/plain", size=len(TICKET), sha256="0" * 64, data=TICKET.encode()).pk
    suggestion = ReplySuggestion.objects.create(ticket=ticket, status="ready", text=f"{STAFF_ONLY} suggested reply")
    other, world.other_ticket_token = make_ticket(subject=f"Refund {OTHER_TICKET}", body=f"My refund {OTHER_TICKET}",
                                                  email="bert@example.com", customer_id="cust-b")
    IntentLabel.objects.create(ticket=ticket, text="where is my parcel", intent="track_order", source="staff")
    InboundEmail.objects.create(message_key="perm-1@example.com", fingerprint="0" * 64, from_address="anna@example.com",
                                subject=f"Parcel {TICKET}", outcome="ticket", ticket=ticket)
    Adapter.objects.create(purpose="support.intent", version=1, status="ready", path="none")
    from support.models import ArticleSuggestion

    ArticleSuggestion.objects.create(title="Gap", best_score=0.1, cohesion=0.9)
    world.ticket_public_id, world.other_ticket_public_id = ticket.public_id, other.public_id
    world.suggestion_id = suggestion.pk

    # Monitoring: a reviewed, negative week's alert, and the superuser's subscription to the brand.
    from insights.models import Alert, Subscription

    Alert.objects.create(scope="brand", key="Perm", label="Perm", brand="Perm", week="2026-01-05",
                         metric="share_negative", value=0.5, baseline=0.1, z=4.2, count=20)
    Subscription.objects.create(user=users[SUPERUSER], brand="Perm")

    # Runtime: a fine-tuning run and its activation.
    from ecomcms.models import Adapter, AdapterActivation

    adapter = Adapter.objects.create(purpose="content.copy", version=1, status="ready")
    AdapterActivation.objects.create(purpose="content.copy", kind="activate", to_adapter=adapter)

    # Recommender: events, a version that was active, the settings row, a rule.
    Event.objects.create(source="test", client_id="perm-e1", type="purchase", product=product,
                         customer_id=world.customer_id, session_id=world.session_id, order_id="o-1",
                         occurred_at="2026-01-01T00:00:00Z")
    version = ModelVersion.objects.create(name="perm version", status="ready")
    ModelActivation.objects.create(kind="activate", to_version=version)
    MerchandisingRule.objects.create(product=product, action="boost", weight=0.5)
    ShopSetting.load()

    # Lockouts and the privacy audit trail.
    from axes.models import AccessAttempt, AccessFailureLog

    from privacy.models import CustomerDataRequest

    attempt = {"user_agent": "test", "ip_address": "10.0.0.1", "username": "perm-writer", "http_accept": "*/*",
               "path_info": "/admin/login/"}
    AccessAttempt.objects.create(**attempt, get_data="", post_data="", failures_since_start=1)
    AccessFailureLog.objects.create(**attempt)
    CustomerDataRequest.objects.create(kind="export", via="code", tickets=[other.public_id])

    preferred = {}
    if apps.is_installed("cms"):
        preferred.update(_build_cms_page(world, product, users[SUPERUSER]))

    preferred |= {
        "ecomcms_content.draft": draft.pk,
        "ecomcms_support.ticket": ticket.pk,
        "ecomcms_support.replysuggestion": suggestion.pk,
        "auth.user": users[WRITER].pk,
        "auth.group": Group.objects.get(name="Writers").pk,
        "ecomcms_content.product": product.pk,
    }
    request = RequestFactory().get("/")
    request.user = users[SUPERUSER]
    for label, (_site, model_admin) in all_admin_models().items():
        queryset = model_admin.get_queryset(request)
        concrete = model_admin.opts.concrete_model._meta
        pk = preferred.get(f"{concrete.app_label}.{concrete.model_name}")
        if pk is None or not queryset.filter(pk=pk).exists():
            first = queryset.order_by("pk").first()
            pk = first.pk if first else None
        world.objects[label] = pk
    return world


def _build_cms_page(world: World, product, superuser) -> dict:
    """A CMS page showing the product's copy of the kind whose only text is the unpublished draft."""
    from cms.api import add_plugin, create_page
    from cms.models import UserSettings

    language = settings.LANGUAGE_CODE
    home = create_page("Home", "cmsplugins/page.html", language, slug="home")
    home.set_as_homepage()
    home_placeholder = home.get_content_obj(language).get_placeholders().get(slot="content")
    page = create_page("Permission page", "cmsplugins/page.html", language, slug="perm-page")
    content = page.get_content_obj(language)
    placeholder = content.get_placeholders().get(slot="content")
    plugin = add_plugin(placeholder, "ProductCopyPlugin", language, product=product, kind="seo_title")
    user_settings = UserSettings.objects.create(user=superuser, language=language)
    world.cms = {"page": page.pk, "content": content.pk, "placeholder": placeholder.pk, "plugin": plugin.pk,
                 "home": home.pk, "home_placeholder": home_placeholder.pk,
                 "language": language, "slug": "perm-page", "usersettings": user_settings.pk,
                 "content_type": ContentType.objects.get_for_model(content).pk}
    return {"cms.page": page.pk, "cms.pagecontent": content.pk}


def _user(username: str, group: str) -> User:
    user = User.objects.create_user(username, password="pw", is_staff=True)
    user.groups.add(Group.objects.get(name=group))
    return user


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    # What the fake_models fixture (tests/conftest.py) does, once for the module rather than for each of its
    # thousands of cases; and no email leaves the process.
    with override_settings(ECOMCMS_TEXT_BACKEND="ecomcms.inference.fake.FakeGenerator",
                           ECOMCMS_EMBEDDING_BACKEND="ecomcms.inference.fake.FakeEmbedder",
                           EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
        inference.reset()
        with django_db_blocker.unblock():
            atomic = transaction.atomic()
            atomic.__enter__()
            try:
                yield _build_world()
            finally:
                transaction.set_rollback(True)
                atomic.__exit__(None, None, None)
        inference.reset()


@pytest.fixture(autouse=True)
def no_throttle_counts():
    """Throttle counters live in the cache: no case inherits another's."""
    cache.clear()


# --- Calling a route as a principal ----------------------------------------------------------

def required_scope(callback) -> str:
    view_class = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
    return str(getattr(view_class, "required_scope", "") or "")


def client_as(world: World, principal: str, scope: str = "") -> Client:
    """A client that is ``principal``; a token principal's scopes depend on what the endpoint needs."""
    all_scopes = max(world.tokens, key=len)
    if principal == TOKEN_WITH_SCOPE:
        return Client(headers={"Authorization": f"Bearer {world.tokens[frozenset({scope}) if scope else all_scopes]}"})
    if principal == TOKEN_WITHOUT_SCOPE:
        scopes = all_scopes - {scope} if scope else frozenset()
        return Client(headers={"Authorization": f"Bearer {world.tokens[scopes]}"})
    client = Client()
    if principal in world.sessions:
        client.cookies[settings.SESSION_COOKIE_NAME] = world.sessions[principal]
    return client


def path_values(world: World, probe: Probe) -> dict:
    values = dict(probe.extra_kwargs)
    if probe.route and probe.route.kwargs:
        values.update(probe.route.kwargs(world))
    for name in kwarg_names(probe.found):
        if name in values:
            continue
        if name in OBJECT_KWARGS and probe.model:
            pk = world.objects.get(probe.model)
            assert pk is not None, f"no {probe.model} object to call {probe.label} with: add one to the world"
            values[name] = pk
        elif name in KWARGS:
            values[name] = getattr(world, KWARGS[name])
        else:
            pytest.fail(f"{probe.label} takes {name!r}: add where its value comes from to KWARGS")
    return values


def path_for(world: World, probe: Probe) -> str:
    args = probe.route.args(world) if probe.route and probe.route.args else ()
    if len(args) != positional_count(probe.found):
        pytest.fail(f"{probe.label} has {positional_count(probe.found)} unnamed groups: give their values in "
                    f"Route(args=...)")
    return build_path(probe.found, path_values(world, probe), args)


def query_for(world: World, probe: Probe) -> dict:
    query = dict(probe.query)
    extra = probe.route.query if probe.route else None
    query.update((extra(world) if callable(extra) else extra) or {})
    return query


def is_login(location: str) -> bool:
    path = urlparse(location).path
    return path in {reverse("admin:login"), settings.LOGIN_URL}


def body_of(response) -> str:
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return content.decode(errors="replace") + "".join(f"{k}: {v}" for k, v in response.items())


def messages_of(response) -> list[str]:
    storage = getattr(response.wsgi_request, "_messages", None)
    return [str(message) for message in storage] if storage is not None else []


@dataclass
class Outcome:
    result: str  # allowed, view, change, denied, or what went wrong
    responses: list
    detail: str = ""


def status_outcome(response, ok: tuple = ()) -> str:
    code = response.status_code
    if code in (401, 403, 404):
        return DENIED
    if 200 <= code < 400 or code == 409 or code in ok:
        return ALLOWED
    return f"unexpected {code}"


def call(client: Client, probe: Probe, path: str, body, query: dict) -> Outcome:
    route = probe.route
    headers = (route.headers if route else None) or {}
    refusal = re.compile(route.refusal) if route and route.refusal else None
    if probe.method == "GET":
        responses = [client.get(path, query, headers=headers)]
        if route and not route.follow:
            return Outcome(status_outcome(responses[0], route.ok), responses)
        # Follow redirects within the site (the admin's <id>/ -> change page, a queue -> the draft page),
        # but not to the login page: that is the answer.
        while responses[-1].status_code in (301, 302, 303, 307, 308) and len(responses) < 5:
            location = responses[-1]["Location"]
            if is_login(location):
                return Outcome(DENIED, responses, "login")
            if urlparse(location).path == urlparse(responses[-1].wsgi_request.get_full_path()).path:
                break
            responses.append(client.get(location))
        final = responses[-1]
        result = status_outcome(final, route.ok if route else ())
        if result == ALLOWED and refusal and 200 <= final.status_code < 300 and refusal.search(body_of(final)):
            return Outcome(DENIED, responses, "refused in the body")
        if result == ALLOWED and probe.view_or_change is not None:
            context = final.context or {}
            result = CHANGE if "has_change_permission" in context and context["has_change_permission"] else VIEW
        return Outcome(result, responses)
    if probe.found.site is not None:  # an admin form
        response = client.generic(probe.method, path + ("?" + urlencode(query) if query else ""),
                                  urlencode(body or {}, doseq=True), content_type="application/x-www-form-urlencoded",
                                  headers=headers)
    else:
        response = client.generic(probe.method, path + ("?" + urlencode(query) if query else ""),
                                  json.dumps(body if body is not None else {}), content_type="application/json",
                                  headers=headers)
    if response.status_code in (301, 302, 303) and is_login(response["Location"]):
        return Outcome(DENIED, [response], "login")
    refusals = [m for m in messages_of(response) if REFUSAL.search(m)]
    if refusals:
        return Outcome(DENIED, [response], "; ".join(refusals))
    if refusal and 200 <= response.status_code < 300 and refusal.search(body_of(response)):
        return Outcome(DENIED, [response], "refused in the body")
    return Outcome(status_outcome(response, route.ok if route else ()), [response])


def expected(probe: Probe, principal: str) -> str:
    if probe.view_or_change is not None:
        view, change = probe.view_or_change
        return CHANGE if principal in change else VIEW if principal in view else DENIED
    return ALLOWED if principal in probe.allowed else DENIED


def assert_no_secrets(principal: str, label: str, responses) -> None:
    for response in responses:
        text = body_of(response)
        for secret, audience in AUDIENCES.items():
            assert principal in audience or secret not in text, (
                f"{label} as {principal} shows {secret} (only {sorted(audience)} may see it): "
                f"{response.status_code} {text[max(0, text.find(secret) - 200):text.find(secret) + 100]!r}")


# --- The matrix --------------------------------------------------------------------------------

def _case(label: str, *values):
    marks = [pytest.mark.xfail(strict=True, reason=KNOWN_FAILURES[label])] if label in KNOWN_FAILURES else []
    return pytest.param(*values, id=label, marks=marks)


ROUTE_CASES = [_case(f"{probe.label} as {principal}", probe, principal) for probe in PROBES for principal in PRINCIPALS]
ACTION_CASES = [_case(f"{case.label} as {principal}", case, principal) for case in ACTIONS for principal in PRINCIPALS]


@pytest.mark.django_db
@pytest.mark.parametrize("probe, principal", ROUTE_CASES)
def test_route(world, probe: Probe, principal: str):
    client = client_as(world, principal, required_scope(probe.found.callback))
    path = path_for(world, probe)
    match = resolve(path)
    assert match.func is probe.found.callback, f"{path} resolves to {match.view_name or match.func}, not {probe.label}"
    body = probe.route.body if probe.route else None
    body = body(world) if callable(body) else body

    outcome = call(client, probe, path, body, query_for(world, probe))

    want = expected(probe, principal)
    got = outcome.result
    assert got == want or (want == ALLOWED and got in (VIEW, CHANGE)), (
        f"{probe.label} as {principal}: expected {want}, got {got} "
        f"({' -> '.join(str(r.status_code) for r in outcome.responses)} {outcome.detail})".rstrip())
    assert_no_secrets(principal, probe.label, outcome.responses)


@pytest.mark.django_db
@pytest.mark.parametrize("case, principal", ACTION_CASES)
def test_admin_action(world, monkeypatch, case: ActionCase, principal: str):
    site, model_admin = all_admin_models()[case.model]
    pk = world.objects[case.model]
    assert pk is not None, f"no {case.model} object to run {case.action} on: add one to the world"
    ran = []
    get_actions = model_admin.get_actions

    def recording(request):
        def wrap(func, name):
            def action(modeladmin, request, queryset):
                ran.append(name)
                return func(modeladmin, request, queryset)
            return action
        return {name: (wrap(func, name), name, description)
                for name, (func, _name, description) in get_actions(request).items()}

    monkeypatch.setattr(model_admin, "get_actions", recording)
    app_label, model_name = case.model.split(".")
    changelist = reverse(f"{site.name}:{app_label}_{model_name}_changelist")

    response = client_as(world, principal).post(changelist, {"action": case.action, "_selected_action": [pk]})

    messages = messages_of(response)
    refusals = [m for m in messages if REFUSAL.search(m)]
    if response.status_code in (301, 302) and is_login(response["Location"]):
        got, why = DENIED, "login"
    elif response.status_code in (401, 403, 404):
        got, why = DENIED, str(response.status_code)
    elif case.action not in ran:
        got, why = DENIED, f"the action did not run ({response.status_code} {messages})"
    elif refusals:
        got, why = DENIED, "; ".join(refusals)
    elif response.status_code < 400:
        got, why = ALLOWED, f"{response.status_code} {messages}"
    else:
        got, why = f"unexpected {response.status_code}", str(messages)
    want = ALLOWED if principal in case.allowed else DENIED
    assert got == want, f"{case.label} as {principal}: expected {want}, got {got} ({why})"
    assert_no_secrets(principal, case.label, [response])


def test_every_route_and_action_is_classified():
    problems = UNCLASSIFIED_ROUTES + UNCLASSIFIED_ACTIONS
    assert not problems, "\n".join(problems)


def test_every_matrix_entry_still_matches_something():
    stale = stale_entries(FOUND, ACTIONS)
    assert not stale, "\n".join(stale)


def test_the_matrix_size(capsys):
    """Prints the size of the matrix (routes, actions, principals, checks) in the test run's output."""
    routes = {probe.found.pattern for probe in PROBES}
    summary = (f"permission matrix: {len(FOUND)} URL patterns found, {len(routes)} of them probed as "
               f"{len(PROBES)} requests; {len(ACTIONS)} admin actions; {len(PRINCIPALS)} principals: "
               f"{len(ROUTE_CASES)} route checks + {len(ACTION_CASES)} action checks = "
               f"{len(ROUTE_CASES) + len(ACTION_CASES)} (+ {2 * len(TICKET_ROUTES)} ticket-token checks)")
    with capsys.disabled():
        print("\n" + summary)
    assert PROBES and ACTIONS, summary


# --- Customers' tickets --------------------------------------------------------------------------

TICKET_ROUTES = [found for found in FOUND if "public_id" in kwarg_names(found)]


@pytest.mark.django_db
@pytest.mark.parametrize("found", [pytest.param(f, id=f.pattern) for f in TICKET_ROUTES])
@pytest.mark.parametrize("header", ["X-Ticket-Token", "Authorization"])
def test_a_ticket_token_opens_no_other_ticket(world, found, header):
    """Customer A's access token, on customer B's ticket, by every route that takes a ticket id: refused."""
    token = world.ticket_token if header == "X-Ticket-Token" else f"Bearer {world.ticket_token}"
    client = Client(headers={header: token})
    path = build_path(found, {"public_id": world.other_ticket_public_id})
    for method in view_methods(found.callback):
        response = client.generic(method, path, json.dumps({"message": "hello", "status": "open"}),
                                  content_type="application/json")

        assert response.status_code in (401, 403, 404), f"{method} {path}: {response.status_code}"
        assert OTHER_TICKET not in body_of(response)


@pytest.mark.django_db
def test_a_customer_reads_and_answers_their_own_ticket_but_sees_no_staff_notes(world):
    """The other side of the test above: the token does open its own ticket, so those refusals mean something."""
    client = Client(headers={"X-Ticket-Token": world.ticket_token})

    read = client.get(reverse("api-ticket", args=[world.ticket_public_id]))
    answer = client.post(reverse("api-ticket-messages", args=[world.ticket_public_id]), {"message": "Any news?"},
                         content_type="application/json")

    assert read.status_code == 200 and answer.status_code == 201
    text = body_of(read)
    assert TICKET in text
    assert STAFF_ONLY not in text and OTHER_TICKET not in text


@pytest.mark.django_db
def test_the_secrets_are_really_there_for_their_audience(world):
    """Guards the matrix against passing vacuously: each secret shows where its audience looks."""
    editor = client_as(world, EDITOR)
    agent = client_as(world, AGENT)

    draft_page = body_of(editor.get(reverse("admin:ecomcms_content_draft_change", args=[world.draft_id])))
    staff_drafts = body_of(editor.get(reverse("api-staff-drafts")))
    ticket_page = body_of(
        agent.get(reverse("admin:ecomcms_support_ticket_change", args=[world.objects["ecomcms_support.ticket"]]))
    )
    other_ticket = body_of(agent.get(reverse("api-staff-ticket", args=[world.other_ticket_public_id])))

    assert UNPUBLISHED in draft_page and UNPUBLISHED in staff_drafts
    assert TICKET in ticket_page and STAFF_ONLY in ticket_page
    assert OTHER_TICKET in other_ticket
    assert ANONYMOUS not in SEES_UNPUBLISHED_TEXT | SEES_TICKETS

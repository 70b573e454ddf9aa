"""Who may use what: the expectations of the permission matrix (tests/test_permissions.py).

Every URL pattern of the project and every admin action is found by walking the
URL resolver and the admin registry; each one must be classified here, or the
matrix fails with "unclassified route X: add it to the matrix". Rules keep the
table short:

- Admin model views (changelist, add, change, history, delete, the ``<id>/``
  redirect) and the ``delete_selected`` action follow ``ADMIN_MODELS``: who may
  view, add, change and delete that model (the change page must be read-only for
  those who may only view). Anonymous callers and storefront tokens never get past
  the admin's login.
- Admin actions other than ``delete_selected`` are listed in ``ADMIN_ACTIONS``.
- Every other route (API endpoints, custom admin views, the admin site's own
  pages) is listed in ``ROUTES`` by URL name (or by its pattern when it has none);
  an entry there also overrides the rule for one admin model view.

"Allowed" means the request got past the permission gate (2xx, 3xx to the same
place, or a refusal that only the object's state explains, e.g. 409). "Denied"
is 401, 403, 404 or the admin's login page. The table states what the roles are
meant to do (README "Roles are groups", docs/support.md "Roles"); it is not
derived from content/roles.py or support/roles.py, so widening a role fails here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.apps import apps

ANONYMOUS = "anonymous"
TOKEN_WITHOUT_SCOPE = "token-without-scope"  # a storefront token lacking the endpoint's scope (all the others)
TOKEN_WITH_SCOPE = "token-with-scope"  # a storefront token with exactly the endpoint's scope (all, if it needs none)
WRITER = "writer"  # group Writers
EDITOR = "editor"  # group Editors
AGENT = "agent"  # group Support agents
SUPERUSER = "superuser"

PRINCIPALS = (ANONYMOUS, TOKEN_WITHOUT_SCOPE, TOKEN_WITH_SCOPE, WRITER, EDITOR, AGENT, SUPERUSER)

NOBODY: frozenset[str] = frozenset()
EVERYONE = frozenset(PRINCIPALS)
STAFF = frozenset({WRITER, EDITOR, AGENT, SUPERUSER})
ONLY_SUPERUSER = frozenset({SUPERUSER})
CONTENT = frozenset({WRITER, EDITOR, SUPERUSER})  # writers read all content and request and edit drafts
EDITORS = frozenset({EDITOR, SUPERUSER})  # editors also decide, publish, and run templates and the catalogue
SUPPORT = frozenset({AGENT, SUPERUSER})  # agents handle tickets and the knowledge base
SCOPED_TOKEN = frozenset({TOKEN_WITH_SCOPE})
PUBLIC = EVERYONE - {TOKEN_WITHOUT_SCOPE}  # no credentials needed, but a token sent must carry the scope

# Who may see which secret text (tests/test_permissions.py plants each in the data and looks for it
# in every response of the matrix).
SEES_UNPUBLISHED_TEXT = CONTENT
SEES_TICKETS = SUPPORT


@dataclass(frozen=True)
class Ops:
    """Who may view, add, change and delete one model in the admin."""

    view: frozenset[str]
    add: frozenset[str] = NOBODY
    change: frozenset[str] = NOBODY
    delete: frozenset[str] = NOBODY


ADMIN_MODELS: dict[str, Ops] = {
    # Content: writers read everything and edit drafts; editors also keep the catalogue, the templates
    # and the banned phrases. Drafts are never added or deleted by hand; published copy is history.
    "ecomcms_content.product": Ops(view=CONTENT, add=EDITORS, change=EDITORS, delete=ONLY_SUPERUSER),
    "ecomcms_content.review": Ops(view=CONTENT, add=ONLY_SUPERUSER, change=ONLY_SUPERUSER, delete=ONLY_SUPERUSER),
    "ecomcms_content.prompttemplate": Ops(view=CONTENT, add=EDITORS, change=EDITORS, delete=ONLY_SUPERUSER),
    "ecomcms_content.templatepreview": Ops(view=CONTENT, delete=ONLY_SUPERUSER),
    "ecomcms_content.generationjob": Ops(view=CONTENT, delete=ONLY_SUPERUSER),
    "ecomcms_content.draft": Ops(view=CONTENT, change=CONTENT),
    "ecomcms_content.reviewqueue": Ops(view=CONTENT, change=CONTENT),
    "ecomcms_content.editordecisions": Ops(view=CONTENT),  # the read-only report page
    "ecomcms_content.copyrevision": Ops(view=CONTENT),  # opened by support tickets, read-only
    # Fine-tuning runs are an operator's tool: train, activate and roll back are superusers' (ecomcms.*_adapter).
    "ecomcms.adapter": Ops(view=ONLY_SUPERUSER, add=ONLY_SUPERUSER, delete=ONLY_SUPERUSER),
    "ecomcms.adapteractivation": Ops(view=ONLY_SUPERUSER),
    # A/B tests of copy: everyone in content reads them; starting one is an editor's publish.
    "ecomcms_storefront.experiment": Ops(view=CONTENT, add=EDITORS, delete=ONLY_SUPERUSER),
    "ecomcms_content.publishedcopy": Ops(view=CONTENT),
    "ecomcms_content.bannedphrase": Ops(view=CONTENT, add=EDITORS, change=EDITORS, delete=EDITORS),
    "ecomcms_content.attributeterm": Ops(view=CONTENT, add=EDITORS, change=EDITORS, delete=EDITORS),
    # Support: agents handle tickets and write the knowledge base; configuration (queues, intents,
    # rules, classifier models) is for support leads, a group not in this matrix, and superusers.
    "ecomcms_support.queue": Ops(view=SUPPORT, add=ONLY_SUPERUSER, change=ONLY_SUPERUSER, delete=ONLY_SUPERUSER),
    "ecomcms_support.intent": Ops(view=SUPPORT, add=ONLY_SUPERUSER, change=ONLY_SUPERUSER, delete=ONLY_SUPERUSER),
    "ecomcms_support.priorityrule": Ops(view=SUPPORT, add=ONLY_SUPERUSER, change=ONLY_SUPERUSER, delete=ONLY_SUPERUSER),
    "ecomcms_support.knowledgearticle": Ops(view=SUPPORT, add=SUPPORT, change=SUPPORT, delete=ONLY_SUPERUSER),
    "ecomcms_support.cannedresponse": Ops(view=SUPPORT, add=SUPPORT, change=SUPPORT, delete=ONLY_SUPERUSER),
    "ecomcms_support.ticket": Ops(view=SUPPORT, change=SUPPORT),
    "ecomcms_support.triagequeue": Ops(view=SUPPORT, change=SUPPORT),
    "ecomcms_support.replysuggestion": Ops(view=SUPPORT, delete=ONLY_SUPERUSER),
    "ecomcms_support.suggestionrates": Ops(view=SUPPORT),
    "ecomcms_support.inboundemail": Ops(view=SUPPORT),  # written by the mailbox poll, read-only
    "ecomcms_support.intentlabel": Ops(view=SUPPORT, change=ONLY_SUPERUSER, delete=ONLY_SUPERUSER),
    # The unsure queue: agents set intents there (one step, a label); versions of the classifier are operators'
    # (ecomcms.adapter, purpose support.intent).
    "ecomcms_support.unsureticket": Ops(view=SUPPORT, change=SUPPORT),  # change: the ticket page it leads to
    "ecomcms_support.articlesuggestion": Ops(view=SUPPORT),  # written by the services, decided by actions
    # Monitoring: every staff role reads the dashboard and the alerts (no ticket text is shown there) and follows
    # brands or categories; each changes and deletes only their own subscription (the matrix's row is another's).
    "ecomcms_insights.alert": Ops(view=STAFF),
    "ecomcms_insights.subscription": Ops(view=STAFF, add=STAFF, change=ONLY_SUPERUSER, delete=ONLY_SUPERUSER),
    # Recommender, storefront tokens and accounts: no role is given them; superusers only.
    "ecomcms_recommender.modelversion": Ops(view=ONLY_SUPERUSER, change=ONLY_SUPERUSER, delete=ONLY_SUPERUSER),
    "ecomcms_recommender.modelactivation": Ops(view=ONLY_SUPERUSER),
    "ecomcms_recommender.merchandisingrule": Ops(view=ONLY_SUPERUSER, add=ONLY_SUPERUSER, change=ONLY_SUPERUSER,
                                         delete=ONLY_SUPERUSER),
    "ecomcms_recommender.shopsetting": Ops(view=ONLY_SUPERUSER, change=ONLY_SUPERUSER),
    "ecomcms_recommender.event": Ops(view=ONLY_SUPERUSER, delete=ONLY_SUPERUSER),
    "ecomcms_storefront.storefronttoken": Ops(view=ONLY_SUPERUSER, add=ONLY_SUPERUSER, change=ONLY_SUPERUSER,
                                      delete=ONLY_SUPERUSER),
    # Customer data requests: the audit trail of exports and erasures; privacy officers (a group not in this
    # matrix) and superusers read it, nobody edits it.
    "ecomcms_privacy.customerdatarequest": Ops(view=ONLY_SUPERUSER),
    # Login lockouts (django-axes): superusers read them and lift one by deleting its attempt.
    "axes.accessattempt": Ops(view=ONLY_SUPERUSER, change=ONLY_SUPERUSER, delete=ONLY_SUPERUSER),
    "axes.accesslog": Ops(view=ONLY_SUPERUSER, change=ONLY_SUPERUSER, delete=ONLY_SUPERUSER),
    "axes.accessfailurelog": Ops(view=ONLY_SUPERUSER, change=ONLY_SUPERUSER, delete=ONLY_SUPERUSER),
    "auth.user": Ops(view=ONLY_SUPERUSER, add=ONLY_SUPERUSER, change=ONLY_SUPERUSER, delete=ONLY_SUPERUSER),
    "auth.group": Ops(view=ONLY_SUPERUSER, add=ONLY_SUPERUSER, change=ONLY_SUPERUSER, delete=ONLY_SUPERUSER),
}

# "<app_label>.<model_name>:<action>" -> who may run it. delete_selected follows ADMIN_MODELS[...].delete.
ADMIN_ACTIONS: dict[str, frozenset[str]] = {
    "ecomcms_content.product:generate_drafts": CONTENT,
    "ecomcms_content.prompttemplate:activate": EDITORS,
    "ecomcms_content.draft:bulk_approve": EDITORS,
    "ecomcms_content.draft:retry_failed": CONTENT,  # retrying is requesting generation again
    "ecomcms.adapter:activate": ONLY_SUPERUSER,
    "ecomcms.adapter:rollback": ONLY_SUPERUSER,
    "ecomcms_content.reviewqueue:bulk_approve": EDITORS,
    "ecomcms_content.reviewqueue:retry_failed": CONTENT,
    "ecomcms_support.ticket:assign_selected": SUPPORT,
    "ecomcms_support.ticket:retriage_selected": SUPPORT,
    "ecomcms_support.ticket:solve_selected": SUPPORT,
    "ecomcms_support.triagequeue:assign_selected": SUPPORT,
    "ecomcms_support.triagequeue:retriage_selected": SUPPORT,
    "ecomcms_support.triagequeue:solve_selected": SUPPORT,
    # Exporting or erasing a customer is a privacy officer's decision, never a support agent's (privacy/roles.py).
    "ecomcms_support.ticket:export_customer_data": ONLY_SUPERUSER,
    "ecomcms_support.ticket:erase_customer_data": ONLY_SUPERUSER,
    "ecomcms_support.triagequeue:export_customer_data": ONLY_SUPERUSER,
    "ecomcms_support.triagequeue:erase_customer_data": ONLY_SUPERUSER,
    "ecomcms_support.articlesuggestion:approve_selected": ONLY_SUPERUSER,  # and support leads
    "ecomcms_support.articlesuggestion:reject_selected": ONLY_SUPERUSER,  # and support leads
    "ecomcms_recommender.modelversion:activate": ONLY_SUPERUSER,
    "ecomcms_recommender.modelversion:roll_back": ONLY_SUPERUSER,
    "ecomcms_recommender.modelversion:train_now": ONLY_SUPERUSER,
    "ecomcms_storefront.storefronttoken:revoke": ONLY_SUPERUSER,
}


Body = Callable[["object"], dict] | dict | None


@dataclass(frozen=True)
class Route:
    """How to call one route and who may.

    ``allowed``: the principals that get past its permission gate. ``method``: the
    method to probe with (default: what the view implements, GET first). ``body``:
    a dict, or a function of the test world returning one (JSON for the API, a form
    for the admin). ``ok``: statuses that count as allowed besides 2xx, 3xx and 409.
    """

    allowed: frozenset[str] = NOBODY
    method: str | None = None
    body: Body = None
    ok: tuple[int, ...] = ()
    note: str = ""
    args: Callable | None = None  # world -> values of the pattern's unnamed groups, in order
    kwargs: Callable | None = None  # world -> values of named groups, where KWARGS' would be wrong
    query: Body = None  # query parameters: a dict, or a function of the world
    derived: str = ""  # "app_list" or "autocomplete": who may is derived from ADMIN_MODELS, per app or field
    headers: dict | None = None  # request headers
    follow: bool = True  # follow redirects (GET) to see where they lead
    refusal: str = ""  # a regex: a 2xx whose body matches it is a refusal (views that answer "no" with a 200)


def _event(world) -> dict:
    return {"events": [{"id": "perm-1", "type": "view", "product": world.product_slug, "session_id": "perm-s",
                        "occurred_at": "2026-01-01T00:00:00Z"}]}


ROUTES: dict[str, Route] = {
    # --- the project ---
    "healthz": Route(EVERYONE, ok=(503,), note="503 while no worker has loaded the models"),
    "healthz-ready": Route(EVERYONE, ok=(503,), note="the same readiness probe as /healthz"),
    "healthz-live": Route(EVERYONE, note="liveness: the web process answers"),
    "metrics": Route(NOBODY, note="Prometheus: 404 unless METRICS_TOKEN or METRICS_ALLOWED_NETWORKS is set, then 403 "
                                  "without the bearer token or an allowed address (tests/ecomcms/test_metrics.py)"),
    "favicon": Route(EVERYONE, follow=False, note="a redirect to the static icon"),
    "home": Route(EVERYONE, follow=False, note="a redirect to a public CMS page or the admin"),
    "api-schema": Route(EVERYONE),
    "api-docs": Route(EVERYONE),
    "api-not-found": Route(NOBODY, note="any other /api/v1/ path: a JSON 404"),
    # --- storefront catalogue and recommendations: public, but a token sent needs the scope ---
    "api-products": Route(PUBLIC),
    "api-product": Route(PUBLIC),
    "api-categories": Route(PUBLIC),
    "api-recommendations-session": Route(SCOPED_TOKEN, note="names what a session viewed and bought (issue 13)"),
    "api-recommendations-similar": Route(PUBLIC),
    "api-recommendations-bought-together": Route(PUBLIC),
    "api-recommendations-customer": Route(SCOPED_TOKEN, note="reveals what a customer bought"),
    "api-events": Route(SCOPED_TOKEN, body=_event),
    # --- storefront staff API: the admin's session; the services check the content permissions ---
    "api-staff-drafts": Route(CONTENT),
    "api-staff-generation-jobs": Route(CONTENT, body=lambda w: {"kind": "description", "products": [w.product_sku]}),
    "api-staff-draft-approve": Route(EDITORS, body={"comment": "ok"}),
    "api-staff-draft-reject": Route(EDITORS, body={"reason": "no"}),
    "api-staff-draft-request-changes": Route(EDITORS, body={"comment": "shorter", "regenerate": False}),
    "api-staff-draft-publish": Route(EDITORS, note="the draft is in review: 409 once past the gate"),
    "api-staff-draft-approve-and-publish": Route(EDITORS, body={}),
    # --- support, customers: opening a ticket is public; a ticket is read with its own access token
    #     only (a storefront token or a staff session is no such token; see test_permissions.py) ---
    "api-tickets": Route(EVERYONE, body={"email": "someone@example.com", "subject": "Hello", "message": "A question"}),
    "api-ticket": Route(NOBODY),
    "api-ticket-messages": Route(NOBODY, body={"message": "Any news?"}),
    # --- support staff API: handle_ticket ---
    "api-staff-tickets": Route(SUPPORT),
    "api-staff-tickets-assign": Route(SUPPORT, body=lambda w: {"tickets": [w.ticket_public_id], "assignee": None}),
    "api-staff-ticket": Route(SUPPORT),
    "api-staff-ticket-status": Route(SUPPORT, body={"status": "open"}),
    "api-staff-ticket-predictions": Route(SUPPORT, body={"field": "priority", "value": "high"}),
    "api-staff-ticket-messages": Route(SUPPORT, body={"message": "A note", "internal": True}),
    "api-staff-suggestion-accept": Route(SUPPORT, body={"status_after": "waiting"}),
    "api-staff-suggestion-edit": Route(SUPPORT, body={"text": "Edited reply", "status_after": "waiting"}),
    "api-staff-suggestion-reject": Route(SUPPORT, body={"reason": "off topic"}),
    "api-staff-suggestion-rates": Route(SUPPORT),
    # --- the admin site's own pages ---
    "admin:index": Route(STAFF),
    "admin:login": Route(EVERYONE),
    "admin:logout": Route(EVERYONE, method="POST", body={}, note="harmless: anonymous callers are sent to the index"),
    "admin:password_change": Route(STAFF),
    "admin:password_change_done": Route(STAFF),
    "admin:jsi18n": Route(STAFF),
    "admin:view_on_site": Route(NOBODY, kwargs=lambda w: {"content_type_id": w.draft_content_type,
                                                          "object_id": w.draft_id},
                                note="a draft has no get_absolute_url: a 404 for staff too"),
    "admin:app_list": Route(derived="app_list", note="per app: whoever may view one of its models"),
    "admin:autocomplete": Route(derived="autocomplete", note="per autocomplete field: who may view the target"),
    "admin/(?P<url>.*)$": Route(NOBODY, note="the admin's catch-all: login, or a 404"),
    # --- custom admin views (ModelAdmin.get_urls) ---
    "admin:ecomcms_storefront_experiment_stop": Route(EDITORS, method="POST", note="stops an A/B test: publish_draft"),
    "admin:ecomcms_storefront_experiment_add_category": Route(
        EDITORS, note="the form to start an A/B test across a category: publish_draft"),
    "admin:ecomcms_content_editordecisions_changelist": Route(CONTENT, note="the editor-decision report: view_draft"),
    "admin:ecomcms_content_prompttemplate_preview": Route(CONTENT, note="runs a template: request_generation"),
    "admin:ecomcms_content_draft_decide": Route(EDITORS, method="POST", body={"decision": "approve", "comment": "ok"}),
    "admin:ecomcms_content_draft_variants": Route(CONTENT, note="the variants of one request on one page: view_draft"),
    "admin:ecomcms_support_ticket_act": Route(SUPPORT, method="POST", body={"action": "note", "body": "A note"}),
    "admin:ecomcms_support_ticket_attachment": Route(
        SUPPORT, kwargs=lambda w: {"pk": w.objects["ecomcms_support.ticket"], "attachment_pk": w.attachment_id},
        note="downloads a file a customer emailed: view_ticket"),
    "admin:ecomcms_support_intentlabel_train": Route(
        ONLY_SUPERUSER, method="POST", body={}, note="queues a version of support.intent: ecomcms.change_adapter"),
    "admin:ecomcms_support_unsureticket_set_intent": Route(
        SUPPORT, method="POST", body={"intent": "track_order"}, note="sets a ticket's intent: handle_ticket"),
    "admin:ecomcms_insights_alert_dashboard": Route(STAFF, note="the monitoring dashboard: view_monitoring"),
    "admin:ecomcms_insights_alert_refresh": Route(STAFF, method="POST", body={},
                                                  note="queues a spike check: view_monitoring"),
    "admin:auth_user_password_change": Route(ONLY_SUPERUSER),
}

# --- django CMS (the optional `cms` extra): no role is given CMS permissions, so pages are edited by
#     superusers only; the pages themselves are public. Merged only when the CMS is installed. ---
CMS_ADMIN_MODELS: dict[str, Ops] = {
    # Pages are added through their content (PageAdmin has no add view); the page list is the content's tree.
    "cms.page": Ops(view=ONLY_SUPERUSER, change=ONLY_SUPERUSER, delete=ONLY_SUPERUSER),
    "cms.pagecontent": Ops(view=ONLY_SUPERUSER, add=ONLY_SUPERUSER, change=ONLY_SUPERUSER, delete=ONLY_SUPERUSER),
    "sites.site": Ops(view=ONLY_SUPERUSER, add=ONLY_SUPERUSER, change=ONLY_SUPERUSER, delete=ONLY_SUPERUSER),
}


def _page(w):
    return (w.cms["page"],)


def _content(w):
    return (w.cms["content"],)


def _plugin(w):
    return (w.cms["plugin"],)


def _rendered(w):
    return (w.cms["content_type"], w.cms["content"])


CMS_REFUSES_IN_BODY = r'"status": 40[0-9]|do not have permission|not found'
CMS_ROUTES: dict[str, Route] = {
    # The pages: public (without djangocms-versioning a page is public as soon as it exists).
    "pages-root": Route(EVERYONE),
    "pages-details-by-slug": Route(EVERYONE, kwargs=lambda w: {"slug": w.cms["slug"]}),
    "cms_login": Route(EVERYONE, method="POST", body={}, note="the toolbar's login form: a wrong login goes back"),
    "cms_wizard_create": Route(STAFF, method="GET",
                               note="lists only the wizards the user may use: none without CMS permissions"),
    "admin:cms_wizard_create": Route(STAFF, method="GET", note="as cms_wizard_create"),
    # The CMS admin: superusers; staff may preview a page they may view (any public page) in the editor's frame.
    "admin:cms_page_get_list": Route(ONLY_SUPERUSER, headers={"X-Requested-With": "XMLHttpRequest"}),
    "admin:cms_page_actions_menu": Route(ONLY_SUPERUSER),
    "admin:cms_page_edit_title_fields": Route(ONLY_SUPERUSER, args=lambda w: (w.cms["page"], w.cms["language"])),
    "admin:cms_page_advanced": Route(ONLY_SUPERUSER),
    # (these two answer {"status": 403} with a 200)
    "admin:cms_page_move_page": Route(ONLY_SUPERUSER, method="POST", args=_page, refusal=CMS_REFUSES_IN_BODY,
                                      body=lambda w: {"target": w.cms["home"], "position": 0}),
    "admin:cms_page_copy_page": Route(ONLY_SUPERUSER, method="POST", args=_page, refusal=CMS_REFUSES_IN_BODY,
                                      body=lambda w: {"target": w.cms["home"], "position": 0}),
    "admin:cms_page_get_copy_dialog": Route(STAFF, args=_page, note="empty unless CMS_PERMISSION is on"),
    "admin:cms_page_get_permissions": Route(ONLY_SUPERUSER, args=_page),
    "admin:cms_page_set_home": Route(ONLY_SUPERUSER, method="POST"),
    "admin:cms_pagecontent_get_tree": Route(ONLY_SUPERUSER),
    "admin:cms_pagecontent_delete": Route(ONLY_SUPERUSER, ok=(400,), note="400: the page's only translation"),
    "admin:cms_pagecontent_duplicate": Route(ONLY_SUPERUSER, args=_content),
    "admin:cms_pagecontent_copy_language": Route(ONLY_SUPERUSER, method="POST", args=_content, ok=(400,),
                                                 note="400 once past the gate: the site has one language"),
    "admin:cms_pagecontent_change_innavigation": Route(ONLY_SUPERUSER, method="POST", args=_content),
    "admin:cms_pagecontent_change_template": Route(ONLY_SUPERUSER, method="POST", args=_content,
                                                   body={"template": "cmsplugins/page.html"}),
    "admin:cms_placeholder_copy_plugins": Route(ONLY_SUPERUSER, method="POST", ok=(400,), body=lambda w: {
        "source_placeholder_id": w.cms["placeholder"], "source_plugin_id": w.cms["plugin"],
        "source_language": w.cms["language"], "target_placeholder_id": w.cms["placeholder"],
        "target_language": w.cms["language"]}),
    "admin:cms_placeholder_add_plugin": Route(ONLY_SUPERUSER, query=lambda w: {
        "placeholder_id": w.cms["placeholder"], "plugin_type": "ProductCopyPlugin",
        "plugin_language": w.cms["language"], "plugin_position": 1}),
    "admin:cms_placeholder_edit_plugin": Route(ONLY_SUPERUSER, args=_plugin),
    "admin:cms_placeholder_edit_field": Route(NOBODY, args=lambda w: (w.cms["plugin"], w.cms["language"]),
                                              query={"edit_fields": "kind"}, refusal=CMS_REFUSES_IN_BODY,
                                              note="no plugin of ours has frontend-editable fields"),
    "admin:cms_placeholder_delete_plugin": Route(ONLY_SUPERUSER, args=_plugin),
    "admin:cms_placeholder_clear_placeholder": Route(ONLY_SUPERUSER, args=lambda w: (w.cms["placeholder"],)),
    "admin:cms_placeholder_move_plugin": Route(ONLY_SUPERUSER, method="POST", ok=(400,), body=lambda w: {
        "plugin_id": w.cms["plugin"], "target_language": w.cms["language"],
        "placeholder_id": w.cms["home_placeholder"], "target_position": 1}),
    "admin:cms_placeholder_render_object_edit": Route(STAFF, args=_rendered),
    "admin:cms_placeholder_render_object_structure": Route(STAFF, args=_rendered),
    "admin:cms_placeholder_render_object_preview": Route(STAFF, args=_rendered),
    "admin:cms_usersettings_session_store": Route(EVERYONE, note="the caller's own session; empty for non-staff"),
    "admin:cms_usersettings_get_toolbar": Route(STAFF, query=lambda w: {
        "obj_id": w.cms["content"], "obj_type": "cms.pagecontent", "cms_path": f"/pages/{w.cms['slug']}/"}),
    "admin:cms_usersettings_change": Route(ONLY_SUPERUSER),
    "admin/cms/usersettings/^(.+)/$": Route(ONLY_SUPERUSER, args=lambda w: (w.cms["usersettings"],)),
}
# The page tree replaces the changelists of pages and their content: no action runs from them.
CMS_ACTIONS: dict[str, frozenset[str]] = {"cms.page:delete_selected": NOBODY, "cms.pagecontent:delete_selected": NOBODY}

if apps.is_installed("cms"):
    ADMIN_MODELS.update(CMS_ADMIN_MODELS)
    ROUTES.update(CMS_ROUTES)
    ADMIN_ACTIONS.update(CMS_ACTIONS)

# Cases that fail for a reason outside this project's code, as pytest case ids: they run as strict xfails, so
# the matrix notices when the cause is gone.
KNOWN_FAILURES: dict[str, str] = {
}

# Keyword arguments of URL patterns, and where their values come from in the test world.
# (Admin ``object_id``/``pk``/``id`` take the representative object of the route's ModelAdmin.)
KWARGS: dict[str, str] = {
    "slug": "product_slug",
    "draft_id": "draft_id",
    "suggestion_id": "suggestion_id",
    "public_id": "ticket_public_id",
    "customer_id": "customer_id",
    "session_id": "session_id",
    "url": "missing_admin_path",
}

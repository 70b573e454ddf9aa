"""Finding every route and admin action of the project, and how to call each one (tests/test_permissions.py).

Nothing here knows the project's apps: routes come from walking the URL
resolver, admin models and actions from the admin sites' registries. What each
principal may do comes from tests/permissions_matrix.py.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote

from django.contrib.admin.sites import all_sites
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, reverse
from django.urls.resolvers import LocalePrefixPattern, RegexPattern

from tests.permissions_matrix import ADMIN_ACTIONS, ADMIN_MODELS, ROUTES, Ops, Route

# The standard ModelAdmin views (ModelAdmin.get_urls wraps each with ``model_admin``), by view name.
MODEL_VIEWS = {"changelist_view": "changelist", "add_view": "add", "change_view": "change",
               "history_view": "history", "delete_view": "delete", "view": "redirect"}
# Keyword arguments of admin views that name an object of the route's ModelAdmin.
OBJECT_KWARGS = {"object_id", "pk", "id"}


@dataclass(frozen=True)
class Found:
    """One URL pattern: its full pattern text, qualified name, view and the pattern pieces leading to it."""

    pattern: str
    name: str | None
    callback: object
    pieces: tuple  # (text, is_regex) for each level
    site: object | None  # the AdminSite whose URLs hold it
    site_prefix: str  # the URL prefix of that site, e.g. "admin/"

    @property
    def key(self) -> str:
        return self.name or self.pattern


def _piece(pattern) -> tuple[str, bool]:
    if isinstance(pattern, LocalePrefixPattern):
        return pattern.language_prefix, False
    return str(pattern), isinstance(pattern, RegexPattern)


def _site_of(resolver: URLResolver):
    for site in all_sites:
        if resolver.namespace == site.name and resolver.app_name == "admin":
            return site
    return None


def walk(patterns=None, pieces=(), namespaces=(), site=None, site_prefix="") -> list[Found]:
    """Every URL pattern of the project, depth first, in resolution order."""
    found = []
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        here = pieces + (_piece(entry.pattern),)
        text = "".join(piece for piece, _ in here)
        if isinstance(entry, URLResolver):
            entry_site = _site_of(entry)
            found += walk(entry.url_patterns, here, namespaces + ((entry.namespace,) if entry.namespace else ()),
                          entry_site or site, text if entry_site else site_prefix)
        elif isinstance(entry, URLPattern):
            name = ":".join(namespaces + (entry.name,)) if entry.name else None
            found.append(Found(text, name, entry.callback, here, site, site_prefix))
    return found


def admin_models(site) -> dict[str, object]:
    """``"app_label.model_name"`` -> ModelAdmin, for one admin site."""
    return {f"{model._meta.app_label}.{model._meta.model_name}": model_admin
            for model, model_admin in site._registry.items()}


def all_admin_models() -> dict[str, tuple[object, object]]:
    return {label: (site, model_admin) for site in all_sites for label, model_admin in admin_models(site).items()}


def model_of(found: Found) -> str | None:
    """The admin model a route belongs to: its view's ModelAdmin, or the model whose URL prefix it is under."""
    model_admin = getattr(found.callback, "model_admin", None)
    if model_admin is not None:
        return f"{model_admin.opts.app_label}.{model_admin.opts.model_name}"
    if found.site is None:
        return None
    for label, model_admin in admin_models(found.site).items():
        prefix = f"{found.site_prefix}{model_admin.opts.app_label}/{model_admin.opts.model_name}/"
        if found.pattern.startswith(prefix):
            return label
    return None


# --- What to expect ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Probe:
    """One request to make for a route, and who should get past its gate."""

    found: Found
    label: str  # readable: "GET /admin/ecomcms_content/draft/<path:object_id>/change/"
    method: str
    allowed: frozenset[str]
    model: str | None = None  # for admin model views: "app.model"
    view_or_change: tuple[frozenset[str], frozenset[str]] | None = None  # the change page: (view, change)
    route: Route | None = None
    extra_kwargs: tuple = ()  # (name, value) fixed for this probe, e.g. app_label
    query: tuple = ()  # (name, value) query parameters


def view_methods(callback) -> list[str]:
    view_class = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
    if view_class is None:
        return ["GET"]
    methods = [m.upper() for m in ("get", "post", "put", "patch", "delete") if hasattr(view_class, m)]
    return methods or ["GET"]


def _model_view_probe(found: Found, model: str, ops: Ops, kind: str) -> Probe:
    method = "GET"
    label = f"GET /{found.pattern}"
    if kind in ("changelist", "history", "redirect"):
        return Probe(found, label, method, ops.view, model=model)
    if kind == "add":
        return Probe(found, label, method, ops.add, model=model)
    if kind == "delete":
        return Probe(found, label, method, ops.delete, model=model)
    # the change page: view-only principals see it read-only; ``change`` principals get a form
    return Probe(found, label, method, ops.view | ops.change, model=model, view_or_change=(ops.view, ops.change))


def probes_for(found: Found) -> tuple[list[Probe], str | None]:
    """The probes of one route, or why it is unclassified."""
    model = model_of(found)
    kind = MODEL_VIEWS.get(getattr(found.callback, "__name__", ""))
    explicit = found.pattern in ROUTES or found.key in ROUTES  # an exception to the rule below
    if getattr(found.callback, "model_admin", None) is not None and kind and not explicit:
        if model not in ADMIN_MODELS:
            return [], f"unclassified route /{found.pattern} (admin model {model}): add {model!r} to ADMIN_MODELS"
        return [_model_view_probe(found, model, ADMIN_MODELS[model], kind)], None

    route = ROUTES.get(found.pattern) or ROUTES.get(found.key)
    if route is None:
        return [], f"unclassified route /{found.pattern} (name {found.name!r}): add it to the matrix (ROUTES)"

    if route.derived == "app_list":
        probes = []
        for label in sorted({m.split(".")[0] for m in admin_models(found.site)}):
            viewers = frozenset().union(*(ops.view for m, ops in ADMIN_MODELS.items() if m.split(".")[0] == label))
            probes.append(Probe(found, f"GET /{found.site_prefix}{label}/", "GET", viewers, route=route,
                                extra_kwargs=(("app_label", label),)))
        return probes, None
    if route.derived == "autocomplete":
        probes = []
        for label, model_admin in sorted(admin_models(found.site).items()):
            for field_name in model_admin.autocomplete_fields:
                target = model_admin.opts.get_field(field_name).remote_field.model._meta
                target_label = f"{target.app_label}.{target.model_name}"
                viewers = ADMIN_MODELS[target_label].view if target_label in ADMIN_MODELS else frozenset()
                query = (("app_label", model_admin.opts.app_label), ("model_name", model_admin.opts.model_name),
                         ("field_name", field_name))
                probes.append(Probe(found, f"GET /{found.pattern}?field={label}.{field_name}", "GET", viewers,
                                    route=route, query=query))
        return probes, None

    methods = [route.method] if route.method else view_methods(found.callback)
    return [Probe(found, f"{method} /{found.pattern}", method, route.allowed, model=model, route=route)
            for method in methods], None


def classify_routes(found_routes: list[Found] | None = None) -> tuple[list[Probe], list[str]]:
    probes, unclassified = [], []
    for found in walk() if found_routes is None else found_routes:
        route_probes, problem = probes_for(found)
        probes += route_probes
        if problem:
            unclassified.append(problem)
    return probes, unclassified


# --- Admin actions ----------------------------------------------------------------------------

@dataclass(frozen=True)
class ActionCase:
    model: str  # "app.model"
    action: str
    allowed: frozenset[str]

    @property
    def label(self) -> str:
        return f"action {self.model}:{self.action}"


def classify_actions() -> tuple[list[ActionCase], list[str]]:
    cases, unclassified = [], []
    for label, (site, model_admin) in sorted(all_admin_models().items()):
        try:
            reverse(f"{site.name}:{model_admin.opts.app_label}_{model_admin.opts.model_name}_changelist")
        except NoReverseMatch:
            continue  # no changelist (its admin replaced the URLs), so no door to run its actions through
        for _func, name, _description in model_admin._get_base_actions():
            key = f"{label}:{name}"
            if key in ADMIN_ACTIONS:
                cases.append(ActionCase(label, name, ADMIN_ACTIONS[key]))
            elif name == "delete_selected" and label in ADMIN_MODELS:
                cases.append(ActionCase(label, name, ADMIN_MODELS[label].delete))
            else:
                unclassified.append(f"unclassified admin action {key}: add it to the matrix (ADMIN_ACTIONS)")
    return cases, unclassified


def stale_entries(found_routes: list[Found], actions: list[ActionCase]) -> list[str]:
    """Matrix entries that match nothing any more (a renamed route keeps its old, now unused, entry)."""
    keys = {f.key for f in found_routes} | {f.pattern for f in found_routes}
    registered = set(all_admin_models())
    action_keys = {f"{case.model}:{case.action}" for case in actions}
    return ([f"ROUTES[{key!r}] matches no route" for key in ROUTES if key not in keys]
            + [f"ADMIN_MODELS[{key!r}] is not registered in any admin site" for key in ADMIN_MODELS
               if key not in registered]
            + [f"ADMIN_ACTIONS[{key!r}] is no action" for key in ADMIN_ACTIONS if key not in action_keys])


# --- Building a path --------------------------------------------------------------------------

_ROUTE_PARAM = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>\w+)>")


def _replace_groups(regex: str, values: dict, positional: list) -> str:
    """A regex pattern with its groups replaced by values: named ones by name, the others in order."""
    out, i = [], 0
    while i < len(regex):
        if regex[i] == "\\":
            out.append(regex[i:i + 2])
            i += 2
            continue
        if regex[i] == "(" and not regex.startswith("(?:", i):
            named = re.compile(r"\(\?P<(\w+)>").match(regex, i)
            depth, j = 1, i + 1
            while depth and j < len(regex):
                if regex[j] == "\\":
                    j += 2
                    continue
                depth += {"(": 1, ")": -1}.get(regex[j], 0)
                j += 1
            value = values[named.group(1)] if named else positional.pop(0)
            out.append(quote(str(value), safe="/").replace("\\", "\\\\"))
            i = j
        else:
            out.append(regex[i])
            i += 1
    text = "".join(out)
    text = text.removeprefix("^").removesuffix("$").replace("^", "").replace("$", "")
    return re.sub(r"\\(.)", r"\1", text)


def positional_count(found: Found) -> int:
    """How many unnamed groups the pattern has (values for them come from ``Route.args``)."""
    return sum(len(re.findall(r"(?<!\\)\((?!\?)", piece)) for piece, is_regex in found.pieces if is_regex)


def kwarg_names(found: Found) -> list[str]:
    names = []
    for piece, is_regex in found.pieces:
        names += (
            re.findall(r"\(\?P<(\w+)>", piece) if is_regex else [m.group("name") for m in _ROUTE_PARAM.finditer(piece)]
        )
    return names


def build_path(found: Found, values: dict, args: tuple = ()) -> str:
    parts, positional = [], list(args)
    for piece, is_regex in found.pieces:
        if is_regex:
            parts.append(_replace_groups(piece, values, positional))
        else:
            parts.append(_ROUTE_PARAM.sub(lambda m: quote(str(values[m.group("name")]), safe="/"), piece))
    return "/" + "".join(parts)


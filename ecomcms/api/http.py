"""HTTP conventions shared by every endpoint of every app: JSON only, bounded bodies, cursor pages, conditional GETs.

Described for clients in docs/api.md. The apps' ``apis.py`` build their views on ``ApiView`` (or
``CatalogView`` for public, cacheable reads) and their pages on ``CursorPage``.
"""

from __future__ import annotations

import hashlib
import re

from django.contrib.auth.models import AnonymousUser
from django.http import HttpResponse, HttpResponseNotModified
from django.utils.http import http_date, parse_etags, parse_http_date_safe, quote_etag
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.utils import extend_schema_field, inline_serializer
from rest_framework import exceptions, serializers
from rest_framework.pagination import CursorPagination
from rest_framework.parsers import JSONParser
from rest_framework.renderers import JSONRenderer
from rest_framework.views import APIView

from ecomcms.api import cache as api_cache, errors
from ecomcms.api.auth import AnonThrottle, ClientThrottle, TokenAuthentication, TokenScope
from ecomcms.api.cache import Body
from ecomcms.conf import conf


class JsonParser(JSONParser):
    """DRF's JSON parser, also refusing nesting too deep for Python's decoder."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise exceptions.ParseError("JSON parse error - nested too deeply") from None


class JsonRenderer(JSONRenderer):
    """DRF's JSON renderer, never failing on text UTF-8 cannot hold.

    Error messages echo input ("<U+D800>" is not a valid choice); JSON may carry a lone
    surrogate, UTF-8 may not. ``ecomcms.api.errors.printable`` writes such characters as a
    backslash escape in the text; should one still reach here, the body is rendered with
    ASCII escapes instead of failing.
    """

    def render(self, data, accepted_media_type=None, renderer_context=None):
        try:
            return super().render(data, accepted_media_type, renderer_context)
        except UnicodeEncodeError:
            return _AsciiJsonRenderer().render(data, accepted_media_type, renderer_context)


class _AsciiJsonRenderer(JSONRenderer):
    ensure_ascii = True


class Text(serializers.CharField):
    """A CharField that takes strings only, and no text a database cannot store.

    DRF already refuses NUL; this also refuses lone surrogates (valid in JSON, not
    in UTF-8). ``TextSchema`` says so in the schema.
    """

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        value = super().to_internal_value(data)
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise serializers.ValidationError("Not valid Unicode text.") from None
        return value


class TextSchema(OpenApiSerializerFieldExtension):
    """Text in the schema: no NUL, and something other than spaces unless blank is allowed (DRF trims spaces)."""

    target_class = Text

    def map_serializer_field(self, auto_schema, direction):
        schema = auto_schema._map_serializer_field(self.target, direction, bypass_extensions=True)
        schema["pattern"] = r"^[^\x00]*$" if self.target.allow_blank else r"^[^\x00]*[^\s\x00][^\x00]*$"
        return schema


@extend_schema_field({"type": "string", "pattern": r"^[0-9]{1,10}(\.[0-9]{1,2})?$", "example": "19.90"})
class Price(serializers.DecimalField):
    """An amount as a string, up to 10 digits and 2 decimals ("19.90"), never negative."""

    default_error_messages = {"invalid": "Enter a decimal number with a dot, such as 19.90 (no exponent)."}
    # Decimal() would also read "1e3" as 1000 and "Infinity"; the docs promise a decimal with a dot.
    plain_decimal = re.compile(r"\s*-?([0-9]+(\.[0-9]*)?|\.[0-9]+)\s*")

    def __init__(self, **kwargs):
        super().__init__(max_digits=12, decimal_places=2, min_value=0, **kwargs)

    def to_internal_value(self, data):
        if isinstance(data, str) and not self.plain_decimal.fullmatch(data):
            self.fail("invalid")
        return super().to_internal_value(data)


class ApiView(APIView):
    """Base of every endpoint: JSON in and out, the project's error format, body size limit, throttles."""

    renderer_classes = [JsonRenderer]
    parser_classes = [JsonParser]
    authentication_classes = [TokenAuthentication]
    permission_classes = [TokenScope]
    throttle_classes = [AnonThrottle, ClientThrottle]
    allow_anonymous = False
    required_scope = ""

    def get_exception_handler(self):
        return errors.exception_handler

    def initial(self, request, *args, **kwargs):
        # DRF parses the body from the stream, bypassing DATA_UPLOAD_MAX_MEMORY_SIZE: check before it does.
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > conf.API_MAX_BODY_BYTES:
            raise errors.PayloadTooLarge(
                f"The request body is {length} bytes; the limit is {conf.API_MAX_BODY_BYTES}."
            )
        super().initial(request, *args, **kwargs)


class CatalogView(ApiView):
    """Public reads that browsers and shared caches may keep.

    A 200 carries ``Cache-Control: public, max-age=API_CACHE_MAX_AGE``, an ``ETag``
    (a hash of the body, so it changes exactly when the response does) and the
    ``Last-Modified`` the view sets; ``If-None-Match`` (or, without it,
    ``If-Modified-Since``) that still matches gets a 304 with no body. Each view names the
    ``required_scope`` a token must carry (anonymous callers need none).

    Answers kept in the cache (``ecomcms.api.cache``): a view that files its answers under
    ``cache_prefix`` and ``cache_generations()`` with ``self.cached(key, build)`` and says in
    ``cache_key()`` which key a request's answer has, gets stored answers served to anonymous
    GETs before DRF's request handling (a profile showed DRF's dispatch was half the cost of a
    cached answer, docs/performance.md): the same bytes and headers, still counted by the
    anonymous throttle. Anything else (a token, a miss, an Accept header other than JSON, a
    throttled caller) takes the whole path, so its checks and answers are unchanged.
    """

    allow_anonymous = True
    cache_prefix = ""

    @staticmethod
    def last_modified(response, moments) -> None:
        moments = [moment for moment in moments if moment]
        if moments:
            response["Last-Modified"] = http_date(max(moments).timestamp())

    def cache_generations(self) -> tuple:
        """The generations (``ecomcms.caching``) this view's stored answers depend on, read before the data."""
        return ()

    def cache_key(self, request, *args, **kwargs) -> str | None:
        """The key an anonymous GET's answer is filed under, when a stored one may be served as it is; None: never."""
        return None

    def cached(self, key: str, build) -> Body:
        """The answer filed under ``key`` (``ecomcms.api.cache.cached``), reading the generations once a request."""
        known, self._known_generations = getattr(self, "_known_generations", None), None
        return api_cache.cached(self.cache_prefix, key, build, seconds=conf.API_CATALOG_CACHE_SECONDS,
                                generations=(lambda: known) if known is not None else self.cache_generations)

    def dispatch(self, request, *args, **kwargs):
        response = self._stored_answer(request, *args, **kwargs)
        return response if response is not None else super().dispatch(request, *args, **kwargs)

    def _stored_answer(self, request, *args, **kwargs) -> HttpResponse | None:
        """A stored answer for an anonymous GET, with the headers the whole path gives it; None: take that path."""
        meta = request.META
        if (request.method != "GET" or not self.cache_prefix or not conf.API_CATALOG_CACHE_SECONDS
                or not self.allow_anonymous or "HTTP_AUTHORIZATION" in meta
                or meta.get("HTTP_ACCEPT", "*/*") not in _JSON_ACCEPTED or meta.get("CONTENT_LENGTH") not in _NO_BODY
                or self.authentication_classes != [TokenAuthentication]):
            return None
        key = self.cache_key(request, *args, **kwargs)
        if key is None:
            return None
        self._known_generations = tuple(self.cache_generations())  # a miss builds under these: one read a request
        body = api_cache.lookup(self.cache_prefix, key, self._known_generations,
                                seconds=conf.API_CATALOG_CACHE_SECONDS)
        if body is None:
            return None
        for throttle in self.get_throttles():  # an anonymous caller counts as on the whole path; refused: that path
            if not throttle.allow_request(_Anonymous(request), self):
                return None
        self.headers = self.default_response_headers
        response = self.finalize_response(request, api_cache.response_of(body))
        return response

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if request.method not in ("GET", "HEAD") or response.status_code != 200:
            return response
        if "ETag" not in response:  # catalogue bodies (storefront.catalog) come with theirs, hashed once when stored
            response.render()
            response["ETag"] = quote_etag(hashlib.sha256(response.content).hexdigest()[:32])
        response["Cache-Control"] = f"public, max-age={conf.API_CACHE_MAX_AGE}"
        if not _not_modified(request, response["ETag"], response.get("Last-Modified")):
            return response
        not_modified = HttpResponseNotModified()
        for header in ("ETag", "Last-Modified", "Cache-Control"):
            if header in response:
                not_modified[header] = response[header]
        return not_modified


_JSON_ACCEPTED = {"*/*", "application/json", ""}  # what DRF's negotiation would answer with JSON, the common cases
_NO_BODY = {None, "", "0"}


class _Anonymous:
    """What DRF's throttles read of a request without credentials (``auth``, ``user``, ``META``, ``headers``)."""

    auth = None
    user = AnonymousUser()

    def __init__(self, request):
        self.META, self.headers = request.META, request.headers


def _not_modified(request, etag: str, last_modified: str | None) -> bool:
    """RFC 9110 section 13.2.2: If-None-Match (weak comparison) decides; If-Modified-Since only without it.

    Read from META (``request.headers`` is built from all of META on first use, for two headers most
    requests do not send).
    """
    if_none_match = request.META.get("HTTP_IF_NONE_MATCH")
    if if_none_match is not None:
        if if_none_match.strip() == "*":
            return True
        return etag.removeprefix("W/") in {tag.removeprefix("W/") for tag in parse_etags(if_none_match)}
    if_modified_since = request.META.get("HTTP_IF_MODIFIED_SINCE")
    if not if_modified_since:
        return False
    since = parse_http_date_safe(if_modified_since)
    modified = parse_http_date_safe(last_modified or "")
    return since is not None and modified is not None and modified <= since


class CursorPage(CursorPagination):
    """Opaque cursors over a unique ordering: pages stay consistent while rows are added or removed.

    ``page_size`` is validated by each view's filter serializer (1 to 100); a cursor
    that does not decode to a position of the right shape is a 400, never a query.
    """

    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100
    position: re.Pattern  # what a decoded cursor position must look like

    def decode_cursor(self, request):
        try:
            cursor = super().decode_cursor(request)
        except exceptions.NotFound:
            raise errors.InvalidCursor() from None
        if cursor and cursor.position is not None and not self.position.fullmatch(cursor.position):
            raise errors.InvalidCursor()
        return cursor


class PageInput(serializers.Serializer):
    cursor = Text(required=False, help_text="The `next` or `previous` link's cursor; omit for the first page.")
    page_size = serializers.IntegerField(required=False, min_value=1, max_value=CursorPage.max_page_size,
                                         help_text=f"Items per page, 1 to {CursorPage.max_page_size} (default "
                                                   f"{CursorPage.page_size}).")


def page_schema(name: str, item_serializer) -> serializers.Serializer:
    """The schema of a cursor page of ``item_serializer`` items, as component ``name``."""
    return inline_serializer(name, {
        "next": serializers.URLField(allow_null=True, help_text="The next page, or null on the last page."),
        "previous": serializers.URLField(allow_null=True, help_text="The previous page, or null on the first page."),
        "results": item_serializer(many=True),
    })


def valid_input(serializer_class, data) -> dict:
    """``data`` validated by ``serializer_class``; a ValidationError (a 400 naming the fields) otherwise."""
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data

"""Requests refused before any view sees them: a charset no text can be read in, a NUL in the path.

Django's request constructor decodes the query string with the ``charset`` of
``Content-Type`` as soon as it sees one; a codec that is not a text encoding
(``rot13``, ``hex``, ``base64``, ``zlib``, ``bz2``, ``uu``, ``quopri``) or that
cannot read plain ASCII (``punycode``) raises there, before any middleware, and
the WSGI server answers a bare 500. ``WSGIRequest`` keeps such a charset aside
instead; ``RequestGuardMiddleware`` answers 400. ``WSGIHandler`` builds those
requests: ``ecomcms.wsgi.application`` (gunicorn, runserver) is one.

A NUL in the path (``/api/v1/tickets/%00``) reaches no view either: no id of
ours holds one, and PostgreSQL refuses it in a query.

A body sent with ``Transfer-Encoding: chunked`` and no ``Content-Length`` would reach the views
empty (Django reads ``Content-Length`` bytes, and runserver does not decode chunks), so the API
would answer "events: This field is required."; it is refused with a 411 that says to send a
``Content-Length`` instead.

Under ``/api/`` the answer is the API's JSON error (``invalid_request``, ``length_required``), elsewhere plain text.
"""

from __future__ import annotations

import codecs
import functools

from django.core.handlers import wsgi
from django.http import HttpResponseBadRequest, JsonResponse
from django.utils.http import parse_header_parameters

_PRINTABLE = bytes(range(0x20, 0x7F))
_ANY_BYTES = bytes(range(256))


@functools.lru_cache(maxsize=256)
def charset_readable(name: str) -> bool:
    """True if ``name`` is a text encoding that reads ASCII as ASCII (what URLs, JSON and forms are written in).

    It must also decode any bytes with ``errors="replace"`` as Django does with a
    percent-decoded query (``idna`` reads ASCII, but knows only strict errors).
    """
    try:
        codec = codecs.lookup(name)
    except (LookupError, ValueError, TypeError):
        return False
    if not getattr(codec, "_is_text_encoding", True):
        return False
    try:
        _ANY_BYTES.decode(codec.name, "replace")
        return _PRINTABLE.decode(codec.name) == _PRINTABLE.decode("ascii")
    except (UnicodeError, LookupError, ValueError, TypeError):
        return False


class WSGIRequest(wsgi.WSGIRequest):
    """Django's request, keeping an unreadable ``charset`` aside (``unreadable_charset``) instead of decoding with
    it."""

    unreadable_charset: str | None = None

    def _set_content_type_params(self, meta):
        self.content_type, self.content_params = parse_header_parameters(meta.get("CONTENT_TYPE", ""))
        charset = self.content_params.get("charset")
        if charset is None:
            return
        if charset_readable(charset):
            self.encoding = charset
        else:
            self.unreadable_charset = charset


class WSGIHandler(wsgi.WSGIHandler):
    request_class = WSGIRequest


def refusal(request, message: str, *, status: int = 400, code: str = "invalid_request"):
    """A 400 (or ``status``): the API's JSON error format under /api/, plain text elsewhere."""
    if request.path_info.startswith("/api/"):
        return JsonResponse({"error": {"code": code, "message": message}}, status=status)
    return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8", status=status)


def body_without_length(meta) -> bool:
    """A chunked body with no Content-Length: Django would read it as empty."""
    return "chunked" in meta.get("HTTP_TRANSFER_ENCODING", "").lower() and not meta.get("CONTENT_LENGTH")


class RequestGuardMiddleware:
    """First in line after SecurityMiddleware: refuse what no view can answer (see the module)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        charset = getattr(request, "unreadable_charset", None)
        if charset is not None:
            shown = ascii(charset[:40])
            return refusal(
                request,
                f"The charset {shown} in Content-Type cannot be read (not an ASCII-compatible text encoding); "
                "send UTF-8.",
            )
        if "\x00" in request.path_info:
            return refusal(request, "The path contains a NUL character.")
        if body_without_length(request.META):
            return refusal(request, "A chunked request body is not supported: send the body with a Content-Length "
                                    "header.", status=411, code="length_required")
        return self.get_response(request)

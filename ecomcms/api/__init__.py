"""The REST kit every app's API is built with (the ``/api/v1/`` conventions of docs/api.md).

- ``http``: ``ApiView`` (JSON only, bounded bodies, throttles, the error format), ``CatalogView``
  (public reads with ETag and Last-Modified), ``CursorPage``, and the ``Text``/``Price`` fields.
- ``errors``: the JSON error body, the exception handler (which maps any app's
  ``ecomcms.errors.ServiceError`` to its status and code), and the schema's error responses.
- ``auth``: bearer tokens with scopes (registered by the app that stores them), throttles.
- ``views``: the JSON 404 for any other path under ``/api/v1/``.

Part of the floor: it imports no app.
"""

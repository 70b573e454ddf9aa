"""/api/docs/ loads Redoc from the product's static files, never from a CDN or a font service."""

import re

from django.contrib.staticfiles import finders

REDOC = "/static/drf_spectacular_sidecar/redoc/bundles/redoc.standalone.js"


def test_the_api_docs_page_references_only_local_files(client):
    response = client.get("/api/docs/")

    html = response.content.decode()
    assert response.status_code == 200
    assert re.findall(r"(?:src|href)=\"([^\"]+)\"", html) == [REDOC]
    assert "fonts.googleapis" not in html and "cdn.jsdelivr" not in html and "url(" not in html
    assert finders.find(REDOC.removeprefix("/static/"))

"""/api/docs/ loads Redoc from the product's static files, never from a CDN."""

import re

from django.contrib.staticfiles import finders


def test_the_api_docs_page_references_only_local_files(client):
    response = client.get("/api/docs/")

    html = response.content.decode()
    assert response.status_code == 200
    assert re.findall(r"(?:src|href)=\"([^\"]+)\"", html) == ["/static/drf_spectacular_sidecar/redoc/bundles/redoc.standalone.js"]
    assert "//" not in html.replace("<!DOCTYPE", "")
    assert finders.find("drf_spectacular_sidecar/redoc/bundles/redoc.standalone.js")

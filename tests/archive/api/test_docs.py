"""``/docs`` works offline: Swagger UI and everything it loads come from the service's own origin."""

from __future__ import annotations

import re

import pytest

from archive.api.docs import openapi_30
from archive.config import load_config
from tests.archive.api.support import api_client
from tests.support import write_config


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    return api_client(load_config(write_config(tmp_path_factory.mktemp("docs"), port=8765)))


def test_the_docs_page_loads_swagger_ui_from_this_origin_only(client):
    page = client.get("/docs")
    assert page.status_code == 200 and "SwaggerUIBundle" in page.text
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert '"validatorUrl": null' in page.text  # no badge image from validator.swagger.io
    referenced = re.findall(r"""(?:href|src)="([^"]+)"|url: '([^']+)'""", page.text)
    urls = [href or url for href, url in referenced]
    assert len(urls) == 4, urls  # style sheet, icon, script, schema
    assert not [u for u in urls if not u.startswith("/") or u.startswith("//")], urls
    for url in urls:
        loaded = client.get(url)
        assert loaded.status_code == 200 and loaded.content, url
    assert "cdn.jsdelivr.net" not in page.text and "https://" not in page.text


def test_redoc_which_would_need_a_cdn_is_not_served(client):
    assert client.get("/redoc").status_code == 404


def test_the_docs_schema_is_the_openapi_schema_in_the_3_0_form_swagger_ui_4_reads(client):
    full = client.get("/openapi.json").json()
    docs = client.get("/docs/openapi-3.0.json").json()
    assert full["openapi"].startswith("3.1") and docs["openapi"] == "3.0.3"
    assert set(docs["paths"]) == set(full["paths"])
    assert '"null"' not in str(docs).replace("'", '"')
    url = next(p for p in docs["paths"]["/{outlet}/cdx"]["get"]["parameters"] if p["name"] == "url")
    assert url["schema"]["type"] == "string" and url["schema"]["nullable"] is True


def test_a_nullable_union_of_several_types_keeps_the_others():
    converted = openapi_30(
        {"openapi": "3.1.0", "x": {"anyOf": [{"type": "string"}, {"type": "integer"}, {"type": "null"}]}}
    )
    assert converted["x"] == {"anyOf": [{"type": "string"}, {"type": "integer"}], "nullable": True}


def test_only_the_files_the_page_needs_are_served(client):
    for name in ("index.html", "swagger-initializer.js", "..%2f__init__.py", "../__init__.py"):
        assert client.get(f"/static/swagger-ui/{name}").status_code == 404, name

"""TemplateResponse: inline and named templates, autoescaping, and TEMPLATES_DIR resolved against BASE_DIR."""

from pathlib import Path

import pytest

from panther import Panther
from panther.app import API
from panther.response import TemplateResponse


@pytest.fixture
def project(tmp_path):
    templates = tmp_path / "templates"
    (templates / "pages").mkdir(parents=True)
    (templates / "hello.html").write_text("<h1>Hello {{ name }}</h1>")
    (templates / "base.html").write_text("<main>{% block body %}{% endblock %}</main>")
    (templates / "pages" / "child.html").write_text(
        '{% extends "base.html" %}{% block body %}<p>{{ text }}</p>{% endblock %}'
    )
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "extra.html").write_text("extra {{ n }}")
    return tmp_path


def app_returning(response, configs):
    @API()
    async def page():
        return response

    return Panther(__name__, configs=configs, urls={"page": page})


class TestTemplates:
    async def test_inline_source(self, caller):
        app = app_returning(TemplateResponse(source="<p>{{ a }} + {{ b }}</p>", context={"a": 1, "b": 2}), {})
        result = await caller(app).get("/page")
        assert result.status == 200
        assert result.header("content-type") == "text/html; charset=utf-8"
        assert result.body == b"<p>1 + 2</p>"
        assert result.header("content-length") == str(len(result.body))

    async def test_context_is_escaped_in_inline_templates(self, caller):
        app = app_returning(
            TemplateResponse(source="<p>{{ value }}</p>", context={"value": "<script>alert(1)</script>"}), {}
        )
        body = (await caller(app).get("/page")).body
        assert b"<script>" not in body
        assert body == b"<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>"

    async def test_context_is_escaped_in_named_templates(self, caller, project):
        configs = {"BASE_DIR": project, "TEMPLATES_DIR": "templates"}
        app = app_returning(TemplateResponse(name="hello.html", context={"name": '<img src=x onerror="x">'}), configs)
        body = (await caller(app).get("/page")).body
        assert body == b"<h1>Hello &lt;img src=x onerror=&#34;x&#34;&gt;</h1>"

    async def test_safe_filter_opts_out(self, caller):
        app = app_returning(TemplateResponse(source="{{ html | safe }}", context={"html": "<b>ok</b>"}), {})
        assert (await caller(app).get("/page")).body == b"<b>ok</b>"

    async def test_templates_dir_is_relative_to_base_dir(self, caller, project, monkeypatch, tmp_path_factory):
        # The working directory must not matter.
        monkeypatch.chdir(tmp_path_factory.mktemp("elsewhere"))
        configs = {"BASE_DIR": str(project), "TEMPLATES_DIR": "templates"}
        app = app_returning(TemplateResponse(name="pages/child.html", context={"text": "hi"}), configs)
        assert (await caller(app).get("/page")).body == b"<main><p>hi</p></main>"

    async def test_several_template_dirs(self, caller, project):
        configs = {"BASE_DIR": project, "TEMPLATES_DIR": ["templates", "other"]}
        app = app_returning(TemplateResponse(name="extra.html", context={"n": 3}), configs)
        assert (await caller(app).get("/page")).body == b"extra 3"

    async def test_absolute_templates_dir(self, caller, project):
        configs = {"BASE_DIR": "/nonexistent", "TEMPLATES_DIR": str(project / "templates")}
        app = app_returning(TemplateResponse(name="hello.html", context={"name": "abs"}), configs)
        assert (await caller(app).get("/page")).body == b"<h1>Hello abs</h1>"

    def test_base_dir_defaults_to_the_app_module_directory(self):
        app = Panther(__name__, configs={}, urls={})
        assert Path(__file__).resolve().parent == app.config.BASE_DIR

    async def test_missing_template_is_a_500_naming_it(self, caller, project):
        configs = {"BASE_DIR": project, "TEMPLATES_DIR": "templates"}
        app = app_returning(TemplateResponse(name="missing.html"), configs)
        result = await caller(app).get("/page")
        assert result.status == 500
        assert "missing.html" in result.json()["detail"]

    async def test_status_headers_and_cookies(self, caller):
        from panther.response import Cookie

        response = TemplateResponse(source="x", status_code=201, headers={"X-A": "1"}, set_cookies=Cookie("c", "1"))
        result = await caller(app_returning(response, {})).get("/page")
        assert result.status == 201
        assert result.header("x-a") == "1"
        assert result.header("set-cookie").startswith("c=1")

    def test_source_or_name_is_required(self):
        with pytest.raises(TypeError):
            TemplateResponse()
        with pytest.raises(TypeError):
            TemplateResponse(source="a", name="b")

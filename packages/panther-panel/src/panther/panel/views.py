"""The panel's pages: login/logout, the model index, a model's paginated table, create, detail/edit and delete.

Every page is a ``GenericAPI`` rendered from this package's templates (autoescaped). Reading is plain HTML that
works without JavaScript; every change is a POST form carrying the session's CSRF token. A request without a staff
session is sent to the login page (``redirect_to`` keeps where it was going, inside the panel only).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, ClassVar
from urllib.parse import quote, urlencode

from pydantic import ValidationError

from panther.app import GenericAPI
from panther.db.context import connection
from panther.db.cursor import Cursor
from panther.db.models import BaseUser
from panther.db.passwords import hash_password
from panther.exceptions import BadRequestAPIError, DatabaseError, NotFoundAPIError
from panther.file_response import FileResponse
from panther.panel import forms
from panther.panel.security import (
    CSRF_COOKIE,
    CSRF_FIELD,
    PanelAuthentication,
    csrf_token,
    is_staff,
    new_nonce,
    panel_cookie,
    safe_redirect,
    session_cookies,
    valid_csrf,
)
from panther.panel.state import STATIC_DIR, PanelState, panel_state
from panther.request import Request
from panther.response import HTMLResponse, RedirectResponse, Response

__all__ = [
    "CreateView",
    "DeleteView",
    "DetailView",
    "HomeView",
    "LoginView",
    "LogoutView",
    "PanelStatic",
    "TableView",
]

#: Rows per page of a table.
PAGE_SIZE = 25
#: No script, style or frame from anywhere but the panel itself; no inline script at all.
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}
_INTEGER = re.compile(r"[0-9]{1,9}")


def _state(request: Request) -> PanelState:
    return panel_state(request.app)


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> Response:
    state = _state(request)
    user = request.user if is_staff(request.user) else None
    body = state.templates.get_template(template).render(
        prefix=state.prefix,
        static=f"{state.prefix}static/",
        models=state.models,
        user=user,
        csrf_field=CSRF_FIELD,
        csrf_token=context.pop("csrf", None) or csrf_token(request),
        **context,
    )
    return HTMLResponse(data=body, status_code=status_code, headers=SECURITY_HEADERS)


def to_login(request: Request) -> Response:
    state = _state(request)
    query = request.scope.get("query_string", b"").decode("latin-1")
    here = request.path + (f"?{query}" if query else "")
    return RedirectResponse(f"{state.prefix}login/?redirect_to={quote(here, safe='')}", status_code=303)


class PanelView(GenericAPI):
    """A panel page: staff only, CSRF-checked on POST. Subclasses implement ``show``/``submit``."""

    auth = PanelAuthentication

    async def get(self, request: Request, **path: str) -> Response:
        if not is_staff(request.user):
            return to_login(request)
        return await self.show(request, **path)

    async def post(self, request: Request, **path: str) -> Response:
        if not is_staff(request.user):
            return to_login(request)
        form = _form(request)
        if not valid_csrf(request, form.get(CSRF_FIELD)):
            return render(request, "error.html", 403, message="The form expired or did not come from this panel.")
        return await self.submit(request, form, **path)

    async def show(self, request: Request, **path: str) -> Response:
        raise NotFoundAPIError

    async def submit(self, request: Request, form: Mapping[str, Any], **path: str) -> Response:
        raise NotFoundAPIError


def _form(request: Request) -> Mapping[str, Any]:
    data = request.data
    if not isinstance(data, Mapping):
        raise BadRequestAPIError(detail="Send the panel's forms as application/x-www-form-urlencoded.")
    return data


def _model(request: Request, index: str) -> tuple[int, type[Any]]:
    """The managed model at ``index``; anything else (not a number, out of range) is a 404."""
    models = _state(request).models
    if not _INTEGER.fullmatch(index) or int(index) >= len(models):
        raise NotFoundAPIError(detail="No such model in this panel")
    return int(index), models[int(index)]


async def _record(model: type[Any], document_id: str) -> Any:
    record = await model.find_one(id=document_id)  # an id the engine cannot read finds nothing: a 404
    if record is None:
        raise NotFoundAPIError(detail=f"{model.__name__} Does Not Exist")
    return record


def _columns(model: type[Any]) -> list[str]:
    return [field.name for field in forms.form_fields(model) if field.kind != "password"]


class HomeView(PanelView):
    async def show(self, request: Request, **path: str) -> Response:
        models = _state(request).models
        counts = [await model.count() for model in models]
        return render(request, "home.html", entries=list(enumerate(zip(models, counts))))


class TableView(PanelView):
    """A page of a model's records: ``?page=``, ``?sort=field`` / ``-field``, ``?q=`` (searched in its text
    fields, on the server, as literal text)."""

    async def show(self, request: Request, **path: str) -> Response:
        index = path["index"]
        position, model = _model(request, index)
        params = request.query_params
        page = _page_number(params.get("page"))
        columns = _columns(model)
        sort = params.get("sort") or ""
        sort_field = sort.removeprefix("-")
        if sort and sort_field not in (*columns, "id"):
            raise BadRequestAPIError(detail=f"`sort` must be one of the columns, not {sort!r}")
        search = (params.get("q") or "").strip()
        flt: dict[str, Any] = {}
        searchable = forms.searchable_fields(model)
        if search and searchable:
            pattern = re.escape(search)  # the text is looked for as it is, never run as a pattern
            flt = {"$or": [{name: {"$regex": pattern, "$options": "i"}} for name in searchable]}
        db = connection()
        cursor: Cursor[Any] = Cursor(model, db, flt, model._query(db, flt, {}))  # streamed: only one page is read
        total = await cursor.count()
        if sort:
            cursor.sort("_id" if sort_field == "id" else sort_field, -1 if sort.startswith("-") else 1)
        else:
            cursor.sort("_id", -1)  # newest first
        records = await cursor.skip((page - 1) * PAGE_SIZE).limit(PAGE_SIZE).to_list()
        pages = max(1, -(-total // PAGE_SIZE))
        rows = [(record.id, [forms.display(getattr(record, name)) for name in columns]) for record in records]

        def link(**changes: Any) -> str:
            query = {"q": search, "sort": sort, "page": page, **changes}
            return "?" + urlencode({k: v for k, v in query.items() if v not in ("", None, 1)})

        return render(
            request,
            "table.html",
            index=position,
            model=model,
            columns=columns,
            rows=rows,
            total=total,
            page=page,
            pages=pages,
            search=search,
            searchable=searchable,
            sort=sort,
            previous=link(page=page - 1) if page > 1 else None,
            next=link(page=page + 1) if page < pages else None,
            sort_link=lambda name: link(sort=name if sort != name else f"-{name}", page=1),
        )


def _page_number(raw: str | None) -> int:
    if raw is None or raw == "":
        return 1
    if not _INTEGER.fullmatch(raw) or int(raw) < 1:
        raise BadRequestAPIError(detail=f"`page` must be a positive integer, not {raw!r}")
    return int(raw)


def _fields(model: type[Any], record: Any = None, submitted: Mapping[str, Any] | None = None) -> list[Any]:
    """(field, value shown in its input) for the form."""
    result = []
    for field in forms.form_fields(model):
        if submitted is not None and field.kind != "password":
            raw = submitted.get(field.name)
            value = raw if isinstance(raw, str) else ("on" if raw else "")
            if field.kind == "checkbox":
                value = "on" if submitted.get(field.name) else ""
        elif record is not None:
            current = getattr(record, field.name)
            value = ("on" if current else "") if field.kind == "checkbox" else forms.input_value(current, field.kind)
        else:
            value = ""
        result.append((field, value))
    return result


async def _validated(
    model: type[Any], form: Mapping[str, Any], record: Any = None
) -> tuple[dict[str, Any], dict[str, str]]:
    """The form's values checked against the model (merged with ``record`` on an edit) and errors by field."""
    values, errors = await forms.parse_form(model, form, editing=record is not None)
    for field in forms.form_fields(model):
        if field.kind == "reference" and isinstance(values.get(field.name), str):
            target = forms.reference_model(model, field.name)
            found = await target.find_one(id=values[field.name])
            if found is None:
                errors[field.name] = f"No {target.__name__} has this id."
            else:
                values[field.name] = found
    base = {} if record is None else {name: getattr(record, name) for name in model.model_fields if name != "id"}
    try:
        model.model_validate({**base, **{k: v for k, v in values.items() if k not in errors}})
    except ValidationError as exc:
        for name, message in forms.validation_messages(exc).items():
            errors.setdefault(name, message)
    return values, errors


class CreateView(PanelView):
    async def show(self, request: Request, **path: str) -> Response:
        index = path["index"]
        position, model = _model(request, index)
        return render(request, "form.html", index=position, model=model, fields=_fields(model), errors={})

    async def submit(self, request: Request, form: Mapping[str, Any], **path: str) -> Response:
        index = path["index"]
        position, model = _model(request, index)
        values, errors = await _validated(model, form)
        if not errors:
            try:
                record = await model.insert_one(values)
            except DatabaseError as exc:
                errors["__all__"] = str(exc)
            else:
                return RedirectResponse(f"{_state(request).prefix}{position}/{record.id}/", status_code=303)
        fields = _fields(model, submitted=form)
        return render(request, "form.html", 400, index=position, model=model, fields=fields, errors=errors)


class DetailView(PanelView):
    """A record's fields, as a form that edits it (POST)."""

    async def show(self, request: Request, **path: str) -> Response:
        index, document_id = path["index"], path["document_id"]
        position, model = _model(request, index)
        record = await _record(model, document_id)
        return render(
            request, "form.html", index=position, model=model, record=record, fields=_fields(model, record), errors={}
        )

    async def submit(self, request: Request, form: Mapping[str, Any], **path: str) -> Response:
        index, document_id = path["index"], path["document_id"]
        position, model = _model(request, index)
        record = await _record(model, document_id)
        values, errors = await _validated(model, form, record)
        if not errors:
            try:
                await record.update(values)
            except DatabaseError as exc:
                errors["__all__"] = str(exc)
            else:
                return RedirectResponse(f"{_state(request).prefix}{position}/{record.id}/?saved=1", status_code=303)
        fields = _fields(model, record, submitted=form)
        return render(
            request, "form.html", 400, index=position, model=model, record=record, fields=fields, errors=errors
        )


class DeleteView(PanelView):
    """GET asks for confirmation; POST deletes."""

    async def show(self, request: Request, **path: str) -> Response:
        index, document_id = path["index"], path["document_id"]
        position, model = _model(request, index)
        record = await _record(model, document_id)
        summary = [(name, forms.display(getattr(record, name))) for name in _columns(model)]
        return render(request, "delete.html", index=position, model=model, record=record, summary=summary)

    async def submit(self, request: Request, form: Mapping[str, Any], **path: str) -> Response:
        index, document_id = path["index"], path["document_id"]
        position, model = _model(request, index)
        record = await _record(model, document_id)
        await record.delete()
        return RedirectResponse(f"{_state(request).prefix}{position}/", status_code=303)


class LoginView(GenericAPI):
    """The login form: the ``USER_MODEL``'s username field and password; only staff users get a session."""

    auth = PanelAuthentication

    async def get(self, request: Request) -> Response:
        state = _state(request)
        target = safe_redirect(request.query_params.get("redirect_to"), state.prefix)
        if is_staff(request.user):
            return RedirectResponse(target, status_code=303)
        return _login_page(request, target, 200, error=None)

    async def post(self, request: Request) -> Response:
        state = _state(request)
        form = _form(request)
        target = safe_redirect(form.get("redirect_to") or request.query_params.get("redirect_to"), state.prefix)
        if not valid_csrf(request, form.get(CSRF_FIELD)):
            return _login_page(request, target, 403, error="The form expired: please try again.")
        user = await _authenticate(request, form.get("username"), form.get("password"))
        if user is None:
            return _login_page(request, target, 401, error="Wrong username or password, or not a staff account.")
        assert request.app is not None
        tokens = await PanelAuthentication.login(user, app=request.app)
        cookies = session_cookies(request, state.prefix, tokens)
        # The login nonce is spent: the session's own token protects the forms from now on.
        cookies.append(panel_cookie(request, state.prefix, CSRF_COOKIE, "", max_age=0))
        return RedirectResponse(target, status_code=303, set_cookies=cookies)


async def _authenticate(request: Request, username: Any, password: Any) -> Any:
    assert request.app is not None
    model: Any = request.app.config.USER_MODEL
    if not isinstance(username, str) or not isinstance(password, str) or not username or not password:
        return None
    user = await model.find_one({getattr(model, "USERNAME_FIELD", "username"): username})
    if user is None:
        # Check a password anyway, so a wrong username takes as long as a wrong password.
        state = _state(request)
        if state.dummy_hash is None:
            state.dummy_hash = await hash_password("not anyone's password")
        await BaseUser(username="", password=state.dummy_hash).acheck_password(password)
        return None
    if not await user.acheck_password(password) or not is_staff(user):
        return None
    return user


def _login_page(request: Request, target: str, status_code: int, error: str | None) -> Response:
    state = _state(request)
    nonce = new_nonce()
    response = render(
        request, "login.html", status_code, redirect_to=target, error=error, csrf=csrf_token(request, nonce)
    )
    response.set_cookies = [*response.set_cookies, panel_cookie(request, state.prefix, CSRF_COOKIE, nonce)]
    return response


class LogoutView(PanelView):
    """POST: revoke the session's tokens and delete the panel's cookies."""

    async def show(self, request: Request, **path: str) -> Response:
        return RedirectResponse(_state(request).prefix, status_code=303)

    async def submit(self, request: Request, form: Mapping[str, Any], **path: str) -> Response:
        state = _state(request)
        assert request.app is not None
        await PanelAuthentication.logout(request.user, app=request.app)
        cookies = session_cookies(request, state.prefix, None)
        return RedirectResponse(f"{state.prefix}login/", status_code=303, set_cookies=cookies)


class PanelStatic(GenericAPI):
    """The panel's CSS and JavaScript: only the files listed here, from the package (no CDN)."""

    auth = False
    files: ClassVar[Mapping[str, str]] = {
        "panel.css": "text/css; charset=utf-8",
        "panel.js": "text/javascript; charset=utf-8",
    }

    async def get(self, name: str) -> Response:
        content_type = self.files.get(name)
        if content_type is None:
            raise NotFoundAPIError
        return FileResponse(
            name,
            root=STATIC_DIR,
            headers={"Content-Type": content_type, "Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"},
            content_disposition="inline",
        )

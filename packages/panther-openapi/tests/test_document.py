"""The document built from an app's routes: paths, parameters, bodies, responses, security, tags — and valid."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from openapi_spec_validator import validate
from pydantic import BaseModel, Field, computed_field

from panther import Panther
from panther.app import API, GenericAPI
from panther.exceptions import PantherError
from panther.middlewares import HTTPMiddleware
from panther.openapi import OutputSchema, openapi_document
from panther.plan import EndpointPlan
from panther.plugins import hookimpl
from panther.request import Request
from panther.response import (
    FileResponse,
    HTMLResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
    StreamingResponse,
)
from panther.routings import Route

Build = Callable[..., Panther]
ERROR = {"$ref": "#/components/schemas/Error"}


class BookIn(BaseModel):
    """A book to store."""

    title: str = Field(min_length=1)
    pages: int = Field(gt=0)


class BookOut(BaseModel):
    id: int
    title: str


def document(make_app: Build, urls: dict[str, Any], configs: dict[str, Any] | None = None, **kwargs: Any) -> Any:
    result = openapi_document(make_app(urls, configs, **kwargs))
    validate(result)  # every document these tests build is valid OpenAPI 3.1
    return result


@API(methods=["GET"])
async def hello() -> dict[str, str]:
    """Say hello.

    Longer text,
    over two lines.
    """
    return {"hello": "world"}


class TestPaths:
    def test_paths_get_slashes_and_braces_and_only_the_methods_answered(self, make_app: Build) -> None:
        @API()
        async def anything(thing_id: int) -> None: ...

        class Shelf(GenericAPI):
            async def get(self) -> None: ...

            async def delete(self) -> None: ...

        doc = document(make_app, {"": hello, "things/<thing_id>": anything, "a/b/shelf": Shelf, "reserved/": {}})
        assert list(doc["paths"]) == ["/", "/things/{thing_id}/", "/a/b/shelf/"]
        assert list(doc["paths"]["/"]) == ["get"]
        assert list(doc["paths"]["/things/{thing_id}/"]) == ["get", "post", "put", "patch", "delete"]
        assert list(doc["paths"]["/a/b/shelf/"]) == ["get", "delete"]

    def test_operation_ids_are_unique_when_an_endpoint_is_mounted_twice(self, make_app: Build) -> None:
        doc = document(make_app, {"hello": hello, "v2/hello": hello})
        ids = [doc["paths"][p]["get"]["operationId"] for p in ("/hello/", "/v2/hello/")]
        assert ids == ["hello_get", "hello_get_v2_hello"]

    def test_summary_and_description_come_from_docstrings(self, make_app: Build) -> None:
        class Shelf(GenericAPI):
            """The shelf."""

            async def get(self) -> None:
                """Read the shelf."""

            async def put(self) -> None: ...

        class Bare(GenericAPI):  # no docstring: GenericAPI's own must not show up
            async def get(self) -> None: ...

        doc = document(make_app, {"hello": hello, "shelf": Shelf, "bare": Bare})
        operation = doc["paths"]["/hello/"]["get"]
        assert (operation["summary"], operation["description"]) == ("Say hello.", "Longer text,\nover two lines.")
        assert doc["paths"]["/shelf/"]["get"]["summary"] == "Read the shelf."
        assert doc["paths"]["/shelf/"]["put"]["summary"] == "The shelf."
        assert "summary" not in doc["paths"]["/bare/"]["get"]

    def test_tags_default_to_the_first_segment_and_output_schema_sets_them(self, make_app: Build) -> None:
        @API(output_schema=OutputSchema(tags="admin", deprecated=True))
        async def purge() -> None: ...

        doc = document(make_app, {"": hello, "books/<id>": hello_with_id(), "books/purge": purge})
        assert "tags" not in doc["paths"]["/"]["get"]
        assert doc["paths"]["/books/{id}/"]["get"]["tags"] == ["books"]
        assert doc["paths"]["/books/purge/"]["delete"]["tags"] == ["admin"]
        assert doc["paths"]["/books/purge/"]["delete"]["deprecated"] is True

    def test_exclude_in_docs_leaves_out_the_endpoint_or_one_method(self, make_app: Build) -> None:
        @API(output_schema=OutputSchema(exclude_in_docs=True))
        async def secret() -> None: ...

        @API(methods=["GET", "DELETE"], output_schema={"DELETE": OutputSchema(exclude_in_docs=True)})
        async def half() -> None: ...

        doc = document(make_app, {"secret": secret, "half": half})
        assert "/secret/" not in doc["paths"]
        assert list(doc["paths"]["/half/"]) == ["get"]


def hello_with_id() -> Any:
    @API(methods=["GET"])
    async def with_id(id: str) -> None: ...

    return with_id


class TestParameters:
    def test_path_variables_are_typed_as_the_core_casts_them(self, make_app: Build) -> None:
        @API(methods=["GET"])
        async def typed(a: int, b: float, c: bool, d: uuid.UUID, e: str, f, **rest: Any) -> None: ...  # type: ignore[no-untyped-def]

        doc = document(make_app, {"t/<a>/<b>/<c>/<d>/<e>/<f>/<g>": typed})
        schemas = {p["name"]: p["schema"] for p in doc["paths"]["/t/{a}/{b}/{c}/{d}/{e}/{f}/{g}/"]["get"]["parameters"]}
        assert schemas == {
            "a": {"type": "integer", "minimum": -999_999_999_999_999_999, "maximum": 999_999_999_999_999_999},
            "b": {"type": "number"},
            "c": {"type": "boolean"},
            "d": {"type": "string", "format": "uuid"},
            "e": {"type": "string"},
            "f": {"type": "string"},
            "g": {"type": "string"},  # taken by **rest: passed as the raw string
        }
        parameter = doc["paths"]["/t/{a}/{b}/{c}/{d}/{e}/{f}/{g}/"]["get"]["parameters"][0]
        assert (parameter["in"], parameter["required"]) == ("path", True)

    def test_generic_api_variables_are_typed_per_method(self, make_app: Build) -> None:
        class Item(GenericAPI):
            async def get(self, item: int) -> None: ...

            async def delete(self, item: str) -> None: ...

        doc = document(make_app, {"items/<item>": Item})
        assert doc["paths"]["/items/{item}/"]["get"]["parameters"][0]["schema"]["type"] == "integer"
        assert doc["paths"]["/items/{item}/"]["delete"]["parameters"][0]["schema"] == {"type": "string"}


class TestBodies:
    def test_input_model_is_the_request_body_of_post_put_patch_only(self, make_app: Build) -> None:
        @API(input_model=BookIn)
        async def books(request: Request) -> None: ...

        doc = document(make_app, {"books": books})
        operations = doc["paths"]["/books/"]
        for method in ("post", "put", "patch"):
            body = operations[method]["requestBody"]
            assert body == {
                "required": True,
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/BookIn"}}},
            }
        assert "requestBody" not in operations["get"] and "requestBody" not in operations["delete"]
        book_in = doc["components"]["schemas"]["BookIn"]
        assert (
            book_in["properties"]["title"]["minLength"] == 1 and book_in["properties"]["pages"]["exclusiveMinimum"] == 0
        )
        assert book_in["description"] == "A book to store."

    def test_a_model_read_and_written_differently_is_split_into_input_and_output(self, make_app: Build) -> None:
        class Stamp(BaseModel):
            at: int = 0

            @computed_field  # type: ignore[prop-decorator]
            @property
            def doubled(self) -> int:  # sent, never read: the output schema has it, the input schema not
                return self.at * 2

        class Wrapper(BaseModel):
            stamp: Stamp = Field(default_factory=Stamp)

        @API(methods=["POST"], input_model=Wrapper, output_schema=OutputSchema(Wrapper))
        async def stamp(request: Request) -> None: ...

        doc = document(make_app, {"stamp": stamp})
        operation = doc["paths"]["/stamp/"]["post"]
        request_ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        response_ref = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
        schemas = doc["components"]["schemas"]
        assert request_ref != response_ref
        assert request_ref.rsplit("/", 1)[1] in schemas and response_ref.rsplit("/", 1)[1] in schemas
        assert "doubled" in schemas["Stamp-Output"]["properties"]
        assert "doubled" not in schemas["Stamp-Input"]["properties"]

    def test_same_named_models_of_two_modules_get_two_components(self, make_app: Build) -> None:
        first = type("Book", (BaseModel,), {"__annotations__": {"a": int}, "__module__": "shop.one"})
        second = type("Book", (BaseModel,), {"__annotations__": {"b": str}, "__module__": "shop.two"})

        @API(methods=["POST"], input_model=first, output_schema=OutputSchema(second))
        async def convert(request: Request) -> None: ...

        doc = document(make_app, {"convert": convert})
        assert len([name for name in doc["components"]["schemas"] if "Book" in name]) == 2


def content_schema(response: dict[str, Any], media_type: str = "application/json") -> Any:
    return response["content"][media_type].get("schema")


class TestResponses:
    def test_output_schema_gives_the_model_and_status(self, make_app: Build) -> None:
        @API(methods=["POST"], output_schema=OutputSchema(BookOut, status_code=201))
        async def create() -> None: ...

        doc = document(make_app, {"create": create})
        responses = doc["paths"]["/create/"]["post"]["responses"]
        assert list(responses) == ["201"]
        assert responses["201"]["description"] == "Created"
        assert content_schema(responses["201"]) == {"$ref": "#/components/schemas/BookOut"}

    def test_output_schema_per_method(self, make_app: Build) -> None:
        @API(
            methods=["GET", "POST"],
            output_schema={"get": OutputSchema(list[BookOut]), "POST": OutputSchema(BookOut, status_code=201)},
        )
        async def books() -> None: ...

        doc = document(make_app, {"books": books})
        get, post = doc["paths"]["/books/"]["get"]["responses"], doc["paths"]["/books/"]["post"]["responses"]
        assert content_schema(get["200"]) == {"type": "array", "items": {"$ref": "#/components/schemas/BookOut"}}
        assert content_schema(post["201"]) == {"$ref": "#/components/schemas/BookOut"}

    def test_output_model_is_an_object_or_a_list_unless_the_annotation_says(self, make_app: Build) -> None:
        @API(methods=["GET"], output_model=BookOut)
        async def unknown() -> Response: ...

        @API(methods=["GET"], output_model=BookOut)
        async def many() -> list[dict[str, Any]]: ...

        @API(methods=["GET"], output_model=BookOut)
        async def one() -> dict[str, Any]: ...

        doc = document(make_app, {"unknown": unknown, "many": many, "one": one})
        ref = {"$ref": "#/components/schemas/BookOut"}
        array = {"type": "array", "items": ref}
        assert content_schema(doc["paths"]["/unknown/"]["get"]["responses"]["200"]) == {"anyOf": [ref, array]}
        assert content_schema(doc["paths"]["/many/"]["get"]["responses"]["200"]) == array
        assert content_schema(doc["paths"]["/one/"]["get"]["responses"]["200"]) == ref

    def test_return_annotations_give_the_body_and_content_type(self, make_app: Build) -> None:
        def endpoint(annotation: Any) -> Any:
            async def func() -> None: ...

            func.__annotations__["return"] = annotation
            return API(methods=["GET"])(func)

        class NotPydantic:
            pass

        urls = {
            "model": endpoint(BookOut),
            "mapping": endpoint(dict[str, int]),
            "html": endpoint(HTMLResponse),
            "text": endpoint(PlainTextResponse),
            "json": endpoint(Response),
            "file": endpoint(FileResponse),
            "stream": endpoint(StreamingResponse),
            "redirect": endpoint(RedirectResponse),
            "nothing": endpoint(None),
            "opaque": endpoint(NotPydantic),
        }
        doc = document(make_app, urls)

        def responses(path: str) -> dict[str, Any]:
            return doc["paths"][f"/{path}/"]["get"]["responses"]  # type: ignore[no-any-return]

        assert content_schema(responses("model")["200"]) == {"$ref": "#/components/schemas/BookOut"}
        assert content_schema(responses("mapping")["200"]) == {
            "type": "object",
            "additionalProperties": {"type": "integer"},
        }
        assert responses("html")["200"]["content"] == {"text/html": {"schema": {"type": "string"}}}
        assert responses("text")["200"]["content"] == {"text/plain": {"schema": {"type": "string"}}}
        assert responses("json")["200"]["content"] == {"application/json": {}}  # JSON, any shape
        assert set(responses("file")) == {"200", "206", "304", "416"}
        assert list(responses("file")["200"]["content"]) == ["*/*"]
        assert responses("stream")["200"]["content"] == {"*/*": {}}
        assert set(responses("redirect")) == {"3XX"} and "Location" in responses("redirect")["3XX"]["headers"]
        assert responses("nothing") == {"200": {"description": "OK"}}
        assert responses("opaque")["200"]["content"] == {"application/json": {}}  # pydantic cannot describe it

    def test_errors_are_those_the_endpoint_can_produce(self, make_app: Build) -> None:
        async def permission(request: Request) -> bool:
            return True

        async def auth(request: Request) -> None:
            return None

        @API(methods=["GET"])
        async def plain() -> None: ...

        @API(methods=["PUT"], input_model=BookIn, auth=auth, permissions=[permission])
        async def guarded(book_id: int, request: Request) -> None: ...

        doc = document(make_app, {"plain": plain, "books/<book_id>": guarded})
        assert set(doc["paths"]["/plain/"]["get"]["responses"]) == {"200"}
        responses = doc["paths"]["/books/{book_id}/"]["put"]["responses"]
        assert set(responses) == {"200", "400", "401", "403", "404", "413", "422"}
        assert all(content_schema(responses[code]) == ERROR for code in ("400", "401", "403", "404", "413", "422"))
        assert "path variable" in responses["400"]["description"] and "body" in responses["400"]["description"]
        assert doc["components"]["schemas"]["Error"]["type"] == "object"

    def test_no_413_without_a_body_limit(self, make_app: Build) -> None:
        @API(methods=["POST"], input_model=BookIn)
        async def create() -> None: ...

        doc = document(make_app, {"create": create}, {"MAX_REQUEST_BODY_SIZE": None})
        assert "413" not in doc["paths"]["/create/"]["post"]["responses"]

    def test_a_user_model_named_error_keeps_its_name(self, make_app: Build) -> None:
        Error = type("Error", (BaseModel,), {"__annotations__": {"code": int}})

        @API(methods=["GET"], output_schema=OutputSchema(Error))
        async def failing(thing: int) -> None: ...

        doc = document(make_app, {"f/<thing>": failing})
        schemas = doc["components"]["schemas"]
        assert schemas["Error"]["properties"] == {"code": {"title": "Code", "type": "integer"}}
        assert content_schema(doc["paths"]["/f/{thing}/"]["get"]["responses"]["400"]) == {
            "$ref": "#/components/schemas/Error2"
        }

    def test_a_declared_type_pydantic_cannot_describe_is_a_startup_error_naming_the_route(
        self, make_app: Build
    ) -> None:
        @API(methods=["GET"], output_schema=OutputSchema(Callable[[], int]))
        async def weird() -> None: ...

        app = make_app({"weird": weird})  # docs not served: nothing built yet
        with pytest.raises(PantherError, match=r"'weird/' GET: pydantic cannot write a JSON Schema"):
            openapi_document(app)


class TestThrottleMarks:
    def test_429_when_a_plugin_records_a_throttle_on_the_plan(self, make_app: Build) -> None:
        class Throttles:
            @hookimpl
            def panther_endpoint_steps(self, app: Panther, endpoint: EndpointPlan) -> None:
                if endpoint.path == "limited":
                    endpoint.extra["throttling"] = "5 per minute"

        @API(methods=["GET"])
        async def limited() -> None: ...

        doc = document(make_app, {"limited": limited, "free": hello}, plugins=[Throttles()])
        assert "429" in doc["paths"]["/limited/"]["get"]["responses"]
        assert "429" not in doc["paths"]["/free/"]["get"]["responses"]


class TestSecurity:
    def test_each_authentication_becomes_a_scheme(self, make_app: Build) -> None:
        class ApiKey:
            openapi_security_scheme = {"type": "apiKey", "in": "header", "name": "X-API-Key"}

            async def __call__(self, request: Request) -> None:
                return None

        class JWTAuthentication:  # upstream's names are recognised, also as base classes
            async def __call__(self, request: Request) -> None:
                return None

        class CookieJWTAuthentication(JWTAuthentication):
            pass

        async def token(request: Request) -> None:
            return None

        def protected(auth: Any) -> Any:
            async def func() -> None: ...

            return API(methods=["GET"], auth=auth)(func)

        urls = {
            "key": protected(ApiKey),
            "jwt": protected(JWTAuthentication),
            "cookie": protected(CookieJWTAuthentication),
            "token": protected(token),
            "default": protected(None),  # the AUTHENTICATION setting
            "open": protected(False),
        }
        doc = document(make_app, urls, {"AUTHENTICATION": token})
        security = {path: op["get"].get("security") for path, op in doc["paths"].items()}
        assert security == {
            "/key/": [{"ApiKey": []}],
            "/jwt/": [{"JWTAuthentication": []}],
            "/cookie/": [{"CookieJWTAuthentication": []}],
            "/token/": [{"token": []}],
            "/default/": [{"token": []}],
            "/open/": None,
        }
        assert doc["components"]["securitySchemes"] == {
            "ApiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
            "JWTAuthentication": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
            "CookieJWTAuthentication": {"type": "apiKey", "in": "cookie", "name": "access_token"},
            "token": {"type": "http", "scheme": "bearer"},
        }
        assert "401" in doc["paths"]["/key/"]["get"]["responses"]
        assert "401" not in doc["paths"]["/open/"]["get"]["responses"]


class TestDescriptions:
    def test_permissions_cache_and_middlewares_are_listed(self, make_app: Build) -> None:
        async def is_admin(request: Request) -> bool:
            return True

        class Timing(HTTPMiddleware):
            async def __call__(self, request: Request) -> Response:
                return await self.dispatch(request=request)

        @API(methods=["GET"], permissions=[is_admin], middlewares=[Timing])
        async def report() -> None:
            """The report."""

        doc = document(make_app, {"report": report})
        description = doc["paths"]["/report/"]["get"]["description"]
        assert "- Permissions: is_admin" in description and "- Middlewares: Timing" in description


class WebsocketRoutes:
    """Builds WebSocket routes through the core's seams, as panther-ws does."""

    @hookimpl
    def panther_build_route(self, path: str, endpoint: Any, variables: tuple[str, ...]) -> Route | None:
        if isinstance(endpoint, type) and endpoint.__name__ == "Chat":
            return Route(path, endpoint, {"websocket": self.connect}, scope_type="websocket")
        return None

    async def connect(self, scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "websocket.close", "code": 1000})


class TestWebsocketRoutes:
    async def test_a_websocket_route_is_documented_as_an_upgrade_and_the_docs_still_serve(
        self, make_app: Build, panther_app_factory: Any
    ) -> None:
        from panther.openapi.urls import url_routing
        from panther.test import APIClient

        class Chat:
            """A chat room."""

            async def connect(self, room: int) -> None: ...

        app = make_app({"chat/<room>": Chat, "hello": hello, "docs": url_routing}, plugins=[WebsocketRoutes()])
        doc = openapi_document(app)
        validate(doc)
        operation = doc["paths"]["/chat/{room}/"]["get"]
        assert operation["x-panther-websocket"] is True
        assert operation["summary"] == "A chat room."
        assert set(operation["responses"]) == {"101", "426"}
        assert operation["parameters"][0]["schema"]["type"] == "integer"
        async with APIClient(app) as client:
            for page in ("openapi.json", "swagger/", "redoc/"):
                assert (await client.get(f"/docs/{page}")).status_code == 200
            assert (await client.get("/chat/1/")).status_code == 426  # as documented

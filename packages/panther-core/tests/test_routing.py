"""Routing: URL dict validation at startup, resolution (static first, variable fallback), 404/405/HEAD/OPTIONS/426."""

import types

import pytest

from panther import Panther
from panther.app import API, GenericAPI
from panther.exceptions import PantherError
from panther.plugins import hookimpl
from panther.request import Request
from panther.routings import Route, Router, flatten_urls


@API()
async def echo(request: Request, **variables):
    assert variables == request.path_variables
    return {"path": request.path, "variables": request.path_variables}


@API()
async def other(request: Request, **variables):
    return "other"


@API(methods=["GET"])
async def only_get():
    return {"hello": "world"}


def make_app(urls, **kwargs):
    return Panther(__name__, configs=kwargs.pop("configs", {}), urls=urls, **kwargs)


class TestFlattenAndNormalise:
    def test_key_spellings_are_the_same_url(self):
        for key in ("books/", "/books", "books", "/books/"):
            assert list(flatten_urls({key: echo})) == ["books"]

    def test_nested_dicts_join_their_prefixes(self):
        flat = flatten_urls({"api/": {"/v1": {"books/": echo, "<id>": other}}, "": echo})
        assert flat == {"api/v1/books": echo, "api/v1/<id>": other, "": echo}

    def test_same_url_written_twice_is_an_error(self):
        with pytest.raises(PantherError, match="books"):
            flatten_urls({"books": echo, "books/": other})

    def test_empty_dict_reserves_a_prefix(self):
        assert flatten_urls({"reserved/": {}, "a": echo}) == {"a": echo}

    @pytest.mark.parametrize("key", ["books~", "ká", "a%20b", "a b", "a?b", "a/../b", "a/./b", "..."])
    def test_bad_characters_are_rejected_naming_the_url(self, key):
        with pytest.raises(PantherError) as info:
            make_app({key: echo})
        assert key.split("/")[0] in str(info.value)

    async def test_dots_inside_a_segment_are_allowed(self, caller):
        app = make_app({"docs/openapi.json": echo, "robots.txt": other})
        assert (await caller(app).get("/docs/openapi.json")).status == 200
        assert (await caller(app).get("/docs/openapi_json")).status == 404
        assert "docs/openapi.json" in app.urls

    @pytest.mark.parametrize("key", ["<id", "a<id>", "<id>x", "<>", "<1id>", "<i-d>"])
    def test_malformed_variables_are_rejected(self, key):
        with pytest.raises(PantherError, match="path variables"):
            make_app({key: echo})

    @pytest.mark.parametrize("endpoint", [..., None, types])
    def test_non_endpoints_are_rejected_naming_the_url(self, endpoint):
        with pytest.raises(PantherError, match="'books/"):
            make_app({"books": endpoint})

    def test_plain_function_must_be_wrapped_by_api(self):
        async def not_wrapped(request):
            return {}

        with pytest.raises(PantherError, match=r"'plain/'.*not wrapped by @API"):
            make_app({"plain": not_wrapped})

    def test_class_that_is_not_a_generic_api_is_rejected(self):
        class NotAnEndpoint:
            pass

        with pytest.raises(PantherError, match="'thing/'"):
            make_app({"thing": NotAnEndpoint})

    def test_same_level_variables_are_ambiguous(self):
        with pytest.raises(PantherError) as info:
            make_app({"user/<id>": echo, "user/<name>/": other})
        assert "user/<id>/" in str(info.value)
        assert "user/<name>/" in str(info.value)

    def test_same_level_variables_in_nested_dicts_are_ambiguous(self):
        with pytest.raises(PantherError, match="ambiguous"):
            make_app({"user": {"<id>": echo}, "user/": {"<slug>": other}})

    def test_non_string_key_is_rejected(self):
        with pytest.raises(PantherError):
            make_app({1: echo})


class TestResolution:
    async def test_root_url(self, caller):
        app = make_app({"": echo, "books": other})
        result = await caller(app).get("/")
        assert result.status == 200
        assert result.json() == {"path": "/", "variables": {}}

    async def test_trailing_slash_is_optional(self, caller):
        client = caller(make_app({"books/": echo}))
        for path in ("/books", "/books/"):
            assert (await client.get(path)).status == 200

    async def test_nested_urls_resolve(self, caller):
        client = caller(make_app({"api": {"v1/": {"books": echo}}}))
        result = await client.get("/api/v1/books/")
        assert result.status == 200
        assert (await client.get("/api/v1")).status == 404
        assert (await client.get("/api")).status == 404

    async def test_variable_is_a_whole_segment(self, caller):
        client = caller(make_app({"user/<id>/": echo}))
        result = await client.get("/user/42/")
        assert result.json() == {"path": "/user/42/", "variables": {"id": "42"}}
        assert (await client.get("/user/42/extra")).status == 404
        assert (await client.get("/user/")).status == 404
        # An empty segment does not fill a variable.
        assert (await client.get("/user//")).status == 404

    async def test_static_wins_over_variable(self, caller):
        client = caller(make_app({"user/<id>": echo, "user/me": other}))
        assert (await client.get("/user/me")).json() == "other"
        assert (await client.get("/user/you")).json()["variables"] == {"id": "you"}

    async def test_dead_end_static_branch_falls_back_to_the_variable(self, caller):
        client = caller(make_app({"user/list/": other, "user/<id>/detail/": echo}))
        result = await client.get("/user/list/detail/")
        assert result.status == 200
        assert result.json()["variables"] == {"id": "list"}
        assert (await client.get("/user/list/")).json() == "other"

    async def test_static_dict_without_endpoint_falls_back_to_the_variable(self, caller):
        # 'user/list/' is only a prefix (of 'user/list/all'), so '/user/list' must reach 'user/<id>'.
        client = caller(make_app({"user/list/all": other, "user/<id>": echo}))
        assert (await client.get("/user/list")).json()["variables"] == {"id": "list"}
        assert (await client.get("/user/list/all")).json() == "other"

    async def test_deep_backtracking_over_several_variables(self, caller):
        client = caller(make_app({"a/b/c": other, "a/<x>/c/<y>": echo, "<p>/b/<q>/d": echo}))
        assert (await client.get("/a/b/c/9")).json()["variables"] == {"x": "b", "y": "9"}
        assert (await client.get("/a/b/z/d")).json()["variables"] == {"p": "a", "q": "z"}
        assert (await client.get("/a/b/c")).json() == "other"

    async def test_variable_to_endpoint_and_variable_to_dict_coexist(self, caller):
        client = caller(make_app({"user/<id>": echo, "user/<uid>/posts/<post>": echo}))
        assert (await client.get("/user/1")).json()["variables"] == {"id": "1"}
        assert (await client.get("/user/1/posts/2")).json()["variables"] == {"uid": "1", "post": "2"}

    async def test_unknown_path_is_404(self, caller):
        result = await caller(make_app({"books": echo})).get("/authors/")
        assert result.status == 404
        assert result.json() == {"detail": "Not Found"}

    @pytest.mark.parametrize("path", ["/../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/books/../books", "/./books"])
    async def test_traversal_attempts_are_404(self, caller, path):
        result = await caller(make_app({"books": echo, "": other})).get(path)
        assert result.status == 404
        assert result.json() == {"detail": "Not Found"}

    def test_static_paths_are_one_dict_lookup(self):
        # Fully static URLs are stored in a plain dict keyed by the normalised path, so resolving them costs one
        # hash lookup however many routes there are; only paths with variables walk the tree.
        urls = {f"static/{i}": echo for i in range(500)}
        urls["user/<id>"] = other
        router = Router(flatten_urls(urls), lambda path, endpoint: (path, endpoint))
        assert type(router.static) is dict
        assert len(router.static) == 500
        assert "user/<id>" not in router.static
        assert router.static["static/499"][0] == ("static/499", echo)
        assert router.match("/static/499/") is router.static["static/499"]
        route, variables = router.match("/user/7")
        assert route == ("user/<id>", other)
        assert variables == {"id": "7"}

    def test_app_uses_the_router_static_table(self):
        app = make_app({"books": echo, "books/<id>": other})
        assert set(app.router.static) == {"books"}
        route, variables = app.router.match("/books/")
        assert route.endpoint is echo
        assert variables == {}


class TestMethods:
    async def test_405_names_the_allowed_methods(self, caller):
        result = await caller(make_app({"x": only_get})).post("/x", json_body={})
        assert result.status == 405
        assert result.json() == {"detail": "Method Not Allowed"}
        assert set(result.header("allow").split(", ")) == {"GET", "HEAD", "OPTIONS"}

    @pytest.mark.parametrize("method", ["PROPFIND", "TRACE", "CONNECT", "BREW"])
    async def test_unknown_methods_are_405(self, caller, method):
        result = await caller(make_app({"x": echo})).request(method, "/x")
        assert result.status == 405
        assert result.json() == {"detail": "Method Not Allowed"}

    async def test_head_of_a_get_endpoint_has_no_body_and_the_get_length(self, caller):
        client = caller(make_app({"x": only_get}))
        get = await client.get("/x")
        head = await client.request("HEAD", "/x")
        assert head.status == 200
        assert head.body == b""
        assert head.header("content-length") == get.header("content-length") == str(len(get.body))
        assert head.header("content-type") == "application/json"

    async def test_head_is_not_offered_without_get(self, caller):
        @API(methods=["POST"])
        async def post_only():
            return None

        result = await caller(make_app({"x": post_only})).request("HEAD", "/x")
        assert result.status == 405

    async def test_options_answers_allow_without_cors(self, caller):
        result = await caller(make_app({"x": only_get})).request("OPTIONS", "/x")
        assert result.status == 204
        assert result.body == b""
        assert set(result.header("allow").split(", ")) == {"GET", "HEAD", "OPTIONS"}

    async def test_generic_api_allows_only_implemented_methods(self, caller):
        class Books(GenericAPI):
            async def get(self):
                return "list"

            async def post(self):
                return "created"

        client = caller(make_app({"books": Books}))
        assert (await client.get("/books")).json() == "list"
        assert (await client.post("/books")).json() == "created"
        result = await client.request("DELETE", "/books")
        assert result.status == 405
        assert set(result.header("allow").split(", ")) == {"GET", "HEAD", "POST", "OPTIONS"}

    async def test_method_is_checked_case_sensitively_uppercase(self, caller):
        result = await caller(make_app({"x": only_get})).request("get", "/x")
        assert result.status == 405


class GenericWebsocket:
    """Stands for panther-ws's endpoint base class (named in the core's install hints)."""


class FakeWebsocket(GenericWebsocket):
    pass


class WebsocketPlugin:
    """Builds WebSocket routes through the core's documented seams."""

    def __init__(self):
        self.calls = []

    @hookimpl
    def panther_build_route(self, path, endpoint):
        if isinstance(endpoint, type) and issubclass(endpoint, GenericWebsocket):
            return Route(path, endpoint, {"websocket": self.connect}, scope_type="websocket")
        return None

    async def connect(self, scope, receive, send):
        self.calls.append(scope["path"])
        await send({"type": "websocket.close", "code": 1000})

    @hookimpl
    def panther_scope_handlers(self, app):
        async def handler(scope, receive, send):
            found = app.router.match(scope["path"])
            await found[0].handlers["websocket"](scope, receive, send)

        return {"websocket": handler}


class TestWebsocketRoutes:
    async def test_http_request_to_a_websocket_route_is_426(self, caller):
        app = make_app({"ws": FakeWebsocket, "x": echo}, plugins=[WebsocketPlugin()])
        result = await caller(app).get("/ws/")
        assert result.status == 426
        assert result.json() == {"detail": "This service requires use of the WebSocket protocol."}
        assert (await caller(app).request("OPTIONS", "/ws")).status == 426

    def test_websocket_route_without_a_plugin_is_a_startup_error_naming_the_distribution(self):
        with pytest.raises(PantherError, match=r"'ws/' points to a GenericWebsocket.*`panther-ws`"):
            make_app({"ws": FakeWebsocket}, disable_plugins=["ws"])

    async def test_websocket_scope_goes_to_the_plugin_handler(self):
        plugin = WebsocketPlugin()
        app = make_app({"ws": FakeWebsocket}, plugins=[plugin])
        sent = []

        async def receive():
            return {"type": "websocket.connect"}

        async def send(message):
            sent.append(message)

        await app({"type": "websocket", "path": "/ws/"}, receive, send)
        assert plugin.calls == ["/ws/"]
        assert sent == [{"type": "websocket.close", "code": 1000}]


class TestPathVariablesArePerRequest:
    async def test_mutating_path_variables_does_not_leak_into_later_requests(self, caller):
        # The static table answers every request with the same tuple; its empty dict must not become shared state.
        @API()
        async def mutate(request: Request):
            before = dict(request.path_variables)
            request.path_variables["injected"] = "yes"
            return before

        client = caller(make_app({"static": mutate, "var/<x>": echo}))
        assert (await client.get("/static")).json() == {}
        assert (await client.get("/static")).json() == {}
        assert (await client.get("/var/1")).json()["variables"] == {"x": "1"}


class TestShortcutsAgreeWithTheTree:
    """The lookups that answer most paths in one step (fully static, `prefix/<last>`) must give what the segment
    tree gives, on any route table."""

    @pytest.mark.parametrize("seed", range(40))
    def test_random_route_tables(self, seed):
        import random

        rng = random.Random(seed)
        words = ["a", "b", "users", "me", "list"]

        def random_route() -> str:
            segments = [rng.choice([*words, None]) for _ in range(rng.randint(1, 4))]
            return "/".join(f"<v{i}>" if segment is None else segment for i, segment in enumerate(segments))

        urls = {random_route(): "endpoint" for _ in range(rng.randint(1, 12))}
        router = Router(flatten_urls(urls), lambda path, endpoint: path)
        tree_only = Router(flatten_urls(urls), lambda path, endpoint: path)
        tree_only.static.clear()
        tree_only.tail_variable.clear()
        for _ in range(60):
            request_path = "/" + "/".join(rng.choice([*words, "7", "x"]) for _ in range(rng.randint(0, 4))) + "/"
            assert router.match(request_path) == tree_only.match(request_path), (urls, request_path)

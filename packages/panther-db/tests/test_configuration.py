"""The db settings (``DATABASE``, ``USER_MODEL``, ``MEDIA_DIR``, ``LOG_QUERIES``): what works, what fails at startup."""

from __future__ import annotations

import sys

import pytest
from cryptography.fernet import Fernet

from panther import Panther
from panther.app import API
from panther.db import BaseUser, Model
from panther.db.connections import MongoDBConnection, PantherDBConnection, db, redis
from panther.db.context import DB
from panther.db.engines.base import BaseDatabaseConnection
from panther.db.query_log import LoggedConnection
from panther.exceptions import DatabaseError, PantherError
from panther.plugins import hookimpl
from panther.test import APIClient
from panther.test.lifespan import LifespanError


class Note(Model):
    text: str


class Staff(BaseUser):
    level: int = 0


def build(tmp_path, **configs) -> Panther:
    return Panther(__name__, configs={"BASE_DIR": str(tmp_path), **configs}, urls={})


# --- engines ------------------------------------------------------------------------------------------------------


async def test_default_is_pantherdb_in_base_dir_and_creates_nothing_until_used(tmp_path):
    app = build(tmp_path)
    assert isinstance(app.stash[DB], PantherDBConnection)
    assert app.stash[DB].path == tmp_path / "database.pdb"
    await app.startup()
    await app.shutdown()
    assert list(tmp_path.iterdir()) == []
    await app.startup()
    await Note.insert_one(text="hi")
    await app.shutdown()
    assert (tmp_path / "database.pdb").exists()


@pytest.mark.parametrize(
    "spec",
    ["pantherdb", "panther.db.connections.PantherDBConnection", "panther.db.engines.pantherdb.PantherDBConnection"],
)
def test_engine_by_name_or_dotted_path(tmp_path, spec):
    app = build(tmp_path, DATABASE={"engine": {"class": spec, "path": "data/x.pdb"}, "query": "ignored"})
    assert isinstance(app.stash[DB], PantherDBConnection)
    assert app.stash[DB].path == tmp_path / "data" / "x.pdb"


def test_engine_given_as_a_class(tmp_path):
    app = build(tmp_path, DATABASE={"engine": {"class": PantherDBConnection}})
    assert isinstance(app.stash[DB], PantherDBConnection)


@pytest.mark.parametrize(
    ("database", "message"),
    [
        ("sqlite://", "DATABASE must be a dict"),
        ({"engine": "pantherdb"}, "DATABASE['engine'] must be a dict"),
        ({"engines": {}}, "unknown keys ['engines']"),
        ({"engine": {"class": "nosuch"}}, "no installed engine has that name"),
        ({"engine": {"class": "panther.db.nosuch.Engine"}}, "cannot import 'panther.db.nosuch.Engine'"),
        ({"engine": {"class": "panther.db.models.Model"}}, "is not a database engine"),
        ({"engine": {"class": "pantherdb", "colour": "red"}}, "has an option PantherDBConnection does not take"),
        ({"engine": {"class": "pantherdb", "path": 3}}, "must be a file path"),
        ({"prefetch": -1}, "DATABASE['prefetch'] must be a whole number"),
        ({"prefetch": "100"}, "DATABASE['prefetch'] must be a whole number"),
        ({"prefetch": True}, "DATABASE['prefetch'] must be a whole number"),
    ],
)
def test_bad_database_settings_fail_when_the_app_is_built(tmp_path, database, message):
    with pytest.raises(PantherError, match=None) as caught:
        build(tmp_path, DATABASE=database)
    assert message in str(caught.value)


class MemoryishConnection(PantherDBConnection):
    """A stand-in third-party engine (any BaseDatabaseConnection subclass works)."""

    name = "Memoryish"


class EnginePlugin:
    __name__ = "memoryish-engine"

    @staticmethod
    @hookimpl
    def panther_db_engines():
        return {"memoryish": MemoryishConnection}


class ClashingPlugin:
    __name__ = "clashing-engine"

    @staticmethod
    @hookimpl
    def panther_db_engines():
        return {"memoryish": PantherDBConnection}


async def test_a_plugin_adds_an_engine_through_the_hook(tmp_path):
    app = Panther(
        __name__,
        configs={"BASE_DIR": str(tmp_path), "DATABASE": {"engine": {"class": "memoryish"}}},
        urls={},
        plugins=[EnginePlugin],
    )
    assert type(app.stash[DB]) is MemoryishConnection
    await app.startup()
    assert (await Note.insert_one(text="x")).id
    await app.shutdown()
    with pytest.raises(PantherError, match="Two plugins offer a database engine named 'memoryish'"):
        Panther(__name__, configs={"BASE_DIR": str(tmp_path)}, urls={}, plugins=[EnginePlugin, ClashingPlugin])
    with pytest.raises(PantherError, match="installed: memoryish, mongodb, pantherdb"):
        Panther(
            __name__,
            configs={"BASE_DIR": str(tmp_path), "DATABASE": {"engine": {"class": "x"}}},
            urls={},
            plugins=[EnginePlugin],
        )


def test_the_engine_contract_is_abstract():
    with pytest.raises(TypeError):
        BaseDatabaseConnection()  # type: ignore[abstract]


# --- encryption ---------------------------------------------------------------------------------------------------


async def test_encrypted_pantherdb_round_trips_with_the_right_key(tmp_path):
    key = Fernet.generate_key().decode()
    settings = {"DATABASE": {"engine": {"class": "pantherdb", "encryption": True}}, "SECRET_KEY": key}
    app = build(tmp_path, **settings)
    await app.startup()
    await Note.insert_one(text="top secret")
    await app.shutdown()
    assert b"top secret" not in (tmp_path / "database.pdb").read_bytes()
    again = build(tmp_path, **settings)
    await again.startup()
    assert (await Note.find_one()).text == "top secret"
    await again.shutdown()


def test_encryption_without_or_with_an_invalid_secret_key_fails_at_build(tmp_path):
    database = {"engine": {"class": "pantherdb", "encryption": True}}
    with pytest.raises(PantherError, match="needs SECRET_KEY"):
        build(tmp_path, DATABASE=database)
    with pytest.raises(PantherError, match="SECRET_KEY is not a Fernet key"):
        build(tmp_path, DATABASE=database, SECRET_KEY="not-a-fernet-key")


async def test_encrypted_pantherdb_with_a_wrong_key_fails_the_startup_clearly(tmp_path):
    database = {"engine": {"class": "pantherdb", "encryption": True}}
    app = build(tmp_path, DATABASE=database, SECRET_KEY=Fernet.generate_key().decode())
    await app.startup()
    await Note.insert_one(text="x")
    await app.shutdown()

    wrong = build(tmp_path, DATABASE=database, SECRET_KEY=Fernet.generate_key().decode())
    with pytest.raises(PantherError, match="wrong SECRET_KEY") as caught:
        await wrong.startup()
    assert "Check SECRET_KEY and `encryption` in DATABASE" in str(caught.value)
    # The same through a server's lifespan: the startup fails with that message.
    with pytest.raises(LifespanError, match="wrong SECRET_KEY"):
        async with APIClient(wrong):
            pass

    plain = build(tmp_path)  # encrypted file, encryption off
    with pytest.raises(PantherError, match="set SECRET_KEY"):
        await plain.startup()


# --- MongoDB settings (no server needed) ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("engine", "message"),
    [
        ({"class": "mongodb", "host": "mongodb://127.0.0.1:27017"}, "name the MongoDB database"),
        ({"class": "mongodb", "host": "http://x/db"}, None),
        (
            {"class": "mongodb", "host": "mongodb://127.0.0.1:27017/db?w=bogus&nosuchoption=1&maxPoolSize=x"},
            "not a valid",
        ),
        ({"class": "mongodb", "host": ""}, "must be a MongoDB connection string"),
    ],
)
def test_bad_mongodb_settings_fail_when_the_app_is_built(tmp_path, engine, message):
    if engine["host"] == "http://x/db":  # a host name, not a URI: the database must then be named explicitly
        with pytest.raises(PantherError, match="name the MongoDB database"):
            build(tmp_path, DATABASE={"engine": engine})
        return
    with pytest.raises(PantherError) as caught:
        build(tmp_path, DATABASE={"engine": engine})
    assert message in str(caught.value)


def test_mongodb_settings_are_read_from_the_connection_string(tmp_path):
    host = "mongodb://user:pw@127.0.0.1:27017,127.0.0.1:27018/shop?replicaSet=rs0&authSource=admin"
    app = build(tmp_path, DATABASE={"engine": {"class": "panther.db.connections.MongoDBConnection", "host": host}})
    connection = app.stash[DB]
    assert isinstance(connection, MongoDBConnection)
    assert connection.database == "shop"
    assert "pw" not in repr(connection)
    explicit = build(tmp_path, DATABASE={"engine": {"class": "mongodb", "host": host, "database": "other"}})
    assert explicit.stash[DB].database == "other"


def test_missing_pymongo_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "pymongo", None)
    with pytest.raises(PantherError, match=r"pip install 'panther-db\[mongodb\]'"):
        build(tmp_path, DATABASE={"engine": {"class": "mongodb", "database": "x"}})


async def test_unreachable_mongodb_fails_the_startup_without_leaking_credentials(tmp_path):
    host = "mongodb://admin:hunter2@127.0.0.1:1/x?serverSelectionTimeoutMS=200"
    app = build(tmp_path, DATABASE={"engine": {"class": "mongodb", "host": host}})
    with pytest.raises(PantherError, match="Cannot reach MongoDB") as caught:
        await app.startup()
    assert "hunter2" not in str(caught.value)


@pytest.mark.panther_mongodb
async def test_connection_string_options_pass_through_to_the_driver(tmp_path, panther_mongodb_url):
    host = f"{panther_mongodb_url.rstrip('/')}/panther_test_options?appname=panther-test&retryWrites=false"
    app = build(tmp_path, DATABASE={"engine": {"class": "mongodb", "host": host, "maxPoolSize": 7}})
    await app.startup()
    try:
        client = app.stash[DB].client
        assert client.options.pool_options.max_pool_size == 7
        assert client.options.retry_writes is False
        assert client.options.pool_options.metadata["application"] == {"name": "panther-test"}
        assert (await Note.insert_one(text="x")).id
    finally:
        await app.stash[DB].client.drop_database("panther_test_options")
        await app.shutdown()


# --- other settings -----------------------------------------------------------------------------------------------


def test_user_model(tmp_path):
    assert build(tmp_path).config.USER_MODEL is BaseUser
    assert build(tmp_path, USER_MODEL=f"{__name__}.Staff").config.USER_MODEL is Staff
    assert build(tmp_path, USER_MODEL=Staff).config.USER_MODEL is Staff
    with pytest.raises(PantherError, match=r"USER_MODEL must be a subclass of panther\.db\.models\.BaseUser"):
        build(tmp_path, USER_MODEL=f"{__name__}.Note")
    with pytest.raises(PantherError, match="USER_MODEL: cannot import"):
        build(tmp_path, USER_MODEL="nowhere.User")


def test_media_dir_and_log_queries(tmp_path):
    app = build(tmp_path, MEDIA_DIR="files/up")
    assert app.stash[DB].media_root == tmp_path / "files" / "up"
    with pytest.raises(PantherError, match="MEDIA_DIR must be a folder path"):
        build(tmp_path, MEDIA_DIR=None)
    with pytest.raises(PantherError, match="LOG_QUERIES must be True or False"):
        build(tmp_path, LOG_QUERIES="yes")
    logged = build(tmp_path, LOG_QUERIES=True).stash[DB]
    assert isinstance(logged, LoggedConnection) and isinstance(logged.wrapped, PantherDBConnection)


# --- upstream compatibility ---------------------------------------------------------------------------------------


async def test_db_and_redis_follow_the_current_app(tmp_path):
    first = build(tmp_path / "a")
    assert db.is_defined
    assert db.session is first.stash[DB].session
    second = build(tmp_path / "b")
    assert db.session is second.stash[DB].session  # the most recently built app
    assert redis.is_connected is False
    with pytest.raises(ValueError, match="`REDIS` is not found in `configs`"):
        await redis.ping()


async def test_a_disabled_db_plugin_gives_a_clear_error(tmp_path):
    build(tmp_path, DISABLED_PLUGINS=["db"])
    with pytest.raises(DatabaseError, match="the `db` plugin is disabled"):
        await Note.find_one()
    assert db.is_defined is False


def test_mongodb_waits_5_seconds_for_a_server_unless_configured(tmp_path):
    # pymongo alone waits 30 s for a server before failing a query; Panther answers 503 after 5 s.
    default = build(tmp_path, DATABASE={"engine": {"class": "mongodb", "host": "mongodb://127.0.0.1:1/x"}})
    assert default.stash[DB].client.options.server_selection_timeout == 5
    for engine in (
        {"host": "mongodb://127.0.0.1:1/x", "serverSelectionTimeoutMS": 800},
        {"host": "mongodb://127.0.0.1:1/x?serverSelectionTimeoutMS=800"},
    ):
        app = build(tmp_path, DATABASE={"engine": {"class": "mongodb", **engine}})
        assert app.stash[DB].client.options.server_selection_timeout == 0.8


async def test_unreachable_mongodb_during_a_request_is_a_503_with_a_detail(tmp_path, caplog):
    # The server went away after startup: every query is answered 503 (never 500), and the next one tries again.
    @API()
    async def notes():
        return await Note.find()

    @API(methods=["POST"])
    async def add():
        return await Note.insert_one(text="x")

    host = "mongodb://127.0.0.1:1/x?serverSelectionTimeoutMS=100"
    app = Panther(
        __name__,
        configs={"DATABASE": {"engine": {"class": "mongodb", "host": host}}},
        urls={"notes": notes, "add": add},
    )
    async with APIClient(app, lifespan=False) as client:
        for method, path in (("get", "/notes"), ("post", "/add")):
            response = await getattr(client, method)(path)
            assert response.status_code == 503
            assert response.data == {"detail": "Database is unavailable, try again later"}
    assert "MongoDB is unavailable: ServerSelectionTimeoutError" in caplog.text

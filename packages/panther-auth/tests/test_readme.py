"""The README's example app works as written: login, the token's user, refresh, logout."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

import pytest

pytest.importorskip("panther.db", reason="the README's example uses panther-db's BaseUser")

from panther.db.models import BaseUser
from panther.test import APIClient

README = Path(__file__).resolve().parents[1] / "README.md"


@pytest.fixture
def app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    code = re.search(r"```python\n(.*?)```", README.read_text(), re.S).group(1)  # type: ignore[union-attr]
    code = code.replace('SECRET_KEY = "..."', 'SECRET_KEY = "readme-secret-key-0123456789abcdef"')
    (tmp_path / "readme_app.py").write_text(code)
    spec = importlib.util.spec_from_file_location("readme_app", tmp_path / "readme_app.py")
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    monkeypatch.setitem(sys.modules, "readme_app", module)
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module.app


async def test_readme_example(app):
    async with APIClient(app) as client:
        user = BaseUser(username="ann")
        await user.set_password("secret")
        await BaseUser.insert_one(user.model_dump(exclude={"id"}, exclude_none=True))

        assert (await client.post("/login/", {"username": "ann", "password": "wrong"})).status_code == 401
        tokens = (await client.post("/login/", {"username": "ann", "password": "secret"})).data
        access = {"Authorization": f"Bearer {tokens['access_token']}"}
        assert (await client.get("/me/", headers=access)).data == {"username": "ann"}
        assert (await client.get("/me/")).status_code == 403

        assert (await client.post("/refresh/")).status_code == 403
        renewed = await client.post("/refresh/", headers={"Authorization": f"Bearer {tokens['refresh_token']}"})
        assert renewed.status_code == 200
        assert (await client.get("/me/", headers=access)).data == {"detail": "Token revoked"}

        access = {"Authorization": f"Bearer {renewed.data['access_token']}"}
        assert (await client.post("/logout/", headers=access)).status_code == 200
        assert (await client.get("/me/", headers=access)).data == {"detail": "Token revoked"}

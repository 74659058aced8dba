"""JWT sign-up, login, refresh and logout, with users in the embedded PantherDB.

Run from the repository root: ``panther run examples.jwt_auth.main:app`` (needs panther-core, panther-db and
panther-auth). Set ``REDIS`` to keep revoked tokens in Redis, so every worker sees a logout.
"""

from pydantic import BaseModel, Field

from panther import Panther, status
from panther.app import API
from panther.authentications import JWTAuthentication
from panther.db.models import BaseUser
from panther.exceptions import AuthenticationAPIError, BadRequestAPIError
from panther.permissions import IsAuthenticated
from panther.request import Request
from panther.response import Response

# Generate your own with `python -c "from panther.utils import generate_secret_key; print(generate_secret_key())"`.
SECRET_KEY = "change-me: a long random string, kept out of the repository"
AUTHENTICATION = "panther.authentications.JWTAuthentication"  # every endpoint, unless it says auth=False
DATABASE = {"engine": {"class": "pantherdb", "path": "database.pdb"}}


class Credentials(BaseModel):
    username: str = Field(min_length=3, max_length=50)
    password: str = Field(min_length=8)


class RefreshJWTAuthentication(JWTAuthentication):
    token_type = "refresh"  # this endpoint accepts refresh tokens only


@API(methods=["POST"], input_model=Credentials, auth=False)
async def signup(request: Request):
    data: Credentials = request.validated_data
    if await BaseUser.exists(username=data.username):
        raise BadRequestAPIError("This username is taken")
    user = await BaseUser.insert_one(username=data.username)
    await user.set_password(data.password)
    return Response({"id": user.id, "username": user.username}, status_code=status.HTTP_201_CREATED)


@API(methods=["POST"], input_model=Credentials, auth=False)
async def login(request: Request):
    data: Credentials = request.validated_data
    user = await BaseUser.find_one(username=data.username)
    if user is None or not await user.acheck_password(data.password):
        raise AuthenticationAPIError("Wrong username or password")
    return await user.login()  # {"access_token": ..., "refresh_token": ...}


@API(permissions=[IsAuthenticated])
async def me(request: Request):
    return {"id": request.user.id, "username": request.user.username}


@API(methods=["POST"], auth=RefreshJWTAuthentication, permissions=[IsAuthenticated])
async def refresh(request: Request):
    return await request.user.refresh_tokens()  # a new pair; the refresh token used is revoked


@API(methods=["POST"], permissions=[IsAuthenticated])
async def logout(request: Request):
    await request.user.logout()  # this session's access and refresh tokens are revoked
    return Response(status_code=status.HTTP_204_NO_CONTENT)


urls = {"signup/": signup, "login/": login, "me/": me, "refresh/": refresh, "logout/": logout}

app = Panther(__name__, configs=__name__, urls=urls)

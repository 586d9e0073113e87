"""Kata 2.4: response models that filter output, status codes, and documented error responses."""

import hashlib
import hmac
import itertools
import secrets
from typing import Annotated, Any

from fastapi import Depends, FastAPI, HTTPException, Request, status
from fastapi.concurrency import run_in_threadpool
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.security import HTTPBasic, HTTPBasicCredentials
from pydantic import BaseModel, Field

# scrypt with toy parameters: a stand-in so that this kata needs nothing beyond the standard
# library and its tests run fast. OWASP's minimum for scrypt is n=2**17 (128 MiB per hash);
# real password storage, with argon2, is kata 5.1.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**10, 8, 1


def hash_password(password: str) -> str:
    """A salted scrypt hash, `scrypt$<salt hex>$<digest hex>` (given; a stand-in for argon2)."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P)
    return f"scrypt${salt.hex()}${digest.hex()}"


def verify_password(password: str, password_hash: str) -> bool:
    """Whether `password` is the one `password_hash` was made from (given)."""
    _, salt, digest = password_hash.split("$")
    candidate = hashlib.scrypt(
        password.encode(), salt=bytes.fromhex(salt), n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P
    )
    return hmac.compare_digest(candidate, bytes.fromhex(digest))


class UserBase(BaseModel):
    """The public fields of a user (given)."""

    username: str = Field(pattern=r"^[a-z][a-z0-9_]{2,19}$")
    email: str = Field(max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    full_name: str | None = Field(default=None, max_length=100)
    bio: str | None = Field(default=None, max_length=500)


class UserIn(UserBase):
    """What a client sends to sign up (given)."""

    password: str = Field(min_length=8, max_length=64)


class UserOut(UserBase):
    """A user as the API shows it: the public fields and the id, nothing secret."""

    id: int


class UserInDB(UserOut):
    """A user as the store keeps it: everything public, plus the password hash.

    It extends `UserOut`, so an endpoint may return it where a `UserOut` is declared: the
    response model then drops what `UserOut` does not have.
    """

    password_hash: str


class Message(BaseModel):
    """The body of every error this API raises itself: `{"detail": "..."}`."""

    detail: str


class UserStore:
    """The app's users, in memory (given). Tests hand one to `create_app` to see what is stored."""

    def __init__(self) -> None:
        self.users: dict[int, UserInDB] = {}
        self._ids = itertools.count(1)

    def new_id(self) -> int:
        """The next id: ids are never reused, even after a delete."""
        return next(self._ids)

    def by_username(self, username: str) -> UserInDB | None:
        """The user with that username, or None."""
        return next((user for user in self.users.values() if user.username == username), None)


def create_app(store: UserStore | None = None) -> FastAPI:
    """Builds the users API on `store` (a new, empty one when None)."""
    db = UserStore() if store is None else store
    app = FastAPI(title="Users", version="1.0.0")
    basic = HTTPBasic(realm="users")

    # FastAPI's own 422 handler echoes each invalid value back under "input": a password that
    # is one character too short comes back verbatim. Same error list, minus the echo.
    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{k: v for k, v in error.items() if k != "input"} for error in exc.errors()]
        return JSONResponse(
            status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
            content={"detail": jsonable_encoder(errors)},
        )

    # Each error answer is documented with its body: /openapi.json (and every client generated
    # from it) then knows what a 404 looks like, not only that there may be one.
    no_such_user: dict[int | str, dict[str, Any]] = {
        status.HTTP_404_NOT_FOUND: {"model": Message, "description": "No such user"}
    }

    def not_found(user_id: int) -> HTTPException:
        return HTTPException(status.HTTP_404_NOT_FOUND, detail=f"User {user_id} not found")

    # The return annotation is the response model: returning a UserInDB where a UserOut is
    # declared is filtered down to UserOut's fields. exclude_unset drops the profile fields the
    # client never sent, which only works if the stored model remembers what was set.
    @app.post(
        "/users",
        status_code=status.HTTP_201_CREATED,
        response_model_exclude_unset=True,
        responses={status.HTTP_409_CONFLICT: {"model": Message, "description": "Username taken"}},
    )
    async def create_user(user_in: UserIn) -> UserOut:
        # Hash first, off the event loop (it is CPU work); then check and insert with no await
        # in between, so two concurrent sign-ups cannot both claim one username.
        password_hash = await run_in_threadpool(hash_password, user_in.password)
        if db.by_username(user_in.username) is not None:
            raise HTTPException(
                status.HTTP_409_CONFLICT, detail=f"Username {user_in.username!r} is taken"
            )
        # exclude_unset keeps "never sent" apart from "sent as null" in the stored record.
        profile = user_in.model_dump(exclude_unset=True, exclude={"password"})
        user = UserInDB(**profile, id=db.new_id(), password_hash=password_hash)
        db.users[user.id] = user
        return user

    @app.get("/users", response_model_exclude_unset=True)
    async def list_users() -> list[UserOut]:
        return list(db.users.values())

    # Declared before /users/{user_id}: routes match in order, and "me" would otherwise be
    # taken for a user_id (and answered with 422).
    @app.get(
        "/users/me",
        response_model_exclude_unset=True,
        responses={
            status.HTTP_401_UNAUTHORIZED: {"model": Message, "description": "Not signed in"}
        },
    )
    async def read_me(credentials: Annotated[HTTPBasicCredentials, Depends(basic)]) -> UserOut:
        user = db.by_username(credentials.username)
        if user is None or not await run_in_threadpool(
            verify_password, credentials.password, user.password_hash
        ):
            # A 401 must say how to authenticate (RFC 9110), and the same message for an
            # unknown user and a wrong password does not tell which usernames exist.
            raise HTTPException(
                status.HTTP_401_UNAUTHORIZED,
                detail="Incorrect username or password",
                headers={"WWW-Authenticate": 'Basic realm="users"'},
            )
        return user

    @app.get("/users/{user_id}", response_model_exclude_unset=True, responses=no_such_user)
    async def read_user(user_id: int) -> UserOut:
        if user_id not in db.users:
            raise not_found(user_id)
        return db.users[user_id]

    @app.delete("/users/{user_id}", status_code=status.HTTP_204_NO_CONTENT, responses=no_such_user)
    async def delete_user(user_id: int) -> None:
        if db.users.pop(user_id, None) is None:
            raise not_found(user_id)

    return app

"""Kata 2.4: response models that filter output, status codes, and documented error responses."""

import hashlib
import hmac
import itertools
import secrets

from fastapi import FastAPI
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

    # TODO(task 1): add the id, an int. Nothing else: whatever this model has, clients see.


class UserInDB(UserOut):
    """A user as the store keeps it: everything public, plus the password hash."""

    # TODO(task 1): add password_hash, a str (what `hash_password` returns).


class Message(BaseModel):
    """The body of every error this API raises itself: `{"detail": "..."}`."""

    # TODO(task 5): add detail, a str.


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
    # TODO(task 1): build a FastAPI app over `store` (or a new UserStore) and POST /users:
    #   hash the password, store a UserInDB under store.new_id(), answer 201 with a UserOut;
    #   a taken username is 409.
    # TODO(task 2): GET /users and GET /users/{user_id} (404 when missing), answering UserOut.
    # TODO(task 3): leave out of every answer the profile fields a client never sent.
    # TODO(task 4): DELETE /users/{user_id}: 204 and no body, or 404.
    # TODO(task 5): document the 404 and 409 answers with the Message model.
    # TODO(task 6): GET /users/me with HTTP Basic: the signed-in user, or 401 with a challenge.
    # TODO(task 7): answer validation errors with FastAPI's error list, minus every "input".
    raise NotImplementedError("create_app is not written yet")

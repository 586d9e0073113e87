"""The analyzer behind `grader review`: each rule fires where it should, and only there."""

import re
from pathlib import Path
from textwrap import dedent

import pytest

from grader.analyzer import KIND_ORDER, RULES, Comment, analyze_files, analyze_source

REFERENCE = Path(__file__).resolve().parents[2] / "reference"
SERIOUS = ("essential", "actionable")


def triples(comments: list[Comment]) -> list[tuple[str, str, int | None]]:
    return [(c.kind, c.code, c.line) for c in comments]


# (source, kind, code, line): the source's first line is line 1.
FIRES = [
    pytest.param(
        """\
        from sqlalchemy.orm import Session

        def names(session: Session) -> list[str]:
            return [user.name for user in session.query(User).all()]
        """,
        "essential",
        "legacy-session-query",
        4,
        id="session-query",
    ),
    pytest.param(
        """\
        def first(db):
            return db.query(User).filter(User.id == 1).first()
        """,
        "essential",
        "legacy-session-query",
        2,
        id="db-query-without-a-sqlalchemy-import",
    ),
    pytest.param(
        """\
        from sqlalchemy import text

        async def find(session, name: str):
            return await session.execute(text(f"SELECT * FROM users WHERE name = '{name}'"))
        """,
        "essential",
        "sql-string-building",
        4,
        id="f-string-in-text",
    ),
    pytest.param(
        """\
        import sqlalchemy as sa

        def find(connection, name):
            query = "SELECT * FROM users WHERE name = '%s'" % name
            return connection.execute(sa.text(query))
        """,
        "essential",
        "sql-string-building",
        5,
        id="percent-formatting-through-a-variable",
    ),
    pytest.param(
        """\
        import sqlite3

        def find(cursor, name):
            cursor.execute("SELECT * FROM users WHERE name = '{}'".format(name))
        """,
        "essential",
        "sql-string-building",
        4,
        id="format-in-cursor-execute",
    ),
    pytest.param(
        """\
        def find(conn, name):
            sql = "SELECT * FROM users"
            sql += " WHERE name = '" + name + "'"
            return conn.exec_driver_sql(sql)
        """,
        "essential",
        "sql-string-building",
        4,
        id="concatenation-in-exec-driver-sql",
    ),
    pytest.param(
        """\
        import jwt

        def claims(token: str) -> dict:
            return jwt.decode(token, options={"verify_signature": False})
        """,
        "essential",
        "jwt-unverified",
        4,
        id="jwt-verify-signature-false",
    ),
    pytest.param(
        """\
        from jose import jwt as jose_jwt

        def claims(token: str) -> dict:
            return jose_jwt.decode(token, KEY, verify=False)
        """,
        "essential",
        "jwt-unverified",
        4,
        id="jose-verify-false",
    ),
    pytest.param(
        """\
        import time as t

        async def slow() -> None:
            t.sleep(1)
        """,
        "essential",
        "blocking-call-in-async",
        4,
        id="aliased-time-sleep",
    ),
    pytest.param(
        """\
        from time import sleep as nap

        async def slow() -> None:
            nap(1)
        """,
        "essential",
        "blocking-call-in-async",
        4,
        id="time-sleep-imported-under-another-name",
    ),
    pytest.param(
        """\
        import requests

        async def fetch(url: str) -> dict:
            return requests.get(url, timeout=5).json()
        """,
        "essential",
        "blocking-call-in-async",
        4,
        id="requests-get",
    ),
    pytest.param(
        """\
        import httpx

        async def notify(url: str) -> None:
            httpx.post(url, json={})
        """,
        "essential",
        "blocking-call-in-async",
        4,
        id="httpx-module-level-post",
    ),
    pytest.param(
        """\
        import urllib.request

        async def fetch(url: str) -> bytes:
            return urllib.request.urlopen(url).read()
        """,
        "essential",
        "blocking-call-in-async",
        4,
        id="urlopen",
    ),
    pytest.param(
        """\
        import subprocess

        async def convert(path: str) -> None:
            subprocess.run(["convert", path], check=True)
        """,
        "essential",
        "blocking-call-in-async",
        4,
        id="subprocess-run",
    ),
    pytest.param(
        """\
        import socket

        async def ping(host: str) -> None:
            sock = socket.socket()
            sock.connect((host, 80))
        """,
        "essential",
        "blocking-call-in-async",
        5,
        id="socket-connect",
    ),
    pytest.param(
        """\
        from fastapi import FastAPI

        app = FastAPI()

        @app.on_event("startup")
        async def connect() -> None: ...
        """,
        "essential",
        "on-event",
        5,
        id="on-event-decorator",
    ),
    pytest.param(
        """\
        from fastapi import FastAPI

        app = FastAPI(on_shutdown=[close])
        """,
        "essential",
        "on-event",
        3,
        id="on-shutdown-argument",
    ),
    pytest.param(
        """\
        from fastapi import APIRouter

        router = APIRouter()

        @router.get("/users/{user_id}")
        async def read_user(user_id: int) -> dict:
            user = USERS[user_id]
            return {
                "name": user.name,
                "hashed_password": user.hashed_password,
            }
        """,
        "essential",
        "secret-in-response",
        10,
        id="hashed-password-in-a-returned-dict",
    ),
    pytest.param(
        """\
        from fastapi import FastAPI
        from fastapi.responses import JSONResponse

        app = FastAPI()

        @app.post("/keys")
        def create_key(owner: str) -> JSONResponse:
            return JSONResponse({"owner": owner, "key": {"api_key": new_key()}})
        """,
        "essential",
        "secret-in-response",
        8,
        id="api-key-nested-in-a-json-response",
    ),
    pytest.param(
        """\
        from pydantic import BaseModel

        class Item(BaseModel):
            name: str

        def save(item: Item) -> dict:
            return item.dict()
        """,
        "actionable",
        "pydantic-v1-method",
        7,
        id="dict-on-an-annotated-model",
    ),
    pytest.param(
        """\
        from pydantic import BaseModel

        class Item(BaseModel):
            name: str

        class Book(Item):
            pages: int

        def dump() -> str:
            book = Book(name="Opticks", pages=400)
            return book.json()
        """,
        "actionable",
        "pydantic-v1-method",
        11,
        id="json-on-a-subclass-instance",
    ),
    pytest.param(
        """\
        import pydantic

        class Item(pydantic.BaseModel):
            name: str

        def rename(item: Item | None) -> Item:
            return item.copy(update={"name": "new"})
        """,
        "actionable",
        "pydantic-v1-method",
        7,
        id="copy-on-an-optional-model",
    ),
    pytest.param(
        """\
        from pydantic import BaseModel

        class Item(BaseModel):
            name: str

        def load(data: dict) -> Item:
            return Item.parse_obj(data)
        """,
        "actionable",
        "pydantic-v1-method",
        7,
        id="parse-obj",
    ),
    pytest.param(
        """\
        from pydantic import BaseModel

        class Item(BaseModel):
            name: str

            def as_row(self) -> dict:
                return self.dict(exclude={"name"})
        """,
        "actionable",
        "pydantic-v1-method",
        7,
        id="dict-on-self-in-a-model-method",
    ),
    pytest.param(
        """\
        def to_out(user):
            return UserOut.from_orm(user)
        """,
        "actionable",
        "pydantic-v1-method",
        2,
        id="from-orm-on-an-imported-class",
    ),
    pytest.param(
        """\
        from pydantic import BaseModel

        class Item(BaseModel):
            name: str

        SCHEMA = Item.schema()
        """,
        "actionable",
        "pydantic-v1-method",
        6,
        id="schema",
    ),
    pytest.param(
        """\
        from pydantic import BaseModel, validator

        class Item(BaseModel):
            name: str

            @validator("name")
            def strip(cls, value: str) -> str:
                return value.strip()
        """,
        "actionable",
        "pydantic-v1-validator",
        6,
        id="validator",
    ),
    pytest.param(
        """\
        import pydantic

        class Span(pydantic.BaseModel):
            start: int
            end: int

            @pydantic.root_validator
            def ordered(cls, values: dict) -> dict:
                return values
        """,
        "actionable",
        "pydantic-v1-validator",
        7,
        id="root-validator",
    ),
    pytest.param(
        """\
        from pydantic_settings import BaseSettings

        class Settings(BaseSettings):
            url: str

            class Config:
                env_prefix = "APP_"
        """,
        "actionable",
        "pydantic-config-class",
        6,
        id="config-class-in-settings",
    ),
    pytest.param(
        """\
        from pydantic import BaseModel, ConfigDict

        class UserOut(BaseModel):
            model_config = ConfigDict(orm_mode=True)

            id: int
        """,
        "actionable",
        "orm-mode",
        4,
        id="orm-mode-in-config-dict",
    ),
    pytest.param(
        """\
        from sqlalchemy.orm import declarative_base

        Base = declarative_base()
        """,
        "actionable",
        "declarative-base",
        3,
        id="declarative-base",
    ),
    pytest.param(
        """\
        import sqlalchemy as sa
        from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

        class Base(DeclarativeBase):
            pass

        class User(Base):
            __tablename__ = "users"
            id: Mapped[int] = mapped_column(primary_key=True)
            email = sa.Column(sa.String(255), unique=True)
        """,
        "actionable",
        "legacy-column",
        10,
        id="column-in-a-mapped-class",
    ),
    pytest.param(
        """\
        from __future__ import annotations

        from fastapi import FastAPI
        """,
        "actionable",
        "future-annotations",
        1,
        id="future-annotations-in-a-fastapi-module",
    ),
    pytest.param(
        """\
        def parse(text: str) -> int | None:
            try:
                return int(text)
            except:
                return None
        """,
        "actionable",
        "bare-except",
        4,
        id="bare-except",
    ),
    pytest.param(
        """\
        def close(connection) -> None:
            try:
                connection.close()
            except Exception:
                pass
        """,
        "actionable",
        "swallowed-exception",
        4,
        id="except-exception-pass",
    ),
    pytest.param(
        """\
        from fastapi import Depends, FastAPI

        app = FastAPI()

        @app.get("/items")
        async def items(db=Depends(get_db)) -> list[str]:
            return []
        """,
        "actionable",
        "dependency-as-default",
        6,
        id="depends-as-default",
    ),
    pytest.param(
        """\
        import fastapi

        def search(
            q: str | None = fastapi.Query(None, max_length=50),
        ) -> list[str]:
            return []
        """,
        "actionable",
        "parameter-as-default",
        4,
        id="query-as-default",
    ),
    pytest.param(
        """\
        def create(item) -> None:
            print("created", item)
        """,
        "informative",
        "print-logging",
        2,
        id="print",
    ),
    pytest.param(
        """\
        async def upload(path: str) -> bytes:
            with open(path, "rb") as file:
                return file.read()
        """,
        "informative",
        "open-in-async",
        2,
        id="open-in-async",
    ),
    pytest.param(
        """\
        from datetime import datetime

        from pydantic import BaseModel, Field

        class Event(BaseModel):
            at: datetime = Field(default_factory=datetime.utcnow)
        """,
        "informative",
        "datetime-utcnow",
        6,
        id="utcnow-as-a-default-factory",
    ),
    pytest.param(
        """\
        from contextlib import asynccontextmanager

        from fastapi import FastAPI

        @asynccontextmanager
        async def lifespan(app: FastAPI):
            yield

        app = FastAPI(lifespan=lifespan)
        """,
        "celebratory",
        "lifespan",
        9,
        id="lifespan",
    ),
    pytest.param(
        """\
        from typing import Annotated

        from fastapi import Depends

        SessionDep = Annotated[Session, Depends(get_session)]
        """,
        "celebratory",
        "annotated-dependency",
        5,
        id="annotated-dependency",
    ),
    pytest.param(
        """\
        import asyncio

        async def both() -> None:
            async with asyncio.TaskGroup() as group:
                group.create_task(one())
        """,
        "celebratory",
        "task-group",
        4,
        id="task-group",
    ),
    pytest.param(
        """\
        from sqlalchemy import select
        from sqlalchemy.orm import selectinload

        statement = select(User).options(selectinload(User.posts))
        """,
        "celebratory",
        "eager-loading",
        4,
        id="selectinload",
    ),
    pytest.param(
        """\
        from sqlalchemy import select

        def names(session) -> list[str]:
            return list(session.scalars(select(User.name)))
        """,
        "celebratory",
        "select-statement",
        4,
        id="select",
    ),
]


@pytest.mark.parametrize(("source", "kind", "code", "line"), FIRES)
def test_a_rule_fires_at_the_line_of_the_code_it_is_about(
    source: str, kind: str, code: str, line: int
) -> None:
    found = triples(analyze_source(dedent(source), "app.py"))
    assert (kind, code, line) in found
    assert [t for t in found if t[0] in SERIOUS or t[1] == code] == [(kind, code, line)]


# Correct modern code, and look-alikes of what the rules are about: nothing but praise.
QUIET = [
    pytest.param(
        """\
        import httpx

        async def rate(client: httpx.AsyncClient) -> float:
            response = await client.get("/rate")
            return response.json()["rate"]

        def sync_rate() -> dict:
            return httpx.get("https://example.com").json()
        """,
        id="httpx-response-json",
    ),
    pytest.param(
        """\
        def merged(defaults: dict[str, int], extra: dict[str, int]) -> dict[str, int]:
            result = defaults.copy()
            result.update(extra)
            return result
        """,
        id="dict-copy",
    ),
    pytest.param(
        """\
        from pydantic import BaseModel

        class Item(BaseModel):
            name: str

        def payload(item: Item, raw: dict) -> dict:
            copied = raw.copy()
            return {**copied, **item.model_dump(), "schema": Item.model_json_schema()}
        """,
        id="model-dump-beside-a-dict-copy",
    ),
    pytest.param(
        """\
        import time

        def wait() -> None:
            time.sleep(1)
        """,
        id="time-sleep-in-a-plain-def",
    ),
    pytest.param(
        """\
        import asyncio

        async def wait() -> None:
            await asyncio.sleep(1)
        """,
        id="asyncio-sleep-in-async-def",
    ),
    pytest.param(
        """\
        import asyncio
        import time

        import requests
        from fastapi.concurrency import run_in_threadpool

        async def wait(url: str) -> None:
            await asyncio.to_thread(time.sleep, 1)
            await run_in_threadpool(requests.get, url)
            await asyncio.to_thread(lambda: time.sleep(1))
            loop = asyncio.get_running_loop()
            await loop.run_in_executor(None, time.sleep, 1)

            def blocking() -> None:
                time.sleep(1)

            await asyncio.to_thread(blocking)
        """,
        id="blocking-calls-handed-to-a-thread",
    ),
    pytest.param(
        """\
        async def wait(time) -> None:
            time.sleep(1)
        """,
        id="a-parameter-that-shadows-no-import",
    ),
    pytest.param(
        """\
        from sqlalchemy import select, text

        PAGE = 20

        async def find(session, item_id: int, limit: int, newest: bool):
            await session.execute(text("SELECT * FROM items WHERE id = :id"), {"id": item_id})
            await session.execute(text("SELECT * FROM items WHERE id = :id").bindparams(id=item_id))
            await session.execute(text(f"SELECT * FROM items LIMIT {PAGE} OFFSET {limit}"))
            order = "DESC" if newest else "ASC"
            await session.execute(text(f"SELECT * FROM {Item.__tablename__} ORDER BY id {order}"))
            await session.execute(text("SELECT * FROM items " + "ORDER BY id"))
            return await session.scalars(select(Item).where(Item.id == item_id))
        """,
        id="text-with-bound-parameters",
    ),
    pytest.param(
        """\
        import sqlite3

        def find(cursor: sqlite3.Cursor, name: str, ids: list[int]) -> None:
            cursor.execute("SELECT * FROM users WHERE name = ?", (name,))
            cursor.execute("SELECT * FROM users WHERE name = %s" % "?", (name,))
            marks = ", ".join("?" * len(ids))
            cursor.execute("SELECT * FROM users WHERE id IN (%s)" % marks, ids)
        """,
        id="db-api-placeholders",
    ),
    pytest.param(
        """\
        import strawberry

        async def run(schema: strawberry.Schema, user_id: int, name: str) -> None:
            await schema.execute(f'{{ user(name: "{name}") {{ id }} }}')
        """,
        id="graphql-execute-is-not-sql",
    ),
    pytest.param(
        """\
        import pandas as pd
        from sqlalchemy import Engine

        def adults(engine: Engine):
            frame = pd.read_sql_table("people", engine)
            return frame.query("age >= 18")
        """,
        id="dataframe-query-beside-sqlalchemy",
    ),
    pytest.param(
        """\
        import jwt

        def claims(token: str) -> dict:
            header = jwt.get_unverified_header(token)
            return jwt.decode(token, KEYS[header["kid"]], algorithms=["RS256"])
        """,
        id="jwt-decode-with-verification",
    ),
    pytest.param(
        """\
        from typing import Annotated

        from fastapi import Depends, FastAPI, Query

        app = FastAPI()
        SessionDep = Annotated[Session, Depends(get_session)]

        @app.get("/items")
        async def items(
            session: SessionDep,
            user: Annotated[User, Depends(current_user)],
            q: Annotated[str | None, Query(max_length=50)] = None,
        ) -> list[str]:
            return []

        app.include_router(router, dependencies=[Depends(verify_key)])
        """,
        id="annotated-dependencies",
    ),
    pytest.param(
        """\
        from fastapi import FastAPI

        app = FastAPI()

        @app.post("/login")
        async def login(form: Form) -> dict[str, str]:
            token = issue(form.username, form.password)
            return {"access_token": token, "token_type": "bearer", "password": "********"}

        def row(user: User) -> dict[str, str]:
            return {"name": user.name, "password_hash": user.password_hash}
        """,
        id="secrets-not-returned-from-an-endpoint",
    ),
    pytest.param(
        """\
        import sys

        async def on_event(name: str) -> None:
            bus.on_event("message")(handler)

        try:
            import ujson as json
        except ImportError:
            import json

        def rollback(session) -> None:
            try:
                session.commit()
            except:
                session.rollback()
                raise

        try:
            run()
        except ValueError:
            pass
        except Exception:
            sys.exit(1)
        """,
        id="look-alikes-of-on-event-and-except",
    ),
    pytest.param(
        """\
        from datetime import UTC, datetime

        from sqlalchemy import Column, Integer, MetaData, Table
        from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

        metadata = MetaData()
        events = Table("events", metadata, Column("id", Integer, primary_key=True))

        class Base(DeclarativeBase):
            pass

        class Event(Base):
            __tablename__ = "events2"
            id: Mapped[int] = mapped_column(primary_key=True)

        def now() -> datetime:
            return datetime.now(UTC)
        """,
        id="core-table-columns-and-aware-datetimes",
    ),
    pytest.param(
        """\
        from __future__ import annotations

        from dataclasses import dataclass

        @dataclass
        class Point:
            x: int
        """,
        id="future-annotations-outside-fastapi",
    ),
    pytest.param(
        """\
        import aiofiles

        async def read(path: str) -> str:
            async with aiofiles.open(path) as file:
                return await file.read()

        if __name__ == "__main__":
            print("ok")
        """,
        id="aiofiles-and-print-under-a-main-guard",
    ),
]


@pytest.mark.parametrize("source", QUIET)
def test_correct_code_and_look_alikes_get_no_warning(source: str) -> None:
    comments = analyze_source(dedent(source), "app.py")
    assert [c for c in comments if c.kind != "celebratory"] == []


def test_every_rule_has_a_case_that_fires() -> None:
    fired = {case.values[2] for case in FIRES}
    assert set(RULES) - fired == {"unreadable-file", "unparsable-file"}


def test_codes_are_kebab_case_and_kinds_known() -> None:
    for code, (kind, message) in RULES.items():
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", code), code
        assert kind in KIND_ORDER, code
        assert message.endswith("."), code


def reference_solutions() -> dict[Path, dict[str, Path]]:
    """Each reference kata folder (`reference/NN_section/NN_slug`) -> its Python files."""
    katas: dict[Path, dict[str, Path]] = {}
    for path in sorted(REFERENCE.glob("*/*/**/*.py")):
        if "mistakes" not in path.parts:
            kata = REFERENCE.joinpath(*path.relative_to(REFERENCE).parts[:2])
            katas.setdefault(kata, {})[path.relative_to(REFERENCE).as_posix()] = path
    return katas


KATAS = reference_solutions()


@pytest.mark.parametrize("kata", [pytest.param(path, id=path.name) for path in KATAS])
def test_no_reference_solution_gets_an_essential_or_actionable_comment(kata: Path) -> None:
    serious = [c for c in analyze_files(KATAS[kata]) if c.kind in SERIOUS]
    assert serious == []


def test_there_are_reference_solutions_to_check() -> None:
    assert KATAS, "no reference solution found: the test over them would check nothing"


@pytest.mark.parametrize(
    ("source", "line"),
    [
        pytest.param("def broken(:\n    pass\n", 1, id="syntax-error"),
        pytest.param("x = 1\x00\n", None, id="null-byte"),
        pytest.param("x = " + "+".join(["1"] * 50_000) + "\n", None, id="nested-too-deeply"),
    ],
)
def test_an_unparsable_file_gives_one_essential_comment(source: str, line: int | None) -> None:
    comments = analyze_source(source, "broken.py")
    assert triples(comments) == [("essential", "unparsable-file", line)]
    assert comments[0].path == "broken.py"


def test_a_file_that_warns_while_parsing_is_still_analysed() -> None:
    comments = analyze_source('import re\nDIGITS = re.compile("\\d+")\nprint(DIGITS)\n', "a.py")
    assert triples(comments) == [("informative", "print-logging", 3)]


def test_analyze_files_reports_unreadable_and_unparsable_files_and_goes_on(
    tmp_path: Path,
) -> None:
    good = tmp_path / "good.py"
    good.write_text("import time\n\nasync def f():\n    time.sleep(1)\n", encoding="utf-8")
    broken = tmp_path / "broken.py"
    broken.write_text("def f(:\n", encoding="utf-8")
    latin = tmp_path / "latin.py"
    latin.write_bytes(b"name = '\xe9t\xe9'\n")
    files = {
        "pkg/good.py": good,
        "pkg/broken.py": broken,
        "pkg/latin.py": latin,
        "pkg/missing.py": tmp_path / "missing.py",
        "pkg/folder.py": tmp_path,
    }
    assert [(c.code, c.path, c.line) for c in analyze_files(files)] == [
        ("unparsable-file", "pkg/broken.py", 1),
        ("unreadable-file", "pkg/folder.py", None),
        ("blocking-call-in-async", "pkg/good.py", 4),
        ("unreadable-file", "pkg/latin.py", None),
        ("unreadable-file", "pkg/missing.py", None),
    ]


def test_a_model_imported_from_a_sibling_file_is_recognised(tmp_path: Path) -> None:
    (tmp_path / "models.py").write_text(
        "from pydantic import BaseModel\n\nclass Item(BaseModel):\n    name: str\n",
        encoding="utf-8",
    )
    routes = "from .models import Item\n\ndef dump(item: Item) -> dict:\n    return item.dict()\n"
    (tmp_path / "routes.py").write_text(routes, encoding="utf-8")
    files = {name: tmp_path / name for name in ("models.py", "routes.py")}
    assert triples(analyze_files(files)) == [("actionable", "pydantic-v1-method", 4)]
    # Alone, the file gives no clue that `Item` is a model: no comment rather than a guess.
    assert analyze_source(routes, "routes.py") == []


def test_comments_are_sorted_by_kind_then_path_then_line(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text(
        "import asyncio\n\nprint(1)\nasync def f():\n    async with asyncio.TaskGroup():\n"
        "        open('x')\n",
        encoding="utf-8",
    )
    (tmp_path / "b.py").write_text(
        "import time\ntry:\n    pass\nexcept:\n    pass\nasync def g():\n    time.sleep(1)\n",
        encoding="utf-8",
    )
    files = {"b.py": tmp_path / "b.py", "a.py": tmp_path / "a.py"}
    assert [(c.kind, c.path, c.line) for c in analyze_files(files)] == [
        ("essential", "b.py", 7),
        ("actionable", "b.py", 4),
        ("informative", "a.py", 3),
        ("informative", "a.py", 6),
        ("celebratory", "a.py", 5),
    ]


def test_informative_comments_come_once_per_file_with_a_count() -> None:
    comments = analyze_source("print(1)\nprint(2)\nprint(3)\n", "app.py")
    assert triples(comments) == [("informative", "print-logging", 1)]
    assert "3 times" in comments[0].message


def test_print_in_a_test_file_is_not_commented() -> None:
    assert analyze_source("def test_x():\n    print('debug')\n", "test_app.py") == []


def test_no_praise_for_what_the_same_file_contradicts() -> None:
    source = dedent(
        """\
        from fastapi import FastAPI

        app = FastAPI(lifespan=lifespan)

        @app.on_event("shutdown")
        async def close() -> None: ...
        """
    )
    assert triples(analyze_source(source, "app.py")) == [("essential", "on-event", 5)]


def test_a_comment_names_the_call_and_its_modern_replacement() -> None:
    source = "import time as t\n\nasync def slow():\n    t.sleep(1)\n"
    (comment,) = analyze_source(source, "slow.py")
    assert comment == Comment(
        kind="essential",
        code="blocking-call-in-async",
        message=comment.message,
        path="slow.py",
        line=4,
    )
    assert "`time.sleep()`" in comment.message
    assert "asyncio.sleep" in comment.message
    assert "async def slow" in comment.message

"""Static feedback for `grader review`: comments on a learner's files, specific to this stack.

Typed like Exercism's analyzer comments (essential, actionable, informative, celebratory). Every
rule reads the code with `ast`, resolves import aliases, and stays silent when it cannot be sure:
a comment on correct modern code would teach the wrong thing.
"""

import ast
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

Kind = Literal["essential", "actionable", "informative", "celebratory"]

KIND_ORDER: dict[str, int] = {"essential": 0, "actionable": 1, "informative": 2, "celebratory": 3}


@dataclass(frozen=True)
class Comment:
    """One finding in one file: at a line, or about the whole file when `line` is None."""

    kind: Kind
    code: str  # a stable id, kebab-case
    message: str  # what was found, why it matters, what to use instead
    path: str  # the file, as given
    line: int | None  # 1-based


# code -> (kind, message template); the template's fields are filled in where the rule fires.
RULES: dict[str, tuple[Kind, str]] = {
    "unreadable-file": (
        "essential",
        "This file could not be read ({reason}), so nothing in it was analysed.",
    ),
    "unparsable-file": (
        "essential",
        "This file could not be parsed as Python ({reason}), so nothing in it was analysed. "
        "Fix it first: the tests cannot import it either.",
    ),
    "legacy-session-query": (
        "essential",
        "`{receiver}.query(...)` is SQLAlchemy 1.x's legacy Query API, kept in 2.x only for old "
        "code. Build a statement with `select(Model).where(...)` and run it with "
        "`session.scalars(statement)` (or `session.execute(...)` for rows).",
    ),
    "sql-string-building": (
        "essential",
        "SQL built with {how} from run-time values and passed to `{sink}(...)`: a value that "
        "contains a quote rewrites the query (SQL injection). Keep the SQL constant and bind "
        'the values: `text("... WHERE id = :id")` with `{{"id": item_id}}`, or use `select()`.',
    ),
    "jwt-unverified": (
        "essential",
        "`{call}(..., {how})` asks not to verify the signature, so a token anyone forged would "
        'be accepted{note}. Verify it: `jwt.decode(token, key, algorithms=["HS256"])`; to read '
        "a header before verifying, use `jwt.get_unverified_header(token)`.",
    ),
    "blocking-call-in-async": (
        "essential",
        "`{call}()` blocks, and inside `async def {function}` it blocks the event loop: every "
        "other request waits until it returns. Use {fix}, make the function a plain `def`, or "
        "pass the function to `await asyncio.to_thread(...)` / `run_in_threadpool(...)`.",
    ),
    "on-event": (
        "essential",
        "`{call}` registers startup or shutdown handlers the deprecated way: it warns, and "
        "FastAPI ignores such handlers once the app has a lifespan. Write one "
        "`@asynccontextmanager async def lifespan(app)` that opens, `yield`s, then closes, and "
        "pass `FastAPI(lifespan=lifespan)`.",
    ),
    "secret-in-response": (
        "essential",
        "Endpoint `{function}` returns the field `{key}`: every caller receives it, and so do "
        "the logs and caches on the way. Return a response model without it (`-> UserOut`), so "
        "FastAPI sends only the public fields.",
    ),
    "pydantic-v1-method": (
        "actionable",
        "`.{method}()` is Pydantic v1 API, deprecated in v2 (a `PydanticDeprecatedSince20` "
        "warning, an error under this suite's warning filter). Use `{replacement}`.",
    ),
    "pydantic-v1-validator": (
        "actionable",
        "`@{name}` is Pydantic v1 API, deprecated in v2. Use `@{replacement}`, with "
        "`@classmethod` below it.",
    ),
    "pydantic-config-class": (
        "actionable",
        "An inner `class Config` in `{model}` is Pydantic v1 configuration, deprecated in v2. "
        "Use `model_config = ConfigDict(...)` (`SettingsConfigDict(...)` for settings).",
    ),
    "orm-mode": (
        "actionable",
        "`orm_mode` is Pydantic v1's name for reading attributes of ORM objects; v2 warns and "
        "renames it. Use `model_config = ConfigDict(from_attributes=True)` and "
        "`Model.model_validate(orm_object)`.",
    ),
    "declarative-base": (
        "actionable",
        "`declarative_base()` is the legacy way to create SQLAlchemy's base class. Use "
        "`class Base(DeclarativeBase): pass`, whose subclasses are understood by type checkers.",
    ),
    "legacy-column": (
        "actionable",
        "`{name} = Column(...)` in a mapped class is the 1.x style: type checkers and editors "
        "see a Column, not the value it holds. Use `{name}: Mapped[T] = mapped_column(...)`, "
        "where `Mapped[T | None]` also says whether the column is nullable.",
    ),
    "future-annotations": (
        "actionable",
        "`from __future__ import annotations` turns every annotation into a string, but FastAPI "
        "and Pydantic read annotations at run time to find bodies, dependencies and types; a "
        "name they cannot resolve breaks the app. Remove it: Python 3.11 has `X | None` and "
        "`list[int]` without it.",
    ),
    "bare-except": (
        "actionable",
        "A bare `except:` also catches `KeyboardInterrupt`, `SystemExit` and asyncio's "
        "`CancelledError`, so timeouts and shutdown stop working. Catch the exceptions you "
        "expect (`except ValueError:`), or `except Exception:` and log it.",
    ),
    "swallowed-exception": (
        "actionable",
        "`except {name}: pass` hides every error, bugs included: the failure turns silent and "
        "the request answers as if all went well. Catch only the exception you expect, and log "
        "(`logger.exception(...)`) or re-raise the rest.",
    ),
    "dependency-as-default": (
        "actionable",
        "`{param} = {function}(...)` as a default value is the older style: the function "
        "cannot be called without FastAPI and its type hides where the value comes from. Write "
        "`{param}: Annotated[T, {function}(...)]`, and name it for reuse "
        "(`SessionDep = Annotated[Session, Depends(get_session)]`).",
    ),
    "parameter-as-default": (
        "actionable",
        "`{param} = {function}(...)` as a default value is the older style. Write "
        "`{param}: Annotated[T, {function}(...)]`: the real default stays a plain default "
        "(`= None`) and the function can be called outside FastAPI.",
    ),
    "print-logging": (
        "informative",
        "`print()` in application code has no level and no timestamp, and cannot be silenced "
        "or routed in production. Use `logger = logging.getLogger(__name__)` and "
        "`logger.info(...)`.",
    ),
    "open-in-async": (
        "informative",
        "`open()` inside `async def {function}` reads or writes the file on the event loop: "
        "harmless for a small local file, a stall for a large or slow one. Consider "
        "`await asyncio.to_thread(path.read_bytes)` or a plain `def`.",
    ),
    "datetime-utcnow": (
        "informative",
        "`datetime.{name}` is deprecated since Python 3.12 and gives a naive datetime that is "
        "easily mistaken for local time. Use `datetime.now(UTC)` (`from datetime import UTC`).",
    ),
    "lifespan": (
        "celebratory",
        "Startup and shutdown live in a `lifespan` passed to `FastAPI(lifespan=...)`: one "
        "place opens the resources and is sure to close them.",
    ),
    "annotated-dependency": (
        "celebratory",
        "Dependencies are declared with `Annotated[T, Depends(...)]`: the type is honest, the "
        "alias is reusable, and the function stays callable outside FastAPI.",
    ),
    "task-group": (
        "celebratory",
        "`asyncio.TaskGroup` runs the work concurrently and, when one task fails, cancels and "
        "waits for the others: nothing is left running behind your back.",
    ),
    "eager-loading": (
        "celebratory",
        "Relationships are loaded with `{name}()`: no N+1 queries, and no lazy load that would "
        "fail in async code.",
    ),
    "select-statement": (
        "celebratory",
        "Queries are built with SQLAlchemy 2.0's `select()`: one statement style for "
        "`Session`, `AsyncSession` and Core alike.",
    ),
}

# A celebratory comment is not given when the same file also does the opposite.
CONTRADICTED_BY: dict[str, str] = {
    "lifespan": "on-event",
    "annotated-dependency": "dependency-as-default",
    "select-statement": "legacy-session-query",
}

_HTTP_VERBS = ("get", "post", "put", "patch", "delete", "head", "options", "request")
_ASYNC_HTTP = "`httpx.AsyncClient` (`await client.get(...)`)"
_SUBPROCESS = "`await asyncio.create_subprocess_exec(...)`"
_SOCKET = "`await asyncio.open_connection(...)`"
BLOCKING: dict[str, str] = {
    "time.sleep": "`await asyncio.sleep(...)`",
    **{f"requests.{verb}": _ASYNC_HTTP for verb in _HTTP_VERBS},
    **{f"httpx.{verb}": _ASYNC_HTTP for verb in (*_HTTP_VERBS, "stream")},
    "urllib.request.urlopen": _ASYNC_HTTP,
    **{f"subprocess.{name}": _SUBPROCESS for name in ("run", "call", "check_call", "check_output")},
    "os.system": _SUBPROCESS,
    "socket.create_connection": _SOCKET,
    **{
        f"socket.{name}": "`await loop.getaddrinfo(...)`"
        for name in ("getaddrinfo", "gethostbyname", "gethostbyname_ex", "gethostbyaddr")
    },
}
SOCKET_FACTORIES = frozenset({"socket.socket", "socket.create_connection"})
SOCKET_METHODS = frozenset(
    {"accept", "connect", "recv", "recv_into", "recvfrom", "send", "sendall", "sendto"}
)

PYDANTIC_BASES = frozenset(
    [
        "pydantic.BaseModel",
        "pydantic.main.BaseModel",
        "pydantic.RootModel",
        "pydantic.BaseSettings",
        "pydantic_settings.BaseSettings",
        "sqlmodel.SQLModel",
    ]
)
# v1 method -> its v2 spelling. Instance methods share names with dict and httpx.Response.
INSTANCE_METHODS: dict[str, str] = {
    "dict": "model.model_dump()",
    "json": "model.model_dump_json()",
    "copy": "model.model_copy(update=...)",
}
CLASS_METHODS: dict[str, str] = {
    "parse_obj": "Model.model_validate(data)",
    "parse_raw": "Model.model_validate_json(text)",
    "parse_file": "Model.model_validate_json(path.read_text())",
    "from_orm": "Model.model_validate(obj) with `from_attributes=True`",
    "schema": "Model.model_json_schema()",
    "schema_json": "json.dumps(Model.model_json_schema())",
    "construct": "Model.model_construct()",
    "update_forward_refs": "Model.model_rebuild()",
}
# Names no other popular library uses: flagged on any class-like receiver.
PYDANTIC_ONLY = frozenset({"parse_obj", "parse_raw", "parse_file", "from_orm"})
# Class methods that return an instance of the model.
CONSTRUCTORS = frozenset(
    {"model_validate", "model_validate_json", "model_construct", "parse_obj", "parse_raw"}
)
VALIDATORS: dict[str, str] = {
    "validator": 'field_validator("name")',
    "root_validator": 'model_validator(mode="before")',
}

FASTAPI_DEPENDS = frozenset({"Depends", "Security"})
FASTAPI_PARAMS = frozenset({"Query", "Path", "Body", "Header", "Cookie", "Form", "File"})
ROUTE_DECORATORS = frozenset({"get", "post", "put", "patch", "delete"})
SECRET_KEYS = frozenset(
    [
        "password",
        "passwd",
        "password_hash",
        "hashed_password",
        "secret",
        "client_secret",
        "secret_key",
        "api_key",
        "apikey",
        "private_key",
    ]
)
SQL_METHODS = frozenset({"execute", "executemany", "exec_driver_sql", "executescript"})
# `.execute()` is a SQL sink in a module that imports a database library, or on a receiver
# named like a connection (GraphQL's `schema.execute(query)` is not SQL).
DATABASE_ROOTS = frozenset(
    {"sqlalchemy", "sqlmodel", "sqlite3", "aiosqlite", "psycopg", "psycopg2", "asyncpg", "duckdb"}
)
DATABASE_RECEIVERS = ("cursor", "cur", "conn", "connection", "db", "session", "con", "engine")
SQLALCHEMY_ROOTS = frozenset({"sqlalchemy", "sqlmodel", "flask_sqlalchemy"})
SELECTS = frozenset(
    [
        "sqlalchemy.select",
        "sqlalchemy.future.select",
        "sqlalchemy.sql.select",
        "sqlalchemy.sql.expression.select",
        "sqlmodel.select",
    ]
)
EAGER_LOADERS = frozenset({"selectinload", "joinedload", "subqueryload", "immediateload"})
ANNOTATED = frozenset({"typing.Annotated", "typing_extensions.Annotated"})
UTCNOW = frozenset({"datetime.datetime.utcnow", "datetime.datetime.utcfromtimestamp"})
SCALARS = frozenset({"int", "float", "bool"})
NUMBERS = SCALARS | {"len"}

_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)
_SCOPES = (*_FUNCTIONS, ast.ClassDef)
Function = ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda


def _comment(code: str, path: str, line: int | None, **details: object) -> Comment:
    kind, template = RULES[code]
    return Comment(kind, code, template.format(**details), path, line)


def _order(comment: Comment) -> tuple[int, str, int, str]:
    return (KIND_ORDER[comment.kind], comment.path, comment.line or 0, comment.code)


def _own_nodes(node: ast.AST) -> Iterator[ast.AST]:
    """The nodes below `node`, without descending into nested functions, lambdas or classes."""
    stack = list(ast.iter_child_nodes(node))
    while stack:
        child = stack.pop()
        yield child
        if not isinstance(child, _SCOPES):
            stack.extend(ast.iter_child_nodes(child))


def _aliases(tree: ast.Module) -> dict[str, str]:
    """Local name -> what it was imported as: `t` -> `time`, `sleep` -> `time.sleep`."""
    aliases: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    aliases[alias.asname] = alias.name
                else:
                    top = alias.name.split(".")[0]
                    aliases[top] = top
        elif isinstance(node, ast.ImportFrom):
            # A relative import keeps its dots, so it never matches a library's name.
            prefix = "." * node.level + (f"{node.module}." if node.module else "")
            for alias in node.names:
                if alias.name != "*":
                    aliases[alias.asname or alias.name] = prefix + alias.name
    return aliases


def _dotted(node: ast.AST, aliases: dict[str, str]) -> str | None:
    """`t.sleep` -> `time.sleep` when `t` is an imported name; None otherwise."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name) or node.id not in aliases:
        return None
    return ".".join([aliases[node.id], *reversed(parts)])


def _model_classes(tree: ast.Module, aliases: dict[str, str], known: frozenset[str]) -> set[str]:
    """Pydantic models defined here (directly or through each other), and known ones imported."""
    models = {name for name in known if name in aliases}
    classes = [node for node in ast.walk(tree) if isinstance(node, ast.ClassDef)]
    changed = True
    while changed:
        changed = False
        for cls in classes:
            if cls.name in models:
                continue
            for base in cls.bases:
                base = base.value if isinstance(base, ast.Subscript) else base
                named = isinstance(base, ast.Name) and base.id in models
                if named or _dotted(base, aliases) in PYDANTIC_BASES:
                    models.add(cls.name)
                    changed = True
                    break
    return models


def _is_literal(node: ast.AST | None) -> bool:
    """A constant, or an expression made only of constants."""
    match node:
        case ast.Constant():
            return True
        case ast.JoinedStr(values=values):
            return all(isinstance(value, ast.Constant) for value in values)
        case ast.BinOp(left=left, right=right):
            return _is_literal(left) and _is_literal(right)
    return False


def _stringy(node: ast.AST) -> bool:
    """Plainly a string: a str literal, an f-string, or an operation on one."""
    match node:
        case ast.Constant(value=str()) | ast.JoinedStr():
            return True
        case ast.BinOp(op=ast.Add() | ast.Mod(), left=left, right=right):
            return _stringy(left) or _stringy(right)
    return False


def _route_decorated(function: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """Decorated with `@<x>.get("/path")` (or post, put, patch, delete)."""
    for decorator in function.decorator_list:
        match decorator:
            case ast.Call(func=ast.Attribute(attr=verb), args=[ast.Constant(value=str()), *_]) if (
                verb in ROUTE_DECORATORS
            ):
                return True
    return False


def _secret_keys(node: ast.AST) -> Iterator[tuple[ast.AST, str]]:
    """Keys of dict literals (nested too) that name a secret and carry a run-time value."""
    match node:
        case ast.Dict(keys=keys, values=values):
            for key, value in zip(keys, values, strict=True):
                if (
                    isinstance(key, ast.Constant)
                    and isinstance(key.value, str)
                    and key.value.lower().replace("-", "_") in SECRET_KEYS
                    and not isinstance(value, ast.Constant)
                ):
                    yield key, key.value
                yield from _secret_keys(value)
        case ast.List(elts=elements) | ast.Tuple(elts=elements) | ast.Set(elts=elements):
            for element in elements:
                yield from _secret_keys(element)
        case ast.Call(func=ast.Name(id="dict"), args=args, keywords=keywords):
            for keyword in keywords:
                if (
                    keyword.arg
                    and keyword.arg.lower() in SECRET_KEYS
                    and not isinstance(keyword.value, ast.Constant)
                ):
                    yield keyword, keyword.arg
            for arg in args:
                yield from _secret_keys(arg)
        case ast.Call(func=ast.Name(id=name) | ast.Attribute(attr=name), args=args, keywords=kws):
            if name.endswith("Response"):
                for value in [*args, *(keyword.value for keyword in kws)]:
                    yield from _secret_keys(value)


def _is_noop(statement: ast.stmt) -> bool:
    """`pass`, `...` or a lone string."""
    match statement:
        case ast.Pass():
            return True
        case ast.Expr(value=ast.Constant(value=value)):
            return value is ... or isinstance(value, str)
    return False


def _is_main_guard(test: ast.expr) -> bool:
    """`__name__ == "__main__"`."""
    match test:
        case ast.Compare(
            left=ast.Name(id="__name__"), ops=[ast.Eq()], comparators=[ast.Constant("__main__")]
        ):
            return True
    return False


def _is_test_file(path: str) -> bool:
    name = Path(path).name
    return name.startswith("test_") or name.endswith("_test.py") or name == "conftest.py"


@dataclass
class _Scope:
    """What a function (or the module) binds: each name's assigned values and annotations."""

    values: dict[str, list[ast.expr | None]] = field(default_factory=dict)
    annotations: dict[str, list[ast.expr]] = field(default_factory=dict)

    def bind(
        self, name: str, value: ast.expr | None = None, annotation: ast.expr | None = None
    ) -> None:
        self.values.setdefault(name, []).append(value)
        if annotation is not None:
            self.annotations.setdefault(name, []).append(annotation)

    def bind_target(self, target: ast.AST, value: ast.expr | None) -> None:
        match target:
            case ast.Name(id=name):
                self.bind(name, value)
            case ast.Tuple(elts=elements) | ast.List(elts=elements):
                for element in elements:
                    self.bind_target(element, None)
            case ast.Starred(value=inner):
                self.bind_target(inner, None)


def _scope_of(node: ast.AST, self_class: str | None = None) -> _Scope:
    """The bindings of a function's (or the module's) own body; `self` typed as `self_class`."""
    scope = _Scope()
    if isinstance(node, _FUNCTIONS):
        args = node.args
        params = [*args.posonlyargs, *args.args, *args.kwonlyargs]
        params += [extra for extra in (args.vararg, args.kwarg) if extra is not None]
        for index, param in enumerate(params):
            annotation = param.annotation
            if index == 0 and self_class is not None:
                annotation = ast.Name(id=self_class)
            scope.bind(param.arg, None, annotation)
    for child in _own_nodes(node):
        match child:
            case ast.Assign(targets=targets, value=value):
                for target in targets:
                    scope.bind_target(target, value)
            case ast.AnnAssign(target=ast.Name(id=name), annotation=annotation, value=value):
                scope.bind(name, value, annotation)
            case ast.AugAssign(target=ast.Name(id=name), value=value):
                scope.bind(name, value)
            case ast.NamedExpr(target=ast.Name(id=name), value=value):
                scope.bind(name, value)
            case ast.withitem(context_expr=context, optional_vars=target) if target is not None:
                scope.bind_target(target, context)
            case (
                ast.For(target=target)
                | ast.AsyncFor(target=target)
                | ast.comprehension(target=target)
            ):
                scope.bind_target(target, None)
            case (
                ast.FunctionDef(name=name)
                | ast.AsyncFunctionDef(name=name)
                | ast.ClassDef(name=name)
            ):
                scope.bind(name)
            case ast.ExceptHandler(name=str() as name):
                scope.bind(name)
    return scope


@dataclass
class _Module:
    """What the rules need to know about the whole file."""

    path: str
    aliases: dict[str, str]
    models: set[str]
    classes: set[str]  # every class defined at module level
    constants: set[str]  # module-level names bound only to literals
    roots: set[str]  # top-level packages imported: "fastapi", "sqlalchemy", ...
    methods: dict[ast.AST, str]  # function defined in a class body -> the class's name
    is_test: bool

    @classmethod
    def of(cls, tree: ast.Module, path: str, known_models: frozenset[str]) -> "_Module":
        aliases = _aliases(tree)
        scope = _scope_of(tree)
        constants = {
            name
            for name, values in scope.values.items()
            if values and all(_is_literal(value) for value in values)
        }
        return cls(
            path=path,
            aliases=aliases,
            models=_model_classes(tree, aliases, known_models),
            classes={node.name for node in tree.body if isinstance(node, ast.ClassDef)},
            constants=constants,
            roots={name.split(".")[0] for name in aliases.values()},
            methods={
                method: node.name
                for node in ast.walk(tree)
                if isinstance(node, ast.ClassDef)
                for method in node.body
                if isinstance(method, ast.FunctionDef | ast.AsyncFunctionDef)
            },
            is_test=_is_test_file(path),
        )


class _Analyzer(ast.NodeVisitor):
    """Walks one module, knowing at each node the enclosing functions and their bindings."""

    def __init__(self, tree: ast.Module, module: _Module) -> None:
        self.module = module
        self.scopes: list[_Scope] = [_scope_of(tree)]
        self.functions: list[Function] = []
        self.main_guard = 0
        self.comments: list[Comment] = []

    # --- helpers ---

    def add(self, code: str, node: ast.AST | None, **details: object) -> None:
        line = getattr(node, "lineno", None) if node is not None else None
        self.comments.append(_comment(code, self.module.path, line, **details))

    def lookup(self, name: str, include_module: bool = True) -> _Scope | None:
        """The innermost scope that binds `name`."""
        scopes = self.scopes if include_module else self.scopes[1:]
        for scope in reversed(scopes):
            if name in scope.values:
                return scope
        return None

    def dotted(self, node: ast.AST) -> str | None:
        """The imported name `node` refers to, unless a local variable shadows the import."""
        root = node
        while isinstance(root, ast.Attribute):
            root = root.value
        if isinstance(root, ast.Name) and self.lookup(root.id, include_module=False):
            return None
        return _dotted(node, self.module.aliases)

    def is_builtin(self, node: ast.AST, name: str) -> bool:
        """`node` is the builtin `name`, neither imported nor defined here."""
        return (
            isinstance(node, ast.Name)
            and node.id == name
            and name not in self.module.aliases
            and self.lookup(name) is None
        )

    def in_async(self) -> ast.AsyncFunctionDef | None:
        """The innermost function, when it is an `async def`."""
        if self.functions and isinstance(self.functions[-1], ast.AsyncFunctionDef):
            return self.functions[-1]
        return None

    def bound_values(self, name: str) -> list[ast.expr | None]:
        scope = self.lookup(name)
        return scope.values[name] if scope else []

    def bound_annotations(self, name: str) -> list[ast.expr]:
        scope = self.lookup(name)
        return scope.annotations.get(name, []) if scope else []

    def is_model_class(self, node: ast.AST) -> bool:
        return (
            isinstance(node, ast.Name)
            and node.id in self.module.models
            and self.lookup(node.id, include_module=False) is None
        )

    def annotation_is_model(self, node: ast.AST) -> bool:
        """`Item`, `Item | None`, `Optional[Item]`, `Annotated[Item, ...]`, `"Item"`."""
        match node:
            case ast.Name(id=name) | ast.Constant(value=str() as name):
                return name in self.module.models
            case ast.BinOp(op=ast.BitOr(), left=left, right=right):
                return self.annotation_is_model(left) or self.annotation_is_model(right)
            case ast.Subscript(value=generic, slice=inner):
                name = self.dotted(generic) or ""
                if name in ANNOTATED and isinstance(inner, ast.Tuple):
                    return self.annotation_is_model(inner.elts[0])
                if name in {"typing.Optional", "typing.Union"}:
                    elements = inner.elts if isinstance(inner, ast.Tuple) else [inner]
                    return any(self.annotation_is_model(element) for element in elements)
        return False

    def is_model_instance(self, node: ast.AST | None, depth: int = 0) -> bool:
        """Plainly a Pydantic model: made by a model class, or a name bound or typed so."""
        match node:
            case ast.Call(func=function):
                if self.is_model_class(function):
                    return True
                return (
                    isinstance(function, ast.Attribute)
                    and function.attr in CONSTRUCTORS
                    and self.is_model_class(function.value)
                )
            case ast.Name(id=name) if depth < 3:
                if any(self.annotation_is_model(a) for a in self.bound_annotations(name)):
                    return True
                return any(self.is_model_instance(v, depth + 1) for v in self.bound_values(name))
        return False

    def is_static(self, node: ast.AST | None, depth: int = 0) -> bool:
        """Known when the code is written: literals, constants, class attributes, numbers."""
        match node:
            case ast.Constant():
                return True
            case ast.JoinedStr(values=values) | ast.Tuple(elts=values) | ast.List(elts=values):
                return all(self.is_static(value, depth) for value in values)
            case ast.FormattedValue(value=value):
                return self.is_static(value, depth)
            case ast.BinOp(left=left, right=right):
                return self.is_static(left, depth) and self.is_static(right, depth)
            case ast.IfExp(body=body, orelse=orelse):
                return self.is_static(body, depth) and self.is_static(orelse, depth)
            case ast.Call(func=function) if any(self.is_builtin(function, s) for s in NUMBERS):
                return True  # int(x), len(x) cannot carry SQL
            case ast.Call(func=ast.Attribute(attr="join", value=ast.Constant()), args=[items]):
                return self.is_static(items, depth)  # ", ".join("?" * len(ids))
            case ast.Attribute(attr="__tablename__"):
                return True
            case ast.Attribute():
                root = node
                while isinstance(root, ast.Attribute):
                    root = root.value
                return isinstance(root, ast.Name) and (
                    root.id.isupper() or root.id in self.module.classes
                )
            case ast.Name(id=name):
                return self.is_static_name(name, depth)
        return False

    def is_static_name(self, name: str, depth: int) -> bool:
        if name.isupper() or name in self.module.constants:
            return True
        annotations = self.bound_annotations(name)
        if annotations and all(self.is_scalar_annotation(a) for a in annotations):
            return True
        values = self.bound_values(name)
        return (
            depth < 3
            and bool(values)
            and all(value is not None and self.is_static(value, depth + 1) for value in values)
        )

    def is_scalar_annotation(self, node: ast.AST) -> bool:
        """`int`, `float`, `bool`, or `Annotated[int, ...]`: values that cannot carry SQL."""
        match node:
            case ast.Name(id=name):
                return name in SCALARS
            case ast.Subscript(value=generic, slice=ast.Tuple(elts=[first, *_])):
                return self.dotted(generic) in ANNOTATED and self.is_scalar_annotation(first)
        return False

    def built_sql(self, node: ast.AST | None, depth: int = 0) -> str | None:
        """How a string is assembled from run-time values, or None when it is not."""
        match node:
            case ast.JoinedStr() if not self.is_static(node):
                return "an f-string"
            case ast.BinOp(op=ast.Mod(), left=left, right=right) if _stringy(left):
                return None if self.is_static(right) else "% formatting"
            case ast.BinOp(op=ast.Add()) if _stringy(node) and not self.is_static(node):
                return "+ concatenation"
            case ast.Call(func=ast.Attribute(attr="format", value=text), args=args, keywords=kws):
                values = [*args, *(keyword.value for keyword in kws)]
                if _stringy(text) and not all(self.is_static(value) for value in values):
                    return "`.format()`"
            case ast.Name(id=name) if depth < 3:
                for value in self.bound_values(name):
                    if how := self.built_sql(value, depth + 1):
                        return how
        return None

    # --- rules on calls ---

    def visit_Call(self, node: ast.Call) -> None:
        name = self.dotted(node.func)
        self.check_query(node)
        self.check_sql(node, name)
        self.check_jwt(node, name)
        self.check_blocking(node, name)
        self.check_startup_handlers(node, name)
        self.check_pydantic_call(node, name)
        if name and name.split(".")[0] == "sqlalchemy" and name.endswith(".declarative_base"):
            self.add("declarative-base", node)
        printing = self.is_builtin(node.func, "print")
        if printing and not self.module.is_test and not self.main_guard:
            self.add("print-logging", node)
        self.check_celebrations(node, name)
        self.generic_visit(node)

    def check_query(self, node: ast.Call) -> None:
        if not (isinstance(node.func, ast.Attribute) and node.func.attr == "query" and node.args):
            return
        if _stringy(node.args[0]):
            return  # df.query("a > 1"), a search client's query("text"): not SQLAlchemy's
        label = ast.unparse(node.func.value)
        looks_like_session = "session" in label.lower() or label.split(".")[-1] == "db"
        if looks_like_session or self.module.roots & SQLALCHEMY_ROOTS:
            self.add("legacy-session-query", node, receiver=label)

    def check_sql(self, node: ast.Call, name: str | None) -> None:
        sink = None
        if name and name.split(".")[0] in {"sqlalchemy", "sqlmodel"} and name.endswith(".text"):
            sink = "text"
        elif isinstance(node.func, ast.Attribute) and node.func.attr in SQL_METHODS:
            receiver = ast.unparse(node.func.value).rsplit(".", 1)[-1].lower()
            database = self.module.roots & DATABASE_ROOTS
            if database or any(word in receiver for word in DATABASE_RECEIVERS):
                sink = f".{node.func.attr}"
        if sink and node.args and (how := self.built_sql(node.args[0])):
            self.add("sql-string-building", node, how=how, sink=sink)

    def check_jwt(self, node: ast.Call, name: str | None) -> None:
        if name not in {"jwt.decode", "jwt.api_jwt.decode", "jose.jwt.decode"}:
            return
        for keyword in node.keywords:
            if keyword.arg == "verify":
                off = isinstance(keyword.value, ast.Constant) and keyword.value.value is False
                note = " (PyJWT 2 ignores `verify=False` with a warning; PyJWT 1 obeyed it)"
            else:
                off = keyword.arg == "options" and self.disables_verification(keyword.value)
                note = ""
            if off:
                how = ast.unparse(keyword)
                self.add("jwt-unverified", node, call=name, how=how, note=note)

    def disables_verification(self, options: ast.expr) -> bool:
        """`{"verify_signature": False}` or `dict(verify_signature=False)`."""
        match options:
            case ast.Dict(keys=keys, values=values):
                pairs = [
                    (key.value, value)
                    for key, value in zip(keys, values, strict=True)
                    if isinstance(key, ast.Constant)
                ]
            case ast.Call(func=function, keywords=keywords) if self.is_builtin(function, "dict"):
                pairs = [(keyword.arg, keyword.value) for keyword in keywords]
            case _:
                return False
        return any(
            key == "verify_signature" and isinstance(value, ast.Constant) and value.value is False
            for key, value in pairs
        )

    def check_blocking(self, node: ast.Call, name: str | None) -> None:
        function = self.in_async()
        if function is None:
            return
        if name in BLOCKING:
            self.add(
                "blocking-call-in-async",
                node,
                call=name,
                function=function.name,
                fix=BLOCKING[name],
            )
        elif self.is_socket_call(node.func):
            call = ast.unparse(node.func)
            self.add("blocking-call-in-async", node, call=call, function=function.name, fix=_SOCKET)
        elif self.is_builtin(node.func, "open"):
            self.add("open-in-async", node, function=function.name)

    def is_socket_call(self, function: ast.expr) -> bool:
        """`sock.recv(...)` where `sock` was bound to `socket.socket(...)` in this scope."""
        match function:
            case ast.Attribute(attr=method, value=ast.Name(id=receiver)) if (
                method in SOCKET_METHODS
            ):
                return any(
                    isinstance(value, ast.Call) and self.dotted(value.func) in SOCKET_FACTORIES
                    for value in self.bound_values(receiver)
                )
        return False

    def check_startup_handlers(self, node: ast.Call, name: str | None) -> None:
        match node.func, node.args:
            case ast.Attribute(attr="on_event"), [ast.Constant(value="startup" | "shutdown"), *_]:
                self.add("on-event", node, call=f"{ast.unparse(node.func)}(...)")
        if name and name.split(".")[0] in {"fastapi", "starlette"}:
            for keyword in node.keywords:
                if keyword.arg in {"on_startup", "on_shutdown"}:
                    self.add("on-event", keyword, call=f"{keyword.arg}=[...]")

    def check_pydantic_call(self, node: ast.Call, name: str | None) -> None:
        if name and name.endswith("ConfigDict"):
            for keyword in node.keywords:
                if keyword.arg == "orm_mode":
                    self.add("orm-mode", keyword)
        if not isinstance(node.func, ast.Attribute):
            return
        method, receiver = node.func.attr, node.func.value
        if method in INSTANCE_METHODS and self.is_model_instance(receiver):
            self.add(
                "pydantic-v1-method", node, method=method, replacement=INSTANCE_METHODS[method]
            )
        elif method in CLASS_METHODS and (
            self.is_model_class(receiver)
            or self.is_model_instance(receiver)
            or (
                method in PYDANTIC_ONLY
                and isinstance(receiver, ast.Name)
                and receiver.id[:1].isupper()
            )
        ):
            self.add("pydantic-v1-method", node, method=method, replacement=CLASS_METHODS[method])

    def check_celebrations(self, node: ast.Call, name: str | None) -> None:
        if not name:
            return
        last = name.rsplit(".", 1)[-1]
        if name in {"fastapi.FastAPI", "fastapi.applications.FastAPI"}:
            for keyword in node.keywords:
                if keyword.arg == "lifespan" and not _is_literal(keyword.value):
                    self.add("lifespan", node)
        elif name in {"asyncio.TaskGroup", "anyio.create_task_group"}:
            self.add("task-group", node)
        elif name.split(".")[0] == "sqlalchemy" and last in EAGER_LOADERS:
            self.add("eager-loading", node, name=last)
        elif name in SELECTS:
            self.add("select-statement", node)

    # --- rules on other nodes ---

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if self.dotted(node) in UTCNOW:
            self.add("datetime-utcnow", node, name=f"{node.attr}()")
        self.generic_visit(node)

    def visit_Subscript(self, node: ast.Subscript) -> None:
        if self.dotted(node.value) in ANNOTATED and isinstance(node.slice, ast.Tuple):
            for metadata in node.slice.elts[1:]:
                if isinstance(metadata, ast.Call) and self.is_fastapi(metadata, FASTAPI_DEPENDS):
                    self.add("annotated-dependency", node)
        self.generic_visit(node)

    def is_fastapi(self, node: ast.Call, names: frozenset[str]) -> bool:
        name = self.dotted(node.func) or ""
        return name.split(".")[0] == "fastapi" and name.rsplit(".", 1)[-1] in names

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        future = node.module == "__future__" and "fastapi" in self.module.roots
        if future and any(alias.name == "annotations" for alias in node.names):
            self.add("future-annotations", node)

    def visit_If(self, node: ast.If) -> None:
        guard = _is_main_guard(node.test)
        self.main_guard += guard
        self.generic_visit(node)
        self.main_guard -= guard

    def visit_ExceptHandler(self, node: ast.ExceptHandler) -> None:
        if node.type is None:
            reraises = any(
                isinstance(child, ast.Raise) and child.exc is None for child in _own_nodes(node)
            )
            if not reraises:  # `except: rollback(); raise` is SQLAlchemy's own documented idiom
                self.add("bare-except", node)
        elif all(_is_noop(statement) for statement in node.body):
            caught = node.type.elts if isinstance(node.type, ast.Tuple) else [node.type]
            for name in ("Exception", "BaseException"):
                if any(self.is_builtin(kind, name) for kind in caught):
                    self.add("swallowed-exception", node, name=name)
                    break
        self.generic_visit(node)

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        is_model = node.name in self.module.models
        for statement in node.body:
            match statement:
                case ast.ClassDef(name="Config", body=body) if is_model:
                    self.add("pydantic-config-class", statement, model=node.name)
                    for setting in body:
                        if isinstance(setting, ast.Assign) and any(
                            isinstance(t, ast.Name) and t.id == "orm_mode" for t in setting.targets
                        ):
                            self.add("orm-mode", setting)
                case ast.Assign(targets=[ast.Name(id="model_config")], value=ast.Dict(keys=keys)):
                    for key in keys:
                        if isinstance(key, ast.Constant) and key.value == "orm_mode":
                            self.add("orm-mode", key)
                case ast.Assign(targets=[ast.Name(id=name)], value=ast.Call(func=function)) | (
                    ast.AnnAssign(target=ast.Name(id=name), value=ast.Call(func=function))
                ):
                    column = self.dotted(function) or ""
                    if column.split(".")[0] == "sqlalchemy" and column.endswith(".Column"):
                        self.add("legacy-column", statement, name=name)
        self.generic_visit(node)

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        self.visit_function(node)

    def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef) -> None:
        self.visit_function(node)

    def visit_Lambda(self, node: ast.Lambda) -> None:
        self.visit(node.args)
        self.enter(node, None, [node.body])

    def visit_function(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        self.check_validators(node)
        self.check_defaults(node)
        if _route_decorated(node):
            self.check_secrets(node)
        # Decorators, defaults and annotations run in the enclosing scope: visit them there.
        for decorator in node.decorator_list:
            self.visit(decorator)
        self.visit(node.args)
        if node.returns is not None:
            self.visit(node.returns)
        self.enter(node, self.self_class(node), node.body)

    def enter(self, node: Function, self_class: str | None, body: list[ast.AST]) -> None:
        self.scopes.append(_scope_of(node, self_class))
        self.functions.append(node)
        for statement in body:
            self.visit(statement)
        self.functions.pop()
        self.scopes.pop()

    def self_class(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> str | None:
        """The model class whose instance method this is (its `self` is a model)."""
        parent = self.module.methods.get(node)
        plain = not any(
            isinstance(d, ast.Name) and d.id in {"staticmethod", "classmethod"}
            for d in node.decorator_list
        )
        return parent if parent in self.module.models and plain else None

    def check_validators(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        for decorator in node.decorator_list:
            target = decorator.func if isinstance(decorator, ast.Call) else decorator
            name = self.dotted(target) or ""
            last = name.rsplit(".", 1)[-1]
            if name.split(".")[0] == "pydantic" and last in VALIDATORS:
                self.add(
                    "pydantic-v1-validator", decorator, name=last, replacement=VALIDATORS[last]
                )

    def check_defaults(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        args = node.args
        positional = [*args.posonlyargs, *args.args]
        with_defaults = positional[len(positional) - len(args.defaults) :]
        pairs = list(zip(with_defaults, args.defaults, strict=True))
        pairs += [
            (a, d) for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True) if d is not None
        ]
        for param, default in pairs:
            if not isinstance(default, ast.Call):
                continue
            function = (self.dotted(default.func) or "").rsplit(".", 1)[-1]
            if self.is_fastapi(default, FASTAPI_DEPENDS):
                self.add("dependency-as-default", default, param=param.arg, function=function)
            elif self.is_fastapi(default, FASTAPI_PARAMS):
                self.add("parameter-as-default", default, param=param.arg, function=function)

    def check_secrets(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        for child in _own_nodes(node):
            if isinstance(child, ast.Return) and child.value is not None:
                for key_node, key in _secret_keys(child.value):
                    self.add("secret-in-response", key_node, function=node.name, key=key)


def _parse(source: str, path: str) -> ast.Module | Comment:
    """The module's tree, or the essential comment that says why there is none."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "\d" in a string warns; the file still parses
            return ast.parse(source, filename=path)
    except SyntaxError as error:
        return _comment("unparsable-file", path, error.lineno, reason=f"{error.msg}")
    except (ValueError, RecursionError) as error:
        return _comment("unparsable-file", path, None, reason=str(error) or type(error).__name__)


def _analyze_tree(tree: ast.Module, path: str, known_models: frozenset[str]) -> list[Comment]:
    try:
        analyzer = _Analyzer(tree, _Module.of(tree, path, known_models))
        analyzer.visit(tree)
    except RecursionError:
        return [_comment("unparsable-file", path, None, reason="nested too deeply to analyse")]
    return analyzer.comments


def _finish(comments: list[Comment]) -> list[Comment]:
    """Sorted; informative and celebratory comments once per file and code."""
    found = {(comment.path, comment.code) for comment in comments}
    counts: dict[tuple[str, str], int] = {}
    for comment in comments:
        counts[comment.path, comment.code] = counts.get((comment.path, comment.code), 0) + 1
    finished: list[Comment] = []
    seen: set[tuple[str, str]] = set()
    for comment in sorted(comments, key=_order):
        key = (comment.path, comment.code)
        if comment.kind in ("informative", "celebratory"):
            if key in seen or (comment.path, CONTRADICTED_BY.get(comment.code)) in found:
                continue
            seen.add(key)
            if comment.kind == "informative" and counts[key] > 1:
                more = f" (Found {counts[key]} times in this file; the first is shown.)"
                comment = replace(comment, message=comment.message + more)
        finished.append(comment)
    return finished


def analyze_source(source: str, path: str) -> list[Comment]:
    """The comments on one file's source, sorted; unparsable source gives one essential comment."""
    tree = _parse(source, path)
    if isinstance(tree, Comment):
        return [tree]
    return _finish(_analyze_tree(tree, path, frozenset()))


def analyze_files(files: dict[str, Path]) -> list[Comment]:
    """The comments on several files (name -> file), sorted; never raises for a bad file.

    Models defined in one file are recognised where another file imports them.
    """
    comments: list[Comment] = []
    trees: dict[str, ast.Module] = {}
    for name, file in files.items():
        try:
            source = file.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as error:
            reason = "not UTF-8 text" if isinstance(error, UnicodeDecodeError) else error.strerror
            comments.append(_comment("unreadable-file", name, None, reason=reason or str(error)))
            continue
        parsed = _parse(source, name)
        if isinstance(parsed, Comment):
            comments.append(parsed)
        else:
            trees[name] = parsed
    known: set[str] = set()
    for tree in trees.values():
        known |= _model_classes(tree, _aliases(tree), frozenset())
    for name, tree in trees.items():
        comments += _analyze_tree(tree, name, frozenset(known))
    return _finish(comments)

"""`grader mutate SLUG ...`: mutation testing of a kata's tests against its reference.

A maintainer's tool, not part of the check (it runs the kata's tests once per mutant). Each mutant
is the reference with one small change a plausible bug would make: an operator or comparison
swapped, a constant changed, a condition negated, a statement removed, an `await` dropped. The
kata's own tests run on each, through the reference switch (`--target` names a throw-away tree
holding the mutant); a mutant that passes every test "survives" and is printed as a diff. A
survivor is either a gap in the tests (write the test that kills it) or equivalent to the
reference (list it in the kata's kata.toml, `[[equivalent_mutants]]` with its id and why).
Code that the stub ships unchanged (sample data, a fake database, given helpers) is not mutated:
the learner does not write it, so its mutants say nothing about how the tests judge a solution.

mutmut was the first choice, but it rewrites the code under test into trampolines inside the
project and runs its own test driver; the katas' tests import the module by bare name from the
tree the reference switch names, so a small AST mutator that writes each mutant as a plain
source file fits that switch directly. Mutants are made in source order, so ids are stable;
`--max` samples with a fixed seed; runs go in parallel, each in a process forked from one that
has already imported pytest and the libraries (the kata's module and tests are imported fresh
in each child), and a mutant that runs past its time limit counts as killed.
"""

import ast
import contextlib
import difflib
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from grader.catalog import Kata, discover, select
from grader.display import paint
from grader.plugin import CHECK_PROFILE
from grader.signatures import module_files

SKIP_PRAGMA = "pragma: no mutate"
# Lines that only a PostgreSQL run reaches cannot be killed without one.
SERVER_PRAGMAS = {"KATAS_POSTGRES_URL": "pragma: postgresql", "KATAS_REDIS_URL": "pragma: redis"}
THRESHOLD = 90.0  # percent of mutants (less the equivalent ones) the tests must kill

BINARY = {
    ast.Add: (ast.Sub, "+", "-"),
    ast.Sub: (ast.Add, "-", "+"),
    ast.Mult: (ast.Div, "*", "/"),
    ast.Div: (ast.Mult, "/", "*"),
    ast.FloorDiv: (ast.Mult, "//", "*"),
    ast.Mod: (ast.FloorDiv, "%", "//"),
    ast.Pow: (ast.Mult, "**", "*"),
    ast.LShift: (ast.RShift, "<<", ">>"),
    ast.RShift: (ast.LShift, ">>", "<<"),
    ast.BitAnd: (ast.BitOr, "&", "|"),
    ast.BitOr: (ast.BitAnd, "|", "&"),
}
COMPARE = {
    ast.Lt: ("<", "<="),
    ast.LtE: ("<=", "<"),
    ast.Gt: (">", ">="),
    ast.GtE: (">=", ">"),
    ast.Eq: ("==", "!="),
    ast.NotEq: ("!=", "=="),
    ast.In: ("in", "not in"),
    ast.NotIn: ("not in", "in"),
    ast.Is: ("is", "is not"),
    ast.IsNot: ("is not", "is"),
}
BOOLEAN = {ast.And: ("and", "or"), ast.Or: ("or", "and")}


@dataclass(frozen=True)
class Mutant:
    """One changed copy of a reference file."""

    id: str  # "file.py:function:kind#n": stable while the function's own code is unchanged
    file: str  # the file's path below the kata's reference folder
    line: int
    description: str
    source: str  # the whole mutated file
    original: str

    def diff(self) -> str:
        """The change as a unified diff with one line of context."""
        lines = difflib.unified_diff(
            self.original.splitlines(keepends=True),
            self.source.splitlines(keepends=True),
            f"a/{self.file}",
            f"b/{self.file}",
            n=1,
        )
        return "".join(lines)


@dataclass(frozen=True)
class Outcome:
    """What the kata's tests did with one mutant."""

    mutant: Mutant
    status: str  # killed, timeout (counts as killed), survived, equivalent, error, not run
    seconds: float = 0.0


@dataclass(frozen=True)
class MutationReport:
    """All mutants of one kata and their outcomes."""

    kata: Kata
    outcomes: tuple[Outcome, ...]
    baseline_seconds: float
    error: str = ""  # why the kata could not be mutated (its tests fail on the reference, say)
    stale_equivalents: tuple[str, ...] = ()  # listed in kata.toml, but no such mutant any more
    forked: bool = True

    def count(self, *statuses: str) -> int:
        """Outcomes with any of these statuses."""
        return sum(o.status in statuses for o in self.outcomes)

    @property
    def score(self) -> float:
        """Percent killed of the mutants that ran and are not equivalent."""
        killed = self.count("killed", "timeout")
        judged = killed + self.count("survived")
        return 100.0 * killed / judged if judged else 100.0


@dataclass
class _Collector(ast.NodeVisitor):
    """Walks a module and lists (qualname, kind, description, line, start, end, replacement)."""

    source: bytes
    line_starts: list[int]
    skip_lines: set[int]
    edits: list[tuple[str, str, str, int, int, int, str]] = field(default_factory=list)
    scope: list[str] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)  # "def" or "class", innermost last
    in_annotation: bool = False

    def offset(self, line: int, col: int) -> int:
        """The byte offset of (line, col) in the source (ast columns count UTF-8 bytes)."""
        return self.line_starts[line - 1] + col

    def segment(self, node: ast.AST) -> tuple[int, int]:
        """The node's byte span."""
        start = self.offset(node.lineno, node.col_offset)  # type: ignore[attr-defined]
        end = self.offset(node.end_lineno, node.end_col_offset)  # type: ignore[attr-defined]
        return start, end

    def text(self, start: int, end: int) -> str:
        """Source text of a byte span."""
        return self.source[start:end].decode("utf-8")

    def add(self, node: ast.AST, kind: str, description: str, span: tuple[int, int], new: str):
        """Records one mutation of `span`, unless its line asks not to be mutated."""
        line = node.lineno  # type: ignore[attr-defined]
        last = getattr(node, "end_lineno", line) or line
        if self.skip_lines & set(range(line, last + 1)):
            return
        qualname = ".".join(self.scope) or "<module>"
        self.edits.append((qualname, kind, description, line, span[0], span[1], new))

    def gap(self, left: ast.AST, right: ast.AST) -> tuple[int, int]:
        """The byte span between two sibling nodes: where their operator is written."""
        return (
            self.offset(left.end_lineno, left.end_col_offset),  # type: ignore[attr-defined]
            self.offset(right.lineno, right.col_offset),  # type: ignore[attr-defined]
        )

    def swap_operator(self, node: ast.AST, span: tuple[int, int], old: str, new: str, kind: str):
        """Replaces the operator written between two operands, when the gap holds just it."""
        text = self.text(*span)
        core = text.strip(" ()\t")
        if " ".join(core.split()) != old:
            return  # a comment or a line continuation between the operands: leave it alone
        index = text.index(core)
        replaced = text[:index] + new + text[index + len(core) :]
        self.add(node, kind, f"`{old}` -> `{new}`", span, replaced)

    # Scopes -------------------------------------------------------------------------------

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        """Mutates the body (and defaults) under the function's name; not its annotations."""
        for default in [*node.args.defaults, *node.args.kw_defaults]:
            if default is not None:
                self.visit(default)
        for annotation in self.annotations(node):
            self.visit_annotation(annotation)
        for decorator in node.decorator_list:  # `@app.post("/x", status_code=201)`
            self.visit(decorator)
        self.scope.append(node.name)
        self.kinds.append("def")
        self.visit_body(node.body)
        self.kinds.pop()
        self.scope.pop()

    visit_AsyncFunctionDef = visit_FunctionDef  # type: ignore[assignment]

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        """Class bodies: field definitions and methods, under the class's name."""
        for item in [*node.bases, *node.keywords, *node.decorator_list]:
            self.visit(item)
        self.scope.append(node.name)
        self.kinds.append("class")
        self.visit_body(node.body)
        self.kinds.pop()
        self.scope.pop()

    def visit_Module(self, node: ast.Module) -> None:
        """The module's top level: its statements are kept, their expressions mutated."""
        self.visit_body(node.body)

    def generic_visit(self, node: ast.AST) -> None:
        """Like NodeVisitor's, but blocks of statements (loops, `with`, `try`) go to visit_body."""
        for _, value in ast.iter_fields(node):
            if isinstance(value, list) and value and all(isinstance(v, ast.stmt) for v in value):
                self.visit_body(value)
            elif isinstance(value, list):
                for item in value:
                    if isinstance(item, ast.AST):
                        self.visit(item)
            elif isinstance(value, ast.AST):
                self.visit(value)

    @staticmethod
    def annotations(node: ast.FunctionDef | ast.AsyncFunctionDef) -> list[ast.expr]:
        """Every annotation of a function's parameters and return."""
        args = node.args
        params = [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]
        found = [a.annotation for a in params if a is not None and a.annotation is not None]
        return found + ([node.returns] if node.returns is not None else [])

    def visit_annotation(self, node: ast.expr) -> None:
        """Annotations carry constraints (`Annotated[int, Field(ge=1)]`): constants only."""
        previous, self.in_annotation = self.in_annotation, True
        self.visit(node)
        self.in_annotation = previous

    def visit_body(self, body: list[ast.stmt]) -> None:
        """Visits a block; in functions, also removes its side-effecting statements."""
        statements = bool(self.kinds) and self.kinds[-1] == "def"
        for index, statement in enumerate(body):
            if index == 0 and is_docstring(statement):
                continue
            if isinstance(statement, ast.If) and is_type_checking(statement.test):
                continue
            if statements:
                self.remove_statement(statement)
            self.visit(statement)

    def remove_statement(self, node: ast.stmt) -> None:
        """`pass` instead of a call, a raise, an augmented or attribute assignment, a delete."""
        removable = isinstance(node, ast.Expr | ast.Raise | ast.AugAssign | ast.Delete)
        if isinstance(node, ast.Assign):
            removable = all(isinstance(t, ast.Attribute | ast.Subscript) for t in node.targets)
        if removable:
            self.add(node, "remove", "statement removed", self.segment(node), "pass")
        returns_none = isinstance(node, ast.Return) and (
            node.value is None
            or (isinstance(node.value, ast.Constant) and node.value.value is None)
        )
        if isinstance(node, ast.Return) and not returns_none:
            self.add(node, "return-none", "returns None", self.segment(node), "return None")
        if isinstance(node, ast.Break):
            self.add(node, "break", "`break` -> `continue`", self.segment(node), "continue")
        if isinstance(node, ast.Continue):
            self.add(node, "continue", "`continue` -> `break`", self.segment(node), "break")

    # Expressions --------------------------------------------------------------------------

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        """`x: Annotated[int, Field(ge=1)] = 3`: the annotation's constants and the value."""
        self.visit_annotation(node.annotation)
        if node.value is not None:
            self.visit(node.value)

    def visit_BinOp(self, node: ast.BinOp) -> None:
        """`a + b` -> `a - b`, and so on (not in annotations: `str | None` is a type)."""
        swap = BINARY.get(type(node.op))
        if swap and not self.in_annotation:
            _, old, new = swap
            self.swap_operator(node, self.gap(node.left, node.right), old, new, f"{old}->{new}")
        self.generic_visit(node)

    def visit_Compare(self, node: ast.Compare) -> None:
        """`a < b` -> `a <= b`, `==` -> `!=`, `in` -> `not in`, ..."""
        operands = [node.left, *node.comparators]
        for op, left, right in zip(node.ops, operands, operands[1:], strict=False):
            old, new = COMPARE[type(op)]
            self.swap_operator(node, self.gap(left, right), old, new, f"{old}->{new}")
        self.generic_visit(node)

    def visit_BoolOp(self, node: ast.BoolOp) -> None:
        """`a and b` -> `a or b` and back."""
        old, new = BOOLEAN[type(node.op)]
        for left, right in zip(node.values, node.values[1:], strict=False):
            self.swap_operator(node, self.gap(left, right), old, new, f"{old}->{new}")
        self.generic_visit(node)

    def visit_UnaryOp(self, node: ast.UnaryOp) -> None:
        """`not x` -> `x`, `-x` -> `x`."""
        if isinstance(node.op, ast.Not | ast.USub) and not self.in_annotation:
            symbol = "not" if isinstance(node.op, ast.Not) else "-"
            operand = self.text(*self.segment(node.operand))
            self.add(node, f"{symbol}-removed", f"`{symbol}` removed", self.segment(node), operand)
        self.generic_visit(node)

    def visit_If(self, node: ast.If | ast.While | ast.IfExp) -> None:
        """`if c:` -> `if not (c):`."""
        if not self.in_annotation:
            span = self.segment(node.test)
            negated = f"not ({self.text(*span)})"
            self.add(node.test, "negate", "condition negated", span, negated)
        self.generic_visit(node)

    visit_While = visit_If  # type: ignore[assignment]
    visit_IfExp = visit_If  # type: ignore[assignment]

    def visit_Await(self, node: ast.Await) -> None:
        """`await f()` -> `f()`."""
        inner = self.text(*self.segment(node.value))
        self.add(node, "await-removed", "`await` removed", self.segment(node), f"({inner})")
        self.generic_visit(node)

    def visit_Constant(self, node: ast.Constant) -> None:
        """Numbers grow by one; booleans flip. Strings are left alone (messages, mostly)."""
        value = node.value
        if isinstance(value, bool):
            self.add(
                node, "bool", f"`{value}` -> `{not value}`", self.segment(node), str(not value)
            )
        elif isinstance(value, int | float) and not isinstance(value, complex):
            changed = value + 1
            self.add(
                node, "number", f"`{value!r}` -> `{changed!r}`", self.segment(node), repr(changed)
            )

    def visit_JoinedStr(self, node: ast.JoinedStr) -> None:
        """f-strings: only the expressions inside, whose positions Python 3.11 may not report."""
        for value in node.values:
            if isinstance(value, ast.FormattedValue) and sys.version_info >= (3, 12):
                self.visit(value.value)


def is_docstring(statement: ast.stmt) -> bool:
    """A string literal standing alone as a statement."""
    return (
        isinstance(statement, ast.Expr)
        and isinstance(statement.value, ast.Constant)
        and isinstance(statement.value.value, str)
    )


def is_type_checking(test: ast.expr) -> bool:
    """`if TYPE_CHECKING:` blocks never run."""
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def skipped_lines(source: str, env: dict[str, str]) -> set[int]:
    """Lines marked not to mutate, and lines only an unconfigured server would run."""
    pragmas = [SKIP_PRAGMA] + [p for var, p in SERVER_PRAGMAS.items() if not env.get(var)]
    return {i for i, line in enumerate(source.splitlines(), 1) if any(p in line for p in pragmas)}


def shapes(body: list[ast.stmt], prefix: str = "") -> dict[str, ast.stmt]:
    """Definitions by qualified name, and other statements by their AST, of a module or class."""
    found: dict[str, ast.stmt] = {}
    for node in body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            found[prefix + node.name] = node
            if isinstance(node, ast.ClassDef):
                found.update(shapes(node.body, f"{prefix}{node.name}."))
        else:
            found[f"{prefix}#{ast.dump(node)}"] = node
    return found


def given_lines(reference: str, stub: str) -> set[int]:
    """Lines of the reference in definitions and statements the stub ships unchanged.

    That code is given to the learner (sample data, a fake database, helpers): the learner does
    not write it, so its mutants say nothing about how well the tests judge a solution.
    """
    ours, theirs = shapes(ast.parse(reference).body), shapes(ast.parse(stub).body)
    lines: set[int] = set()
    for key, node in ours.items():
        twin = theirs.get(key)
        if twin is not None and ast.dump(twin) == ast.dump(node):
            lines.update(range(node.lineno, (node.end_lineno or node.lineno) + 1))
    return lines


def mutants_of(
    source: str, file: str, env: dict[str, str] | None = None, given: set[int] | None = None
) -> list[Mutant]:
    """Every mutant of one source file, in source order, each of which still compiles; none on
    the `given` lines (counted all the same, so ids do not change when code becomes given)."""
    data = source.encode("utf-8")
    starts = [0]
    for line in data.splitlines(keepends=True):
        starts.append(starts[-1] + len(line))
    environment = dict(os.environ) if env is None else env  # {} is a real choice: no servers
    collector = _Collector(data, starts, skipped_lines(source, environment))
    collector.visit(ast.parse(source))
    seen: Counter[tuple[str, str]] = Counter()
    mutants = []
    for qualname, kind, description, line, start, end, new in sorted(
        collector.edits, key=lambda e: (e[4], -e[5], e[1])
    ):
        seen[qualname, kind] += 1
        if given and line in given:
            continue
        mutated = (data[:start] + new.encode("utf-8") + data[end:]).decode("utf-8")
        try:
            compile(mutated, file, "exec")
        except SyntaxError:
            continue
        mutant_id = f"{file}:{qualname}:{kind}#{seen[qualname, kind]}"
        mutants.append(Mutant(mutant_id, file, line, description, mutated, source))
    return mutants


def kata_mutants(kata: Kata) -> list[Mutant]:
    """The mutants of every module file of the kata's reference, less the code the stub gives."""
    found = []
    stubs = module_files(kata.path, kata.slug)
    for rel, path in module_files(kata.reference_path, kata.slug).items():
        source = path.read_text(encoding="utf-8")
        stub = stubs[rel].read_text(encoding="utf-8") if rel in stubs else ""
        found += mutants_of(source, rel, given=given_lines(source, stub) if stub else set())
    return found


# Running ------------------------------------------------------------------------------------

WARM_IMPORTS = ("pytest", "hypothesis", "fastapi", "starlette", "pydantic", "sqlalchemy", "httpx")


def can_fork() -> bool:
    """Forking a warm process needs os.fork (not on Windows)."""
    return hasattr(os, "fork")


def warm_up() -> None:
    """Imports what every child would import again, once, before forking children from here."""
    for name in WARM_IMPORTS:
        try:
            __import__(name)
        except ImportError:  # a library the suite does not use any more: nothing to warm
            continue
    import fastapi.testclient  # noqa: F401  (the slowest import most katas share)


def lay_out(kata: Kata, tree: Path, mutant: Mutant | None) -> None:
    """Copies the kata's reference into `tree` (laid out like katas/), with `mutant` applied."""
    folder = tree / kata.rel
    shutil.copytree(
        kata.reference_path,
        folder,
        ignore=shutil.ignore_patterns("mistakes", "kata.toml", "__pycache__"),
    )
    if mutant is not None:
        (folder / mutant.file).write_text(mutant.source, encoding="utf-8")


def pytest_args(kata: Kata, tree: Path, timeout: float) -> list[str]:
    """Stop at the first failure: one failing test kills a mutant."""
    return [
        str(kata.path),
        f"--target={tree}",
        "-x",
        "-q",
        "-p",
        "no:cacheprovider",
        "-p",
        "grader.plugin",
        f"--hypothesis-profile={CHECK_PROFILE}",
        f"--timeout={timeout:g}",
        "--no-header",
        "--tb=no",
        # The warm parent imported libraries that are also pytest plugins (anyio, hypothesis):
        # pytest cannot rewrite their asserts any more, and says so. The kata's tests, imported
        # fresh in the child, are still rewritten.
        "-W",
        "ignore::pytest.PytestAssertRewriteWarning",
    ]


@dataclass
class _Job:
    """A running child: its mutant, its tree and when it must have ended."""

    index: int
    pid: int
    tree: Path
    started: float
    deadline: float
    process: subprocess.Popen[bytes] | None = None


def start(kata: Kata, tree: Path, timeout: float, log: Path, fork: bool) -> _Job:
    """Starts the kata's tests against `tree` in a child of its own process group."""
    args = pytest_args(kata, tree, timeout)
    now = time.monotonic()
    if not fork:
        with log.open("wb") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", "pytest", *args],
                cwd=kata.root,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        return _Job(-1, process.pid, tree, now, now, process)
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:  # the child: never returns
        code = 3
        try:
            os.setsid()
            descriptor = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            os.dup2(descriptor, 1)
            os.dup2(descriptor, 2)
            os.chdir(kata.root)
            import pytest

            code = int(pytest.main(args))
        except BaseException:  # any failure of the child is its exit status
            import traceback

            traceback.print_exc()
            code = 3
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
    return _Job(-1, pid, tree, now, now)


def reap(job: _Job, block: bool) -> int | None:
    """The child's exit code once it has ended, else None."""
    if job.process is not None:
        return job.process.wait() if block else job.process.poll()
    pid, status = os.waitpid(job.pid, 0 if block else os.WNOHANG)
    if pid == 0:
        return None
    return os.waitstatus_to_exitcode(status)


def kill(job: _Job) -> None:
    """Ends the child and everything it started."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(job.pid, signal.SIGKILL)
    reap(job, block=True)


def verdict(code: int) -> str:
    """pytest's exit code as an outcome: 0 survived, anything else killed.

    The same command passed on the unmutated reference, so any other outcome is the mutant's
    doing: failed tests (1), an import error in a test module (2) or in a conftest that imports
    the kata (4), a crash (3, or a signal), no test left to collect (5).
    """
    return "survived" if code == 0 else "killed"


def run_all(
    kata: Kata,
    mutants: list[Mutant],
    scratch: Path,
    jobs: int,
    timeout: float,
    budget: float,
    fork: bool,
    on_done: Callable[[Outcome], None],
) -> list[Outcome]:
    """Runs every mutant, `jobs` at a time, until the budget (seconds) is spent."""
    outcomes: dict[int, Outcome] = {}
    pending = list(enumerate(mutants))
    running: list[_Job] = []
    ends = time.monotonic() + budget
    try:
        collect(
            kata, mutants, scratch, jobs, timeout, fork, on_done, outcomes, pending, running, ends
        )
    finally:
        for job in running:  # stopped early (Ctrl-C, a kill): no child outlives the command
            kill(job)
    return [outcomes[i] for i in range(len(mutants))]


def collect(
    kata: Kata,
    mutants: list[Mutant],
    scratch: Path,
    jobs: int,
    timeout: float,
    fork: bool,
    on_done: Callable[[Outcome], None],
    outcomes: dict[int, Outcome],
    pending: list[tuple[int, Mutant]],
    running: list["_Job"],
    ends: float,
) -> None:
    """The scheduling loop of run_all: start children, reap them, stop those past their time."""
    while pending or running:
        while pending and len(running) < jobs and time.monotonic() < ends:
            index, mutant = pending.pop(0)
            tree = scratch / f"m{index}"
            lay_out(kata, tree, mutant)
            job = start(kata, tree, timeout, scratch / f"m{index}.log", fork)
            job.index, job.deadline = index, job.started + timeout * 3 + 10
            running.append(job)
        if pending and not running:  # over budget
            for index, mutant in pending:
                outcomes[index] = Outcome(mutant, "not run")
            pending.clear()
        for job in list(running):
            now = time.monotonic()
            code = reap(job, block=False)
            status = None
            if code is not None:
                status = verdict(code)
            elif now > job.deadline:
                kill(job)
                status = "timeout"
            if status is not None:
                running.remove(job)
                shutil.rmtree(job.tree, ignore_errors=True)
                outcome = Outcome(mutants[job.index], status, now - job.started)
                outcomes[job.index] = outcome
                on_done(outcome)
        time.sleep(0.02)


def baseline(kata: Kata, scratch: Path, fork: bool) -> tuple[int, float, str]:
    """The unmutated reference's run: (exit code, seconds, its output)."""
    tree = scratch / "baseline"
    lay_out(kata, tree, None)
    log = scratch / "baseline.log"
    job = start(kata, tree, 120, log, fork)
    code = reap(job, block=True)
    seconds = time.monotonic() - job.started
    return code or 0, seconds, log.read_text(encoding="utf-8", errors="replace")


def mutate(
    kata: Kata,
    *,
    jobs: int = 0,
    budget: float = 1800,
    limit: int = 0,
    seed: int = 0,
    only: str = "",
    test_timeout: float = 0,
    on_done: Callable[[Outcome], None] = lambda o: None,
) -> MutationReport:
    """Mutates the kata's reference and runs its tests on every mutant."""
    fork = can_fork()
    everything = kata_mutants(kata)
    stale = tuple(sorted(set(kata.equivalent_mutants) - {m.id for m in everything}))
    if only:
        everything = [m for m in everything if re.search(only, m.id)]
    chosen = everything
    if limit and len(everything) > limit:
        keep = set(random.Random(seed).sample(range(len(everything)), limit))
        chosen = [m for i, m in enumerate(everything) if i in keep]
    equivalent = [Outcome(m, "equivalent") for m in chosen if m.id in kata.equivalent_mutants]
    to_run = [m for m in chosen if m.id not in kata.equivalent_mutants]
    if fork:
        warm_up()
    with tempfile.TemporaryDirectory(prefix="grader-mutate-") as name:
        scratch = Path(name)
        code, seconds, output = baseline(kata, scratch, fork)
        if code != 0:
            error = f"the tests do not pass on the reference (exit {code}):\n{output[-2000:]}"
            return MutationReport(kata, (), seconds, error, stale, fork)
        # A mutant that makes a test loop forever is stopped by pytest-timeout, then by a kill.
        timeout = test_timeout or max(30.0, seconds * 3)
        outcomes = run_all(
            kata, to_run, scratch, jobs or os.cpu_count() or 2, timeout, budget, fork, on_done
        )
    by_id = {o.mutant.id: o for o in [*outcomes, *equivalent]}
    ordered = tuple(by_id[m.id] for m in chosen)
    return MutationReport(kata, ordered, seconds, "", stale, fork)


# Output -------------------------------------------------------------------------------------


def summary(report: MutationReport) -> str:
    """One line: counts and the score."""
    killed = report.count("killed", "timeout")
    timeouts = report.count("timeout")
    parts = [
        f"{len(report.outcomes)} mutants",
        f"{killed} killed" + (f" ({timeouts} by timeout)" if timeouts else ""),
        f"{report.count('survived')} survived",
        f"{report.count('equivalent')} equivalent",
    ]
    for status in ("error", "not run"):
        if report.count(status):
            parts.append(f"{report.count(status)} {status}")
    return f"{report.kata.id}: " + ", ".join(parts) + f"; score {report.score:.1f}%"


def render(report: MutationReport, threshold: float = THRESHOLD) -> str:
    """The survivors as diffs, then the summary line."""
    if report.error:
        return f"{paint('ERROR', 'red')} {report.kata.id}: {report.error}"
    lines = []
    for outcome in report.outcomes:
        if outcome.status in ("survived", "error"):
            mutant = outcome.mutant
            lines.append(
                paint(f"{outcome.status}: {mutant.id}  (line {mutant.line}: ", "yellow")
                + paint(f"{mutant.description})", "yellow")
            )
            lines += ["    " + line for line in mutant.diff().splitlines()]
    for stale in report.stale_equivalents:
        lines.append(paint(f"kata.toml lists {stale} as equivalent: no such mutant now", "yellow"))
    mark = paint("PASS", "green") if report.score >= threshold else paint("LOW ", "red")
    lines.append(f"{mark} {summary(report)}")
    if not report.forked:
        lines.append("  (no os.fork here: each mutant ran in a new Python process, more slowly)")
    return "\n".join(lines)


def progress_dots(outcome: Outcome) -> None:
    """A character per finished mutant on stderr: . killed, T timeout, S survived, E error."""
    mark = {"killed": ".", "timeout": "T", "survived": "S", "error": "E"}.get(outcome.status, "?")
    print(mark, end="", file=sys.stderr, flush=True)


def iterate_reports(root: Path, names: list[str], **options: object) -> Iterator[MutationReport]:
    """Mutates each kata named, in turn."""
    for kata in select(discover(root), names):
        print(f"mutating {kata.id} ...", file=sys.stderr, flush=True)
        report = mutate(kata, on_done=progress_dots, **options)  # type: ignore[arg-type]
        print(file=sys.stderr)
        yield report


def list_mutants(root: Path, names: list[str], only: str = "") -> int:
    """Prints each mutant's id, line and change, and whether kata.toml calls it equivalent."""
    for kata in select(discover(root), names):
        for mutant in kata_mutants(kata):
            if only and not re.search(only, mutant.id):
                continue
            equivalent = "  [equivalent]" if mutant.id in kata.equivalent_mutants else ""
            print(f"{mutant.id}  line {mutant.line}: {mutant.description}{equivalent}")
    return 0


def main(
    root: Path,
    names: list[str],
    jobs: int,
    budget: float,
    limit: int,
    seed: int,
    only: str,
    test_timeout: float = 0,
    threshold: float = THRESHOLD,
) -> int:
    """Prints each kata's survivors and score; 1 when any kata scores under the threshold."""
    if not names:
        print("grader mutate: name the katas to mutate (slugs or sections)", file=sys.stderr)
        return 2
    # A kill ends the command through its `finally` blocks, which end the running children.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    low = 0
    reports = []
    for report in iterate_reports(
        root,
        names,
        jobs=jobs,
        budget=budget,
        limit=limit,
        seed=seed,
        only=only,
        test_timeout=test_timeout,
    ):
        print(render(report, threshold), flush=True)
        reports.append(report)
        low += bool(report.error) or report.score < threshold
    if len(reports) > 1:
        print("\n".join(summary(r) for r in reports))
    return 1 if low else 0

"""Grading survives any learner code: each hostile kata gets a status, every other kata is graded.

One suite holds a solved kata and one kata per kind of hostile code, all in the learner's tree
(the default target); a single grading run, with short limits, must report each hostile kata as
what it is, grade the solved kata normally, end within a bounded time, and leave every file of
the learner's as it was.
"""

import hashlib
import subprocess
import time
from pathlib import Path

import pytest

from grader.catalog import discover
from grader.grading import KataResult, grade
from grader.runner import Limits
from grader.tests.suites import REFERENCE, KataFiles, build_suite

ASYNC_TESTS = '''\
"""Async tests for the adder kata."""

import pytest
from {slug} import add


@pytest.mark.task(1)
async def test_adds_two_numbers() -> None:
    assert await add(2, 3) == 5
'''

SLEEPER = "import time; time.sleep(3600)  # grader-test-orphan"


def learner(body: str, *, header: str = "", is_async: bool = False) -> str:
    """A learner's module whose `add` runs `body`."""
    keyword = "async def" if is_async else "def"
    indented = "\n".join(f"    {line}" for line in body.splitlines())
    signature = f"{keyword} add(a: int, b: int) -> int:"
    return f'"""A hostile solution."""\n{header}\n\n{signature}\n{indented}\n'


HOSTILE: dict[str, tuple[KataFiles, str, str]] = {
    # slug: (the kata, the status it gets, a fragment of its message)
    "infinite_loop": (
        KataFiles("infinite_loop", stub=learner("while True:\n    pass")),
        "fail",
        "Timeout",
    ),
    "never_awaits": (
        KataFiles(
            "never_awaits",
            stub=learner("await asyncio.Event().wait()", header="import asyncio", is_async=True),
            tests=ASYNC_TESTS,
        ),
        "fail",
        "Timeout",
    ),
    "blocks_the_loop": (
        KataFiles(
            "blocks_the_loop",
            stub=learner("time.sleep(3600)", header="import time", is_async=True),
            tests=ASYNC_TESTS,
        ),
        "fail",
        "Timeout",
    ),
    "holds_the_gil": (
        # sum() over a range loops in C without checking for signals: pytest-timeout's alarm
        # cannot interrupt it, so only the watchdog ends it.
        KataFiles("holds_the_gil", stub=learner("return sum(range(10**15))")),
        "fail",
        "timed out: no progress",
    ),
    "exits_at_import": (
        KataFiles(
            "exits_at_import", stub=learner("return a + b", header="import sys\nsys.exit(3)")
        ),
        "error",
        "SystemExit(3)",
    ),
    "hard_exits_at_import": (
        KataFiles(
            "hard_exits_at_import", stub=learner("return a + b", header="import os\nos._exit(3)")
        ),
        "error",
        "exited with status 3",
    ),
    "exits_in_test": (
        KataFiles("exits_in_test", stub=learner("sys.exit(1)", header="import sys")),
        "fail",
        "SystemExit",
    ),
    "hard_exits_in_test": (
        KataFiles("hard_exits_in_test", stub=learner("os._exit(1)", header="import os")),
        "fail",
        "exited with status 1",
    ),
    "segfaults": (
        KataFiles("segfaults", stub=learner("ctypes.string_at(0)", header="import ctypes")),
        "fail",
        "SIGSEGV",
    ),
    "syntax_error": (
        KataFiles("syntax_error", stub='"""Broken."""\n\ndef add(a, b)\n    return a + b\n'),
        "error",
        "SyntaxError",
    ),
    "raises_at_import": (
        KataFiles(
            "raises_at_import", stub=learner("return a + b", header="raise RuntimeError('boom')")
        ),
        "error",
        "RuntimeError: boom",
    ),
    "prints_a_flood": (
        # 160 MB on stdout: captured and capped, never copied into results or logs whole.
        KataFiles(
            "prints_a_flood",
            stub=learner(
                'for _ in range(20):\n    sys.stdout.write("x" * 2**23)\nreturn a - b',
                header="import sys",
            ),
        ),
        "fail",
        "assert",
    ),
    "eats_memory": (
        KataFiles(
            "eats_memory",
            stub=learner("hoard = []\nwhile True:\n    hoard.append(bytes(2**28))"),
        ),
        "fail",
        "MemoryError",
    ),
    "deletes_files": (
        KataFiles(
            "deletes_files",
            stub=learner(
                "for path in Path(__file__).parent.iterdir():\n"
                "    path.write_text('# wiped') if path.is_file() else None\n"
                "return a + b",
                header="from pathlib import Path",
            ),
        ),
        "pass",
        "",
    ),
    "spawns_forever": (
        KataFiles(
            "spawns_forever",
            stub=learner(
                f"CHILDREN.append(subprocess.Popen([sys.executable, '-c', {SLEEPER!r}]))\n"
                "return a + b",
                header="import subprocess\nimport sys\n\nCHILDREN = []",
            ),
        ),
        "pass",
        "",
    ),
}

LIMITS = Limits(test_timeout=5, stall=15, memory=2 * 2**30)


def fingerprint(folder: Path) -> dict[str, str]:
    """Every file below `folder` with a hash of its bytes."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def orphans() -> list[str]:
    """Processes left behind by the `spawns_forever` kata."""
    found = subprocess.run(["pgrep", "-f", "grader-test-orphan"], capture_output=True, text=True)
    return found.stdout.split()


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, KataResult], float, bool]:
    """Grades the solved kata and every hostile one in one run: results, seconds, files intact."""
    katas = [KataFiles("solved", number=1, stub=REFERENCE)]
    for number, (kata, _, _) in enumerate(HOSTILE.values(), start=2):
        kata.number = number
        katas.append(kata)
    suite = build_suite(tmp_path_factory.mktemp("hostile") / "suite", *katas)
    before = fingerprint(suite.root)
    started = time.monotonic()
    results, _ = grade(suite.root, discover(suite.root), "katas", limits=LIMITS)
    seconds = time.monotonic() - started
    intact = fingerprint(suite.root) == before
    return {r.kata.slug: r for r in results}, seconds, intact


def test_the_solved_kata_is_graded_normally(
    graded: tuple[dict[str, KataResult], float, bool],
) -> None:
    results, _, _ = graded
    assert results["solved"].status == "pass"
    assert results["solved"].passed == 2


@pytest.mark.parametrize("slug", list(HOSTILE))
def test_each_hostile_kata_gets_a_status_with_its_cause(
    graded: tuple[dict[str, KataResult], float, bool], slug: str
) -> None:
    results, _, _ = graded
    _, status, fragment = HOSTILE[slug]
    result = results[slug]
    assert result.status == status, result.message
    if fragment:
        messages = [result.message] + [t.message for t in result.tests]
        assert any(fragment in m for m in messages), messages


@pytest.mark.parametrize(
    "slug", ["infinite_loop", "never_awaits", "blocks_the_loop", "holds_the_gil"]
)
def test_a_hang_is_reported_as_timed_out(
    graded: tuple[dict[str, KataResult], float, bool], slug: str
) -> None:
    results, _, _ = graded
    assert results[slug].timed_out


def test_a_timeout_says_where_the_code_hung(
    graded: tuple[dict[str, KataResult], float, bool],
) -> None:
    results, _, _ = graded
    (first, *_) = results["infinite_loop"].tests
    assert "katas/01_basics/02_infinite_loop/infinite_loop.py" in first.location


def test_grading_ends_within_a_bounded_time(
    graded: tuple[dict[str, KataResult], float, bool],
) -> None:
    _, seconds, _ = graded
    # Two 5 s timeouts for each of 3 katas, one 15 s stall, and a restart per crash, with room.
    assert seconds < 180


def test_no_file_of_the_learner_is_changed(
    graded: tuple[dict[str, KataResult], float, bool],
) -> None:
    _, _, intact = graded
    assert intact


def test_no_process_outlives_the_run(graded: tuple[dict[str, KataResult], float, bool]) -> None:
    assert orphans() == []

"""`grader mutate`: the mutants it makes, and what it reports about a kata's tests."""

import subprocess
import sys
from pathlib import Path

from grader.mutate import given_lines, mutants_of
from grader.tests.suites import KATA_TOML, REFERENCE, TESTS, KataFiles, build_suite

SOURCE = '''\
"""A module to mutate."""

LIMIT = 3


async def fetch(client, ids: list[int]) -> list[int]:
    """Docstrings are never mutated."""
    found = []
    for i in ids:
        if i < LIMIT and not i == 0:
            found.append(await client.get(i))
        elif i >= 10 or i in (7, 8):
            raise ValueError("no")
    return found
'''


def test_mutants_cover_operators_constants_statements_and_awaits() -> None:
    described = {(m.id, m.description) for m in mutants_of(SOURCE, "m.py", env={})}
    for expected in [
        ("m.py:<module>:number#1", "`3` -> `4`"),
        ("m.py:fetch:<-><=#1", "`<` -> `<=`"),
        ("m.py:fetch:and->or#1", "`and` -> `or`"),
        ("m.py:fetch:not-removed#1", "`not` removed"),
        ("m.py:fetch:==->!=#1", "`==` -> `!=`"),
        ("m.py:fetch:remove#1", "statement removed"),  # found.append(...) inside the loop
        ("m.py:fetch:await-removed#1", "`await` removed"),
        ("m.py:fetch:in->not in#1", "`in` -> `not in`"),
        ("m.py:fetch:remove#2", "statement removed"),  # the raise
        ("m.py:fetch:return-none#1", "returns None"),
        ("m.py:fetch:negate#1", "condition negated"),
    ]:
        assert expected in described, sorted(described)
    changed_lines = [m.line for m in mutants_of(SOURCE, "m.py", env={})]
    assert (
        SOURCE.splitlines().index('    """Docstrings are never mutated."""') + 1
        not in changed_lines
    )


def test_each_mutant_changes_one_place_and_compiles() -> None:
    for mutant in mutants_of(SOURCE, "m.py", env={}):
        compile(mutant.source, "m.py", "exec")
        changed = [line for line in mutant.diff().splitlines() if line.startswith(("-", "+"))]
        assert len([c for c in changed if not c.startswith(("---", "+++"))]) == 2, mutant.diff()


def test_ids_do_not_depend_on_other_functions() -> None:
    before = {m.id for m in mutants_of(SOURCE, "m.py", env={}) if ":fetch:" in m.id}
    edited = SOURCE.replace("LIMIT = 3\n", "LIMIT = 3\n\n\ndef other(x):\n    return x + 1\n")
    after = {m.id for m in mutants_of(edited, "m.py", env={}) if ":fetch:" in m.id}
    assert before == after


def test_marked_lines_are_not_mutated() -> None:
    source = "def f(x):\n    return x + 1  # pragma: no mutate\n"
    assert mutants_of(source, "f.py", env={}) == []
    server_only = "def f(x):\n    return x + 1  # pragma: postgresql\n"
    assert mutants_of(server_only, "f.py", env={}) == []
    assert mutants_of(server_only, "f.py", env={"KATAS_POSTGRES_URL": "postgresql://x"})


ONE_MORE_TEST = """

@pytest.mark.task(1)
def test_adds_one() -> None:
    assert add(5, 1) == 6
"""

LOOP_EQUIVALENT = """
[[equivalent_mutants]]
id = "adder.py:add:>->>=#1"
why = "with b == 0 the loop never runs, whichever way the step goes"
"""

WEAK_TESTS = '''\
"""Tests that only try zero: `a - b` passes them."""

import pytest
from {slug} import add


@pytest.mark.task(1)
def test_adds_zero() -> None:
    assert add(0, 0) == 0
'''


def grader(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Runs `grader --root ROOT ARGS` as a learner or maintainer would."""
    return subprocess.run(
        [sys.executable, "-m", "grader", "--root", str(root), *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


def test_mutate_reports_survivors_equivalents_and_the_score(tmp_path: Path) -> None:
    # Most mutants of this loop never end: the test's time limit kills them.
    looping = REFERENCE.replace(
        "    return a + b",
        "    total, step = a, (1 if b > 0 else -1)\n"
        "    while total != a + b:\n"
        "        total += step\n"
        "    return total",
    )
    equivalent = '\n[[equivalent_mutants]]\nid = "weak.py:add:return-none#1"\nwhy = "a test."\n'
    stale = '\n[[equivalent_mutants]]\nid = "weak.py:gone:remove#1"\nwhy = "gone."\n'
    suite = build_suite(
        tmp_path / "suite",
        KataFiles(
            "adder",
            tests=TESTS + ONE_MORE_TEST,
            reference=looping,
            mistakes={},
            kata_toml=KATA_TOML + LOOP_EQUIVALENT,
        ),
        KataFiles("weak", number=2, tests=WEAK_TESTS, kata_toml=KATA_TOML + equivalent + stale),
    )
    strong = grader(suite.root, "mutate", "adder", "--timeout", "2")
    assert "score 100.0%" in strong.stdout, strong.stdout + strong.stderr
    assert "1 equivalent" in strong.stdout
    assert strong.returncode == 0

    weak = grader(suite.root, "mutate", "weak")
    assert "survived: weak.py:add:+->-#1" in weak.stdout, weak.stdout + weak.stderr
    assert "-    return a + b" in weak.stdout
    assert "+    return a - b" in weak.stdout
    assert "1 equivalent" in weak.stdout  # the listed mutant is not run, and not counted
    assert "kata.toml lists weak.py:gone:remove#1 as equivalent: no such mutant now" in weak.stdout
    assert weak.returncode == 1


def test_mutate_refuses_a_kata_whose_tests_fail_on_the_reference(tmp_path: Path) -> None:
    suite = build_suite(
        tmp_path / "suite",
        KataFiles("adder", reference=REFERENCE.replace("a + b", "a * b"), mistakes={}),
    )
    result = grader(suite.root, "mutate", "adder")
    assert "the tests do not pass on the reference" in result.stdout, result.stdout
    assert result.returncode == 1


def test_code_the_stub_gives_unchanged_is_not_mutated() -> None:
    given = 'BOOKS = {1: "Dune"}\n\n\ndef shelf() -> dict[int, str]:\n    return dict(BOOKS)\n'
    stub = given + "\n\nLIMIT = 0\n\n\ndef count() -> int:\n    raise NotImplementedError\n"
    reference = given + "\n\nLIMIT = 3\n\n\ndef count() -> int:\n    return len(BOOKS)\n"
    lines = given_lines(reference, stub)
    assert lines == {1, 4, 5}
    mutants = mutants_of(reference, "k.py", env={}, given=lines)
    assert {m.line for m in mutants} == {8, 12}, [m.id for m in mutants]
    # Ids count the given code's mutants all the same: they do not shift when code becomes given.
    assert "k.py:<module>:number#2" in {m.id for m in mutants}

"""`grader check` on a kata whose reference has a PostgreSQL-only branch.

Without a server, the check cannot run the branch or the tests that reach it: it passes the kata
with notes that say what went unchecked. With a server (as in CI) it checks everything.
"""

from pathlib import Path

import pytest

from grader.catalog import discover
from grader.check import CheckReport, check
from grader.tests.suites import REFERENCE, STUB, KataFiles, build_suite

BRANCH = '''

def storage(url: str) -> str:
    """Where tenants live on the database at `url`."""
    if url.startswith("postgresql"):  # pragma: postgresql
        return "schemas"
    return "files"
'''

TESTS = '''\
"""Tests for the dialect kata."""

import pytest
from dialect import add, storage


@pytest.mark.task(1)
def test_adds_two_numbers() -> None:
    assert add(2, 3) == 5


@pytest.mark.task(1)
def test_storage_follows_the_database(database_url: str) -> None:
    expected = "schemas" if database_url.startswith("postgresql") else "files"
    assert storage(database_url) == expected
'''

KATA = KataFiles(
    "dialect",
    stub=STUB
    + '\n\ndef storage(url: str) -> str:\n    """Where tenants live."""\n'
    + '    raise NotImplementedError("storage is not written yet")\n',
    reference=REFERENCE + BRANCH,
    tests=TESTS,
    mistakes={
        "subtracts.diff": ("return a + b", "return a - b"),
        "no_schemas.diff": ('return "schemas"', 'return "files"'),
    },
)


def check_suite(root: Path) -> CheckReport:
    """Builds the one-kata suite and checks it."""
    build_suite(root, KATA)
    katas = discover(root)
    return check(root, katas, katas)


def test_without_a_server_the_check_passes_and_notes_what_it_could_not_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("KATAS_POSTGRES_URL", raising=False)
    (verdict,) = check_suite(tmp_path / "suite").verdicts
    assert verdict.ok, verdict.problems
    notes = "\n".join(verdict.notes)
    assert "1 postgres tests skipped" in notes
    assert "`pragma: postgresql` not counted: set KATAS_POSTGRES_URL" in notes
    assert "mistake no_schemas.diff: no test run here caught it" in notes


@pytest.mark.postgres
def test_with_a_server_the_branch_and_its_mistake_are_checked(tmp_path: Path) -> None:
    (verdict,) = check_suite(tmp_path / "suite").verdicts
    assert verdict.ok, verdict.problems
    assert verdict.notes == ()


@pytest.mark.postgres
def test_with_a_server_an_uncovered_postgresql_line_fails_the_check(tmp_path: Path) -> None:
    untested = KataFiles(
        "dialect",
        stub=KATA.stub,
        reference=KATA.reference,
        tests=TESTS.replace("(database_url: str)", "(sqlite_url: str)").replace(
            "database_url", "sqlite_url"
        ),
        mistakes={"subtracts.diff": ("return a + b", "return a - b")},
    )
    root = tmp_path / "suite"
    build_suite(root, untested)
    katas = discover(root)
    (verdict,) = check(root, katas, katas).verdicts
    assert any("lines not run by the tests" in p for p in verdict.problems), verdict.problems

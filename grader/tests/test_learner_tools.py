"""The learner's record and tools: cached results, tamper evidence, hint levels, reset, solution."""

import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from xml.etree import ElementTree

import pytest

from grader import grading, ledger
from grader.catalog import discover
from grader.cli import main
from grader.tests.suites import REFERENCE, STUB, KataFiles, Suite

STUB_PATH = "katas/01_basics/01_adder/adder.py"
TEST_PATH = "katas/01_basics/01_adder/test_adder.py"


@pytest.fixture
def suite(make_suite: Callable[..., Suite]) -> Suite:
    """One kata, not solved yet."""
    return make_suite(KataFiles("adder"))


@pytest.fixture
def runs(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """The slugs of every grading run that actually starts pytest."""
    seen: list[list[str]] = []
    real = grading.grade

    def counting(root: Path, katas: list, *args: object, **kwargs: object) -> object:
        seen.append([k.slug for k in katas])
        return real(root, katas, *args, **kwargs)

    monkeypatch.setattr(ledger, "grade", counting)
    return seen


def solve(suite: Suite) -> None:
    """The learner writes the solution."""
    (suite.root / STUB_PATH).write_text(REFERENCE)


def test_an_unchanged_kata_is_not_graded_again(suite: Suite, runs: list[list[str]]) -> None:
    katas = discover(suite.root)
    first = ledger.grade_cached(suite.root, katas)
    again = ledger.grade_cached(suite.root, katas)
    assert runs == [["adder"]]
    assert again[0].tests == first[0].tests


def test_an_edit_regrades_and_the_ledger_records_attempts_and_first_green(
    suite: Suite, runs: list[list[str]]
) -> None:
    katas = discover(suite.root)
    assert not ledger.grade_cached(suite.root, katas)[0].done
    solve(suite)
    assert ledger.grade_cached(suite.root, katas)[0].done
    assert len(runs) == 2
    entry = ledger.load(suite.root)["adder"]
    assert entry.attempts == 2
    assert entry.first_green is not None
    assert (suite.root / ".grader/.gitignore").read_text() == "*\n"


def test_edited_tests_are_flagged_and_never_count_as_done(
    suite: Suite, capsys: pytest.CaptureFixture[str]
) -> None:
    solve(suite)
    test_file = suite.root / TEST_PATH
    test_file.write_text(test_file.read_text().replace("== 5", "== 5 or True"))
    assert main(["--root", str(suite.root)]) == 1
    assert "tests edited: not counted" in capsys.readouterr().out
    main(["--root", str(suite.root), "--json"])
    (kata,) = json.loads(capsys.readouterr().out)["katas"]
    assert kata["tests_edited"] == ["01_basics/01_adder/test_adder.py"]
    assert kata["done"] is False


def test_hints_unlock_one_level_per_call_and_are_recorded(
    suite: Suite, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--root", str(suite.root), "hint", "adder"]) == 0  # first failing task: 1
    first = capsys.readouterr().out
    assert "hint 1: Use +." in first
    assert "hint 2" not in first
    assert "1 more" in first
    main(["--root", str(suite.root), "hint", "adder", "--task", "1"])
    second = capsys.readouterr().out
    assert "hint 1: Use +." in second
    assert "hint 2: return a + b" in second
    assert ledger.load(suite.root)["adder"].hints == {"1": 2}


def test_all_hints_at_once(suite: Suite, capsys: pytest.CaptureFixture[str]) -> None:
    main(["--root", str(suite.root), "hint", "adder", "--all"])
    assert "hint 2: return a + b" in capsys.readouterr().out


def git(root: Path, *args: str) -> None:
    """Runs git in the suite, as a learner's clone would have it."""
    identity = ["-c", "user.name=Learner", "-c", "user.email=learner@example.invalid"]
    subprocess.run(["git", *identity, *args], cwd=root, check=True, capture_output=True)


def test_reset_restores_the_stub_and_backs_up_the_learners_work(suite: Suite) -> None:
    git(suite.root, "init", "-q")
    git(suite.root, "add", "-A")
    git(suite.root, "commit", "-qm", "the suite")
    solve(suite)
    git(suite.root, "commit", "-qam", "my work")  # the stub is gone from HEAD: only history has it
    assert main(["--root", str(suite.root), "reset", "adder"]) == 0
    assert (suite.root / STUB_PATH).read_text() == STUB
    (backup,) = (suite.root / ".grader/backups").iterdir()
    assert (backup / "adder.py").read_text() == REFERENCE


def test_reset_without_git_changes_nothing(
    suite: Suite, capsys: pytest.CaptureFixture[str]
) -> None:
    solve(suite)
    assert main(["--root", str(suite.root), "reset", "adder"]) == 1
    assert "nothing was changed" in capsys.readouterr().out
    assert (suite.root / STUB_PATH).read_text() == REFERENCE


def test_the_solution_is_shown_only_once_green(
    suite: Suite, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--root", str(suite.root), "solution", "adder"]) == 1
    assert "solve it first" in capsys.readouterr().out
    (suite.root / STUB_PATH).write_text(REFERENCE.replace("return a + b", "return b + a"))
    assert main(["--root", str(suite.root), "solution", "adder"]) == 0
    out = capsys.readouterr().out
    assert "-    return b + a" in out
    assert "+    return a + b" in out


def test_junit_xml_has_a_testsuite_per_kata(suite: Suite, tmp_path: Path) -> None:
    report = tmp_path / "junit.xml"
    main(["--root", str(suite.root), "--junit", str(report)])
    (testsuite,) = ElementTree.parse(report).getroot()
    assert testsuite.get("name") == "adder"
    assert testsuite.get("tests") == "2"
    assert testsuite.get("failures") == "2"
    assert [case.get("name") for case in testsuite] == [
        "test_adds_two_numbers",
        "test_adds_negative_numbers",
    ]

"""The learner's commands: progress, `run`, `hint`, and the JSON results."""

import json
from collections.abc import Callable

import pytest

from grader.cli import main
from grader.tests.suites import REFERENCE, KataFiles, Suite


@pytest.fixture
def suite(make_suite: Callable[..., Suite]) -> Suite:
    """Two katas: the first solved by the learner, the second not started."""
    built = make_suite(KataFiles("adder"), KataFiles("summer", number=2))
    (built.root / "katas/01_basics/01_adder/adder.py").write_text(REFERENCE)
    return built


def test_progress_counts_katas_and_tests_and_names_the_next_kata(
    suite: Suite, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--root", str(suite.root)]) == 1  # not every kata is green yet
    out = capsys.readouterr().out
    assert "1/2 katas, 2/4 tests" in out
    assert "1/2 katas done, 2/4 tests passing" in out
    assert "Next: 01.02 summer: Adding numbers" in out


def test_progress_against_the_reference_is_all_green(
    suite: Suite, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--root", str(suite.root), "--target", "reference"]) == 0
    assert "Every kata is green" in capsys.readouterr().out


def test_json_results_follow_exercism_v3_with_scores(
    suite: Suite, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["--root", str(suite.root), "--json"])
    results = json.loads(capsys.readouterr().out)
    assert results["version"] == 3
    assert (results["score"], results["max_score"]) == (2, 4)
    adder, summer = results["katas"]
    assert (adder["slug"], adder["status"], adder["score"]) == ("adder", "pass", 2)
    assert summer["status"] == "fail"
    test = summer["tests"][0]
    assert test["name"] == "test_adds_two_numbers"
    assert test["status"] == "fail"
    assert test["task_id"] == 1
    assert "NotImplementedError" in test["message"]
    assert "def test_adds_two_numbers" in test["test_code"]
    assert test["duration"] >= 0


def test_run_shows_the_first_failing_test_with_its_task(
    suite: Suite, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--root", str(suite.root), "run", "summer"]) == 1
    out = capsys.readouterr().out
    assert "0/2 tests passing" in out
    assert "First failing test: test_adds_two_numbers" in out
    assert "task 1: Add two numbers" in out
    assert "katas/01_basics/02_summer/summer.py:7" in out  # where the stub raised
    assert "grader hint summer --task 1" in out


def test_run_on_a_green_kata_says_so(suite: Suite, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--root", str(suite.root), "run", "adder"]) == 0
    assert "Green" in capsys.readouterr().out


def test_hint_all_prints_every_hint_of_a_task_by_level(
    suite: Suite, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--root", str(suite.root), "hint", "adder", "--all"]) == 0
    out = capsys.readouterr().out
    assert out.index("hint 1: Use +.") < out.index("hint 2: return a + b")


def test_an_unknown_kata_or_task_is_an_error(
    suite: Suite, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--root", str(suite.root), "run", "nonesuch"]) == 2
    assert "no kata named 'nonesuch'" in capsys.readouterr().err
    assert main(["--root", str(suite.root), "hint", "adder", "--task", "5"]) == 2

"""The learner's commands: progress, `run`, `hint`, and the JSON results."""

import json
from collections.abc import Callable

import pytest

from grader.catalog import discover, next_on_path
from grader.cli import main
from grader.tests.suites import KATA_TOML, README, REFERENCE, STUB, TESTS, KataFiles, Suite


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
    assert "1/2 katas, 2/4 core tests" in out
    assert "1/2 katas done, 2/4 core tests passing" in out
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
    assert "0/2 core tests passing" in out
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


STRETCH_README = README.replace(
    "## Questions", "## Stretch tasks\n### 2. Subtract\nWrite `sub(a, b)`.\n\n## Questions"
)
STRETCH_STUB = (
    STUB
    + '''

def sub(a: int, b: int) -> int:
    """Returns a minus b."""
    # TODO(task 2): return the difference.
    raise NotImplementedError("sub is not written yet")
'''
)
STRETCH_REFERENCE = (
    REFERENCE
    + '''

def sub(a: int, b: int) -> int:
    """Returns a minus b."""
    return a - b
'''
)
STRETCH_TESTS = (
    TESTS.replace("from {slug} import add", "from {slug} import add, sub")
    + """

@pytest.mark.task(2)
@pytest.mark.stretch
def test_subtracts() -> None:
    assert sub(5, 3) == 2
"""
)
STRETCH_HINT = '\n[[hints]]\ntask = 2\nlevel = 1\ntext = "Use -."\n'


def stretchy(slug: str, number: int = 1) -> KataFiles:
    """A kata with one core task (add) and one stretch task (sub)."""
    return KataFiles(
        slug,
        number=number,
        readme=STRETCH_README,
        stub=STRETCH_STUB,
        reference=STRETCH_REFERENCE,
        tests=STRETCH_TESTS,
        kata_toml=KATA_TOML + STRETCH_HINT,
    )


def test_a_kata_is_done_when_its_core_passes_and_stretch_is_shown_apart(
    make_suite: Callable[..., Suite], capsys: pytest.CaptureFixture[str]
) -> None:
    suite = make_suite(stretchy("adder"))
    core_only = STRETCH_STUB.replace(
        '# TODO(task 1): return the sum.\n    raise NotImplementedError("add is not written yet")',
        "return a + b",
    )
    (suite.root / "katas/01_basics/01_adder/adder.py").write_text(core_only)
    assert main(["--root", str(suite.root)]) == 0  # done: the core is green
    out = capsys.readouterr().out
    assert "2/2" in out
    assert "+0/1 stretch" in out
    assert "1/1 katas done" in out
    main(["--root", str(suite.root), "--json"])
    (kata,) = json.loads(capsys.readouterr().out)["katas"]
    assert (kata["done"], kata["complete"]) == (True, False)
    assert (kata["core_score"], kata["core_max_score"]) == (2, 2)
    assert (kata["stretch_score"], kata["stretch_max_score"]) == (0, 1)
    assert [t["stretch"] for t in kata["tests"]] == [False, False, True]
    assert main(["--root", str(suite.root), "run", "adder"]) == 0
    out = capsys.readouterr().out
    assert "Done: the core is green" in out
    assert "test_subtracts" in out  # the next thing to try


def test_the_check_requires_stretch_tests_to_be_marked(make_suite: Callable[..., Suite]) -> None:
    from grader.check import check

    unmarked = stretchy("adder")
    unmarked.tests = STRETCH_TESTS.replace("@pytest.mark.stretch\n", "")
    suite = make_suite(unmarked)
    katas = discover(suite.root)
    (verdict,) = check(suite.root, katas, katas).verdicts
    assert any("lacks @pytest.mark.stretch" in p for p in verdict.problems), verdict.problems


def test_the_path_starts_gentle_and_follows_prerequisites(
    make_suite: Callable[..., Suite],
) -> None:
    def rated(slug: str, number: int, difficulty: int, requires: str = "") -> KataFiles:
        toml = KATA_TOML.replace("difficulty = 1", f"difficulty = {difficulty}")
        toml = toml.replace("requires = []", f"requires = [{requires}]")
        return KataFiles(slug, number=number, kata_toml=toml)

    suite = make_suite(
        rated("raw_asgi", 1, 3),
        rated("first_app", 2, 1),
        rated("routes", 3, 2, '"first_app"'),
        rated("deps", 4, 1, '"routes"'),
    )
    katas = discover(suite.root)
    path = []
    done: set[str] = set()
    while (kata := next_on_path(katas, done)) is not None:
        path.append(kata.slug)
        done.add(kata.slug)
    # The easiest ready kata first; `deps` (easy) waits for `routes`, which it requires.
    assert path == ["first_app", "routes", "deps", "raw_asgi"]

"""`grader check` catches each kind of violation, and passes a kata that has none.

One suite holds a good kata and one kata per violation, so a single check run (a few pytest
processes) proves them all; each test then reads the verdict of its own kata.
"""

from pathlib import Path

import pytest

from grader.catalog import discover
from grader.check import CheckReport, check, render
from grader.rules import static_problems
from grader.tests.suites import KATA_TOML, README, REFERENCE, STUB, TESTS, KataFiles, build_suite

EXTRA_TEST = """

@pytest.mark.task({task})
def test_{name}() -> None:
    {body}
"""


def with_test(name: str, body: str, task: int | str = 1) -> str:
    """The good tests plus one more."""
    return TESTS + EXTRA_TEST.format(name=name, body=body, task=task)


TWO_TASKS_README = README.replace(
    "## Questions", "### 2. Subtract two numbers\nWrite `sub(a, b)`.\n\n## Questions"
)

BROKEN_KATAS: dict[str, tuple[KataFiles, str]] = {
    # slug: (the kata, a fragment of the problem the check must report)
    "passes_on_stub": (
        KataFiles("passes_on_stub", tests=with_test("asserts_nothing", "assert True")),
        "passes on the stub: test_asserts_nothing",
    ),
    "missed_mistake": (
        KataFiles(
            "missed_mistake",
            mistakes={
                "subtracts.diff": ("return a + b", "return a - b"),
                "swapped.diff": ("return a + b", "return b + a"),
            },
        ),
        "mistake swapped.diff passes every test",
    ),
    "untested_task": (
        KataFiles(
            "untested_task",
            readme=TWO_TASKS_README,
            kata_toml=KATA_TOML + '\n[[hints]]\ntask = 2\nlevel = 1\ntext = "Use -."\n',
        ),
        "task 2 has no test",
    ),
    "fails_on_reference": (
        KataFiles("fails_on_reference", tests=with_test("wrong_sum", "assert add(2, 2) == 5")),
        "fails on the reference: test_wrong_sum",
    ),
    "uncovered": (
        KataFiles(
            "uncovered",
            reference=REFERENCE.replace(
                "    return a + b", "    if a > 10**9:\n        return b + a\n    return a + b"
            ),
        ),
        "coverage: reference/{rel}/uncovered.py lines not run",
    ),
    "api_mismatch": (
        KataFiles(
            "api_mismatch",
            reference=REFERENCE
            + '\n\ndef sub(a: int, b: int) -> int:\n    """a - b."""\n    return a - b\n',
        ),
        "`sub` is public in the reference but missing from the stub",
    ),
    "hint_without_task": (
        KataFiles(
            "hint_without_task",
            kata_toml=KATA_TOML + '\n[[hints]]\ntask = 9\nlevel = 1\ntext = "?"\n',
        ),
        "a hint for task 9, which the README does not have",
    ),
    "stale_mistake": (
        KataFiles(
            "stale_mistake",
            mistakes={
                "subtracts.diff": ("return a + b", "return a - b"),
                "stale.diff": ("return a + b", "return a * b"),
            },
        ),
        "mistake stale.diff does not apply",
    ),
    "untagged_test": (
        KataFiles(
            "untagged_test",
            tests=TESTS + "\n\ndef test_untagged() -> None:\n    assert add(1, 1) == 2\n",
        ),
        "test_untagged has no @pytest.mark.task(n)",
    ),
    "stub_breaks_collection": (
        KataFiles("stub_breaks_collection", stub=STUB.replace("def add(", "def plus(")),
        "the stub breaks collection",
    ),
    "unlinted": (
        KataFiles("unlinted", reference="import os\n" + REFERENCE),
        "ruff: reference/{rel}/unlinted.py:1 F401",
    ),
    "unformatted": (
        KataFiles(
            "unformatted",
            reference=REFERENCE.replace('"""Returns the sum', "'''Returns the sum").replace(
                'of a and b."""', "of a and b.'''"
            ),
        ),
        "ruff format: reference/{rel}/unformatted.py:5 is not formatted",
    ),
    "unformatted_readme": (
        KataFiles(
            "unformatted_readme",
            readme=README.replace("Why it matters.", "Why it matters.\n\n```python\nx=[1,2]\n```"),
        ),
        "ruff format: katas/{rel}/README.md:",
    ),
    "one_mistake": (
        KataFiles("one_mistake", mistakes={"subtracts.diff": ("return a + b", "return a - b")}),
        "1 mistakes in reference/{rel}/mistakes/ (at least 2)",
    ),
    "no_questions": (
        KataFiles("no_questions", readme=README.replace("## Questions", "## Musings")),
        "README lacks '## Questions'",
    ),
    "marker_without_task": (
        KataFiles("marker_without_task", tests=with_test("task_seven", "assert add(0, 0) == 0", 7)),
        "test_task_seven is marked task 7, which the README does not have",
    ),
    "random_test_ids": (
        KataFiles(
            "random_test_ids",
            tests=TESTS.replace("import pytest\n", "import uuid\n\nimport pytest\n")
            + "\n\n@pytest.mark.task(1)\n"
            + '@pytest.mark.parametrize("x", [str(uuid.uuid4())])\n'
            + "def test_random(x: str) -> None:\n    assert add(len(x), 0) == 36\n",
        ),
        "test ids differ between two collections",
    ),
    "questions_first": (
        KataFiles(
            "questions_first",
            readme=README.replace("## Tasks", "## Questions\n- Why first?\n\n## Tasks", 1),
        ),
        "README puts '## Questions' before '## Tasks'",
    ),
    "unrated": (
        KataFiles("unrated", kata_toml=KATA_TOML.replace("difficulty = 1\n", "")),
        "kata.toml: difficulty must be 1 to 5",
    ),
    "unknown_prerequisite": (
        KataFiles(
            "unknown_prerequisite",
            kata_toml=KATA_TOML.replace("requires = []", 'requires = ["nowhere"]'),
        ),
        "kata.toml requires 'nowhere', which is no kata",
    ),
    "hints_on_the_learners_path": (
        KataFiles("hints_on_the_learners_path"),
        "katas/{rel}/kata.toml puts the hints on the learner's path",
    ),
}

for _number, (_kata, _) in enumerate(BROKEN_KATAS.values(), start=2):
    _kata.number = _number  # folders 02_..., after the good kata's 01_adder_ok


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> CheckReport:
    """One check over a good kata and every broken one."""
    katas = [KataFiles("adder_ok", number=1)]
    katas += [kata for kata, _ in BROKEN_KATAS.values()]
    suite = build_suite(tmp_path_factory.mktemp("check") / "suite", *katas)
    # The stale mistake was written against another version of the reference.
    stale = suite.root / "reference" / BROKEN_KATAS["stale_mistake"][0].rel / "mistakes/stale.diff"
    stale.write_text(stale.read_text().replace(" def add(a: int", " def add(x: int"))
    leaked = BROKEN_KATAS["hints_on_the_learners_path"][0].rel
    (suite.root / "katas" / leaked / "kata.toml").write_text(KATA_TOML, encoding="utf-8")
    all_katas = discover(suite.root)
    return check(suite.root, all_katas, all_katas)


def problems_of(report: CheckReport, slug: str) -> list[str]:
    """The problems the check found in one kata."""
    (verdict,) = [v for v in report.verdicts if v.kata.slug == slug]
    return list(verdict.problems)


def test_a_kata_without_violations_passes(report: CheckReport) -> None:
    assert problems_of(report, "adder_ok") == []


@pytest.mark.parametrize("slug", list(BROKEN_KATAS))
def test_each_violation_is_reported_for_its_kata(report: CheckReport, slug: str) -> None:
    kata, expected = BROKEN_KATAS[slug]
    expected = expected.format(rel=kata.rel)
    problems = problems_of(report, slug)
    assert any(expected in problem for problem in problems), problems


def test_the_summary_counts_katas(report: CheckReport) -> None:
    text = render(report)
    assert text.splitlines()[-1] == f"1 passed, {len(BROKEN_KATAS)} failed"
    assert "FAIL 01.02 passes_on_stub" in text


def test_a_slug_that_shadows_a_library_is_refused(tmp_path: Path) -> None:
    suite = build_suite(tmp_path / "suite", KataFiles("json"), KataFiles("adder", number=2))
    katas = discover(suite.root)
    problems = static_problems(katas[0], katas)
    assert any("shadows an importable library" in p for p in problems), problems
    assert static_problems(katas[1], katas) == []


def test_a_slug_used_twice_is_refused(tmp_path: Path) -> None:
    suite = build_suite(
        tmp_path / "suite", KataFiles("adder"), KataFiles("adder", section="02_more")
    )
    katas = discover(suite.root)
    problems = static_problems(katas[0], katas)
    assert any("is also used by katas/02_more/01_adder" in p for p in problems), problems


def test_missing_files_are_listed(tmp_path: Path) -> None:
    suite = build_suite(tmp_path / "suite", KataFiles("adder"))
    (suite.root / "katas/01_basics/01_adder/test_adder.py").unlink()
    (suite.root / "katas/01_basics/README.md").unlink()
    (suite.root / "reference/01_basics/01_adder/adder.py").unlink()
    katas = discover(suite.root)
    problems = static_problems(katas[0], katas)
    for missing in (
        "missing katas/01_basics/01_adder/test_adder.py",
        "missing the section README katas/01_basics/README.md",
        "missing the reference reference/01_basics/01_adder/adder.py",
    ):
        assert missing in problems, problems


def test_a_mistake_round_stops_each_kata_at_its_first_failure(tmp_path: Path) -> None:
    from grader.runner import run_tests

    suite = build_suite(tmp_path / "suite", KataFiles("adder"), KataFiles("other", number=2))
    paths = [kata.path for kata in discover(suite.root)]
    # On the stubs every test fails; with the flag, only the first of each kata runs.
    run = run_tests(suite.root, paths, "katas", extra_args=["--grader-first-failure"])
    statuses = {slug: [t.status for t in run.for_kata(slug)[0]] for slug in ("adder", "other")}
    assert statuses == {"adder": ["fail", "skip"], "other": ["fail", "skip"]}

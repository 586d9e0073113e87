"""`grader review`: a mentor's report on one learner, or on a class, in Markdown and in HTML."""

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from grader.cli import main
from grader.review import KataReview, LearnerReview, review
from grader.review_render import class_html, learner_html, learner_markdown
from grader.tests.suites import REFERENCE, KataFiles, Suite

STUB = "01_basics/01_adder/adder.py"
SECOND_STUB = "01_basics/02_doubler/doubler.py"


@pytest.fixture
def suite(make_suite: Callable[..., Suite]) -> Suite:
    """Two katas with known mistakes (subtracting, multiplying)."""
    return make_suite(KataFiles("adder"), KataFiles("doubler", number=2))


def checkout(suite: Suite, folder: Path, adder: str | None = None) -> Path:
    """A learner's checkout: the suite's katas/, with the adder kata solved as given."""
    shutil.copytree(suite.root / "katas", folder / "katas")
    if adder is not None:
        (folder / "katas" / STUB).write_text(adder)
    return folder


def kata_review(report: LearnerReview, slug: str) -> KataReview:
    """One kata of a report."""
    (found,) = [k for k in report.katas if k.kata.slug == slug]
    return found


def test_a_solved_kata_passes_every_task_and_an_untouched_one_is_not_started(
    suite: Suite, tmp_path: Path
) -> None:
    (report,) = review(suite.root, checkout(suite, tmp_path / "ada", REFERENCE))
    adder = kata_review(report, "adder")
    assert adder.status == "pass"
    assert [(t.number, t.passed, t.total) for t in adder.tasks] == [(1, 2, 2)]
    assert kata_review(report, "doubler").status == "not started"
    assert report.done == 1


def test_a_failing_solution_is_matched_to_the_known_mistake_with_its_explanation(
    suite: Suite, tmp_path: Path
) -> None:
    wrong = REFERENCE.replace("return a + b", "return a - b")
    (report,) = review(suite.root, checkout(suite, tmp_path / "bob", wrong))
    adder = kata_review(report, "adder")
    assert adder.status == "fail"
    assert adder.mistake is not None
    assert adder.mistake.name == "subtracts.diff"
    assert adder.mistake.similarity == 1.0
    assert "return a - b instead of return a + b" in adder.mistake.explanation
    assert "-    return a - b" in adder.diff
    assert "+    return a + b" in adder.diff


def test_the_suites_own_tests_are_used_and_edited_copies_are_flagged(
    suite: Suite, tmp_path: Path
) -> None:
    learner = checkout(suite, tmp_path / "eve", REFERENCE.replace("a + b", "0"))
    tests = learner / "katas/01_basics/01_adder/test_adder.py"
    tests.write_text(tests.read_text().replace("assert add", "assert True or add"))
    (report,) = review(suite.root, learner)
    adder = kata_review(report, "adder")
    assert adder.status == "fail"  # the learner's edited tests would have passed
    assert adder.edited_tests == ("01_basics/01_adder/test_adder.py",)


def test_static_feedback_is_included(suite: Suite, tmp_path: Path) -> None:
    legacy = REFERENCE + (
        '\n\nasync def slow() -> None:\n    """Sleeps."""\n    import time\n\n    time.sleep(1)\n'
    )
    (report,) = review(suite.root, checkout(suite, tmp_path / "kim", legacy))
    kinds = {c.kind for c in kata_review(report, "adder").comments}
    assert "essential" in kinds


def test_markdown_and_html_reports_escape_the_learners_code(suite: Suite, tmp_path: Path) -> None:
    hostile = REFERENCE.replace("return a + b", "return a - b  # <script>alert(1)</script>")
    (report,) = review(suite.root, checkout(suite, tmp_path / "mal", hostile))
    markdown = learner_markdown(report)
    assert "# Review: mal" in markdown
    assert "| 1. Add two numbers | 0/2 |" in markdown
    page = learner_html(report)
    assert "<script>" not in page
    assert "&lt;script&gt;" in page


def test_a_class_is_reviewed_with_a_summary_and_a_report_per_learner(
    suite: Suite, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cohort = tmp_path / "cohort"
    checkout(suite, cohort / "ada", REFERENCE)
    checkout(suite, cohort / "bob", REFERENCE.replace("a + b", "a * b"))
    out = tmp_path / "reports"
    assert main(["--root", str(suite.root), "review", str(cohort), "--out", str(out)]) == 0
    summary = capsys.readouterr().out
    assert "| ada | 1/2 | pass 2/2 | · |" in summary
    assert "| bob | 0/2 | fail 0/2 | · |" in summary
    for name in ("summary.md", "summary.html", "ada.md", "ada.html", "bob.md", "bob.html"):
        assert (out / name).is_file(), name


def chromium() -> str | None:
    """The headless browser the HTML check uses, when installed."""
    return shutil.which("chromium") or shutil.which("chromium-browser")


def test_the_html_report_renders_in_a_real_headless_browser(suite: Suite, tmp_path: Path) -> None:
    browser = chromium()
    if browser is None:
        pytest.skip("needs chromium (Debian package `chromium`; .ci/run installs it)")
    cohort = tmp_path / "cohort"
    checkout(suite, cohort / "ada", REFERENCE)
    checkout(suite, cohort / "bob", REFERENCE.replace("a + b", "a - b"))
    reports = review(suite.root, cohort)
    pages = {"bob.html": learner_html(reports[1]), "summary.html": class_html(reports)}
    for name, html in pages.items():
        (tmp_path / name).write_text(html, encoding="utf-8")
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]
    flags += ["--disable-background-networking", "--disable-component-update", "--disable-sync"]
    flags += [f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom"]
    for name, must_show in {
        "bob.html": ['id="summary"', 'class="fail"', "subtracts.diff"],
        "summary.html": ['<a href="bob.html">bob</a>', "<table>"],
    }.items():
        dom = subprocess.run(
            [browser, *flags, (tmp_path / name).as_uri()],
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        ).stdout
        for fragment in must_show:
            assert fragment in dom, (name, fragment)

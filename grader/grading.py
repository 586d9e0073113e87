"""Turns a pytest run into per-kata results: status, score, the first failing test."""

import sys
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from grader import manifest
from grader.catalog import Kata
from grader.runner import CollectError, Event, Limits, RunResult, TestResult, relocate, run_tests
from grader.sandbox import sandbox


@dataclass(frozen=True)
class KataResult:
    """How one kata did in a run."""

    kata: Kata
    tests: tuple[TestResult, ...]
    collect_errors: tuple[CollectError, ...]
    edited: tuple[str, ...] = ()  # test files that differ from the suite's manifest

    @property
    def passed(self) -> int:
        """Tests that passed."""
        return sum(t.status == "pass" for t in self.tests)

    @property
    def total(self) -> int:
        """Tests that count: skipped ones (a server not configured) do not."""
        return sum(t.status != "skip" for t in self.tests)

    @property
    def core_tests(self) -> tuple[TestResult, ...]:
        """The tests of the core tasks: what "done" needs."""
        return tuple(t for t in self.tests if not is_stretch(t))

    @property
    def stretch_tests(self) -> tuple[TestResult, ...]:
        """The tests of the stretch tasks (marked `stretch`): beyond done."""
        return tuple(t for t in self.tests if is_stretch(t))

    @property
    def core_passed(self) -> int:
        """Core tests that passed."""
        return sum(t.status == "pass" for t in self.core_tests)

    @property
    def core_total(self) -> int:
        """Core tests that count (not skipped for want of a server)."""
        return sum(t.status != "skip" for t in self.core_tests)

    @property
    def stretch_passed(self) -> int:
        """Stretch tests that passed."""
        return sum(t.status == "pass" for t in self.stretch_tests)

    @property
    def stretch_total(self) -> int:
        """Stretch tests that count."""
        return sum(t.status != "skip" for t in self.stretch_tests)

    @property
    def status(self) -> str:
        """pass (every counted core test passed), fail, or error (the tests could not run)."""
        if self.collect_errors or not self.tests:
            return "error"
        if self.core_total == 0:  # everything skipped: nothing was shown to work
            return "fail"
        return "pass" if self.core_passed == self.core_total else "fail"

    @property
    def done(self) -> bool:
        """The kata's core is green, on the suite's own tests."""
        return self.status == "pass" and not self.edited

    @property
    def complete(self) -> bool:
        """Done, and every stretch task green too."""
        return self.done and self.stretch_passed == self.stretch_total

    @property
    def timed_out(self) -> bool:
        """A test of this kata hit its time limit."""
        return any(t.timed_out for t in self.tests)

    @property
    def first_failure(self) -> TestResult | None:
        """The first test that did not pass: core tests first, then stretch, in file order."""
        failing = [t for t in self.tests if t.status in ("fail", "error")]
        return next((t for t in failing if not is_stretch(t)), failing[0] if failing else None)

    @property
    def message(self) -> str:
        """One line on what stands in the way, or an empty string when done."""
        if self.edited:
            return (
                f"the tests were edited ({', '.join(self.edited)}): this kata cannot count as done"
            )
        if self.collect_errors:
            return f"the tests cannot be collected: {self.collect_errors[0].message}"
        if not self.tests:
            return "no test ran"
        failure = self.first_failure
        return f"{failure.name}: {failure.message}" if failure else ""


def is_stretch(test: TestResult) -> bool:
    """A test of a stretch task: its marker (the pristine tests carry it) says so."""
    return "stretch" in test.markers


def kata_results(katas: list[Kata], run: RunResult) -> list[KataResult]:
    """One KataResult per kata, in curriculum order."""
    results = []
    for kata in katas:
        tests, errors = run.for_kata(kata.slug)
        results.append(KataResult(kata, tuple(tests), tuple(errors)))
    return results


def mark_edited(results: list[KataResult], root: Path) -> list[KataResult]:
    """Flags the katas whose tests in `root/katas` differ from the suite's manifest."""
    shipped = manifest.load(root)
    return [
        replace(r, edited=tuple(manifest.edited_tests(r.kata, root / "katas", shipped)))
        for r in results
    ]


def grade(
    root: Path,
    katas: list[Kata],
    target: str = "katas",
    on_event: Callable[[Event], None] | None = None,
    limits: Limits | None = None,
) -> tuple[list[KataResult], RunResult]:
    """Runs the katas' tests against `target` in a sandbox copy and grades each kata.

    One pytest process runs every kata (resumed past any kata that kills it); the copy keeps the
    learner's files safe from what their code does, and paths in the results point at the real
    files again.
    """
    with sandbox(root, target) as box:
        paths = [box.root / "katas" / k.rel for k in katas]
        # Hypothesis keeps its example database and its Unicode tables (seconds to rebuild) in
        # its storage folder: a fresh one in every sandbox would cost each run those seconds.
        env = {"HYPOTHESIS_STORAGE_DIRECTORY": str(root / ".grader" / "hypothesis")}
        run = run_tests(box.root, paths, box.target, on_event=on_event, limits=limits, env=env)
        run = relocate(run, box.moves)
    if not run.finished and not run.tests and not run.collect_errors:
        # pytest itself refused to start (a bad --target, a broken conftest): say why, loudly.
        sys.stderr.write(run.log)
    return mark_edited(kata_results(katas, run), root), run


def grade_for(
    root: Path,
    katas: list[Kata],
    target: str = "katas",
    on_event: Callable[[Event], None] | None = None,
) -> list[KataResult]:
    """Grades the katas; the learner's own tree goes through the ledger, so unchanged katas
    are not run again."""
    if target in ("", "katas"):
        from grader.ledger import grade_cached  # the ledger builds on this module

        return grade_cached(root, katas, on_event=on_event)
    return grade(root, katas, target, on_event=on_event)[0]

"""`grader`: runs every kata against the learner's tree and shows progress and what comes next."""

import json
import sys
from dataclasses import dataclass
from pathlib import Path

from grader.catalog import Kata, discover, next_on_path, read_title, select
from grader.display import ProgressBar, bar, paint
from grader.grading import KataResult, grade_for
from grader.results import junit_xml, results_json


@dataclass(frozen=True)
class SectionProgress:
    """Katas and tests done in one section."""

    section: str
    title: str
    results: tuple[KataResult, ...]

    @property
    def katas_done(self) -> int:
        """Green katas."""
        return sum(r.done for r in self.results)

    @property
    def tests_passed(self) -> int:
        """Passing core tests."""
        return sum(r.core_passed for r in self.results)

    @property
    def tests_total(self) -> int:
        """Core tests that count."""
        return sum(r.core_total for r in self.results)


@dataclass(frozen=True)
class Progress:
    """The learner's progress over the katas graded."""

    sections: tuple[SectionProgress, ...]
    target: str

    @property
    def results(self) -> list[KataResult]:
        """Every kata's result, in curriculum order."""
        return [r for s in self.sections for r in s.results]

    @property
    def next_kata(self) -> KataResult | None:
        """The next kata on the path: prerequisites done, the easiest first (catalog)."""
        results = self.results
        done = {r.kata.slug for r in results if r.done}
        kata = next_on_path([r.kata for r in results], done)
        return next((r for r in results if r.kata is kata), None)


def section_title(root: Path, section: str) -> str:
    """The section README's H1, or the folder name made readable."""
    readme = root / "katas" / section / "README.md"
    title = read_title(readme) if readme.is_file() else ""
    return title or section[3:].replace("_", " ").capitalize()


def measure(
    root: Path, katas: list[Kata], target: str = "katas", show_bar: bool = True
) -> Progress:
    """Grades the katas and groups the results by section."""
    progress_bar = ProgressBar("grading") if show_bar else None
    try:
        results = grade_for(root, katas, target, on_event=progress_bar)
    finally:
        if progress_bar:
            progress_bar.close()
    sections: dict[str, list[KataResult]] = {}
    for result in results:
        sections.setdefault(result.kata.section, []).append(result)
    return Progress(
        tuple(SectionProgress(s, section_title(root, s), tuple(r)) for s, r in sections.items()),
        target,
    )


def mark(result: KataResult) -> str:
    """✔ done, ! tests edited, ✘ started (some tests pass), · not started or broken."""
    if result.done:
        return paint("✔", "green")
    if result.edited:
        return paint("!", "yellow")
    return paint("✘", "red") if result.passed else paint("·", "dim")


def level(kata: Kata) -> str:
    """Difficulty as five dots and the core's minutes: `●●○○○  45 min`."""
    if not kata.difficulty:
        return " " * 15
    return f"{'●' * kata.difficulty}{'○' * (5 - kata.difficulty)} {kata.minutes:>4} min"


def stretch_note(result: KataResult) -> str:
    """`  +3/10 stretch` when the kata has stretch tasks."""
    if not result.stretch_tests:
        return ""
    text = f"  +{result.stretch_passed}/{result.stretch_total} stretch"
    return paint(text, "green" if result.complete else "dim")


def render(progress: Progress) -> str:
    """The progress report as text."""
    lines = [f"fastapi-katas: your progress (solutions from {progress.target})", ""]
    for section in progress.sections:
        lines.append(
            f"{section.title}: {section.katas_done}/{len(section.results)} katas, "
            f"{section.tests_passed}/{section.tests_total} core tests"
        )
        for result in section.results:
            score = f"{result.core_passed}/{result.core_total}" if result.tests else "error"
            note = "  tests edited: not counted" if result.edited else ""
            lines.append(
                f"  {mark(result)} {result.kata.id:<34} {level(result.kata)} {score:>7}"
                f"{stretch_note(result)}{note}"
            )
        lines.append("")
    results = progress.results
    done = sum(r.done for r in results)
    passed, total = sum(r.core_passed for r in results), sum(r.core_total for r in results)
    extra = sum(r.stretch_passed for r in results), sum(r.stretch_total for r in results)
    lines.append(
        f"Overall {bar(done, len(results))} {done}/{len(results)} katas done, "
        f"{passed}/{total} core tests passing"
        + (f", {extra[0]}/{extra[1]} stretch" if extra[1] else "")
    )
    nxt = progress.next_kata
    if nxt is None:
        lines.append(paint("Every kata is green. Well done!", "green"))
    else:
        minutes = f" (about {nxt.kata.minutes} min)" if nxt.kata.minutes else ""
        lines.append(f"Next: {nxt.kata.id}: {nxt.kata.title}{minutes}")
        lines.append(f"      read katas/{nxt.kata.rel}/README.md, then: grader run {nxt.kata.slug}")
        if nxt.message:
            lines.append(f"      {paint(first_line(nxt.message), 'yellow')}")
    return "\n".join(lines)


def first_line(text: str, width: int = 160) -> str:
    """The first line of `text`, cut to `width`."""
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line if len(line) <= width else line[: width - 1] + "…"


def main(
    root: Path, names: list[str], target: str, as_json: bool, junit: Path | None = None
) -> int:
    """Prints progress (or results.json with --json); 0 when every kata graded is green."""
    katas = select(discover(root), names)
    progress = measure(root, katas, target, show_bar=not as_json)
    if junit is not None:
        junit.write_text(junit_xml(progress.results), encoding="utf-8")
    if as_json:
        print(json.dumps(results_json(progress.results), indent=2))
    else:
        print(render(progress))
    return 0 if all(r.done for r in progress.results) else 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main(Path.cwd(), sys.argv[1:], "katas", False))

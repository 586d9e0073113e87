"""`grader run SLUG`: runs one kata and shows its first failing test, with its task."""

from pathlib import Path

from grader.catalog import Kata, discover, select
from grader.display import paint
from grader.grading import KataResult, grade_for


def render(result: KataResult) -> str:
    """One kata's result: score, and the first failing test with its task and where it failed."""
    kata = result.kata
    score = f"{result.core_passed}/{result.core_total} core tests passing"
    if result.stretch_tests:
        score += f", {result.stretch_passed}/{result.stretch_total} stretch"
    lines = [f"{kata.id}: {kata.title}", score]
    if result.collect_errors:
        error = result.collect_errors[0]
        lines += [
            "",
            paint("The tests cannot be collected:", "red"),
            error.details or error.message,
        ]
    elif result.complete:
        lines += [
            "",
            paint("Green: every test passes. On to the next kata (run `grader`).", "green"),
        ]
    elif result.done:
        lines += [
            "",
            paint("Done: the core is green. On to the next kata (run `grader`),", "green"),
            "or take on the stretch tasks of the README first:",
        ]
    if not result.collect_errors and not result.complete and (failure := result.first_failure):
        task = (
            f"task {failure.task}: {kata.tasks.get(failure.task, '?')}"
            if failure.task
            else "no task"
        )
        lines += [
            "",
            f"First failing test: {paint(failure.name, 'bold')}",
            f"  {task}",
            f"  {paint(failure.message.strip(), 'red')}",
        ]
        if failure.location:
            lines.append(f"  at {failure.location}")
        lines.append(
            f"Stuck? grader hint {kata.slug} --task {failure.task}" if failure.task else ""
        )
    return "\n".join(lines).rstrip()


def run_one(root: Path, kata: Kata, target: str = "katas") -> KataResult:
    """Grades one kata."""
    return grade_for(root, [kata], target)[0]


def main(root: Path, slug: str, target: str) -> int:
    """Prints the kata's result; 0 when it is green."""
    (kata,) = select(discover(root), [slug])[:1]
    result = run_one(root, kata, target)
    print(render(result))
    return 0 if result.done else 1

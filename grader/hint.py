"""`grader hint SLUG [--task N] [--all]`: a kata's hints, one level more each time you ask.

Without `--task`, the hints are for the first task whose tests fail. Each call reveals the next
level of that task's hints (and repeats the ones already seen); `--all` shows every level. What
was revealed is recorded in the ledger, for the learner's own record and for a mentor.
"""

from pathlib import Path

from grader import ledger
from grader.catalog import Hint, Kata, discover, select
from grader.grading import grade_for


def levels_of(kata: Kata, task: int) -> list[Hint]:
    """The task's hints, by level."""
    return sorted((h for h in kata.hints if h.task == task), key=lambda h: h.level)


def hints_text(kata: Kata, task: int, upto: int) -> str:
    """The task's hints up to level `upto`, and how many more there are."""
    hints = levels_of(kata, task)
    shown = [h for h in hints if h.level <= upto]
    lines = [f"Task {task}: {kata.tasks.get(task, '?')}"]
    lines += [f"  hint {h.level}: {h.text}" for h in shown] or ["  (no hint for this task)"]
    hidden = len(hints) - len(shown)
    if hidden:
        lines.append(f"  ({hidden} more; run the same command again for the next one)")
    return "\n".join(lines)


def first_failing_task(root: Path, kata: Kata) -> int | None:
    """The task of the first test that does not pass, or None when the kata is green."""
    result = grade_for(root, [kata])[0]
    failure = result.first_failure
    if failure is not None:
        return failure.task
    return None if result.done else min(kata.tasks, default=None)


def main(root: Path, slug: str, task: int | None, show_all: bool = False) -> int:
    """Prints the next level of hints; 2 when the task does not exist."""
    kata = select(discover(root), [slug])[0]
    if task is not None and task not in kata.tasks:
        print(f"{kata.slug} has no task {task} (its tasks: {', '.join(map(str, kata.tasks))})")
        return 2
    if task is None and not show_all:
        task = first_failing_task(root, kata)
        if task is None:
            print(f"{kata.slug} is green: no hint needed. Every hint: grader hint {slug} --all")
            return 0
    tasks = sorted(kata.tasks) if show_all or task is None else [task]
    book = ledger.load(root)
    entry = book.setdefault(kata.slug, ledger.KataEntry())
    texts = []
    for number in tasks:
        deepest = max((h.level for h in levels_of(kata, number)), default=0)
        seen = entry.hints.get(str(number), 0)
        upto = deepest if show_all else min(seen + 1, deepest)
        entry.hints[str(number)] = max(seen, upto)
        texts.append(hints_text(kata, number, upto))
    ledger.save(root, book)
    print("\n".join(texts))
    return 0

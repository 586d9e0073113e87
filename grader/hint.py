"""`grader hint SLUG [--task N]`: prints a kata's hints from its kata.toml."""

from pathlib import Path

from grader.catalog import Kata, discover, select


def hints_text(kata: Kata, task: int | None = None) -> str:
    """The hints of one task, or of every task, grouped by task and ordered by level."""
    tasks = [task] if task is not None else sorted({h.task for h in kata.hints})
    if task is not None and task not in kata.tasks:
        return f"{kata.slug} has no task {task} (its tasks: {', '.join(map(str, kata.tasks))})"
    lines = []
    for number in tasks:
        hints = sorted((h for h in kata.hints if h.task == number), key=lambda h: h.level)
        lines.append(f"Task {number}: {kata.tasks.get(number, '?')}")
        lines += [f"  hint {h.level}: {h.text}" for h in hints] or ["  (no hint for this task)"]
    return "\n".join(lines)


def main(root: Path, slug: str, task: int | None) -> int:
    """Prints the hints; 2 when the task does not exist."""
    kata = select(discover(root), [slug])[0]
    print(hints_text(kata, task))
    return 2 if task is not None and task not in kata.tasks else 0

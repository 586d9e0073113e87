"""`grader solution SLUG`: the reference, once the kata is green, as a diff against yours.

Shown only after the kata passes (comparing before solving teaches nothing), with the reference's
"why" comments gathered at the end: they are where the reference explains its choices.
"""

import difflib
from pathlib import Path

from grader.catalog import Kata, discover, select
from grader.grading import grade_for
from grader.signatures import module_files


def comments(source: str) -> list[str]:
    """`line: text` for each comment line of a source file."""
    return [
        f"{number}: {line.strip()[1:].strip()}"
        for number, line in enumerate(source.splitlines(), start=1)
        if line.strip().startswith("#") and len(line.strip()) > 1
    ]


def solution_text(kata: Kata, learner_tree: Path | None = None, why: bool = True) -> str:
    """The diff from the learner's module (in `learner_tree`, katas/ by default) to the
    reference, then the reference's comments."""
    tree = learner_tree or kata.root / "katas"
    yours = module_files(tree / kata.rel, kata.slug)
    reference = module_files(kata.reference_path, kata.slug)
    parts = []
    for name in sorted(yours.keys() | reference.keys()):
        mine = yours[name].read_text(encoding="utf-8").splitlines() if name in yours else []
        theirs = (
            reference[name].read_text(encoding="utf-8").splitlines() if name in reference else []
        )
        diff = difflib.unified_diff(
            mine, theirs, f"yours/{kata.rel}/{name}", f"reference/{kata.rel}/{name}", lineterm=""
        )
        parts.append("\n".join(diff) or f"{name}: the same as the reference")
        notes = comments("\n".join(theirs)) if why else []
        if notes:
            parts.append(f"Why, in the comments of reference/{kata.rel}/{name}:")
            parts += [f"  {note}" for note in notes]
    return "\n".join(parts)


def main(root: Path, slug: str) -> int:
    """Prints the comparison; 1 (and no reference) while the kata is not green."""
    kata = select(discover(root), [slug])[0]
    result = grade_for(root, [kata])[0]
    if not result.done:
        print(
            f"{kata.slug} is not green yet ({result.passed}/{result.total} tests): solve it first."
        )
        return 1
    print(solution_text(kata))
    return 0

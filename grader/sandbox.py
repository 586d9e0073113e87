"""A throw-away copy of the suite for grading learner code: no run can touch the real tree.

Learner code runs with the learner's rights: a module that deletes or rewrites files next to it
(its `__file__`, the tests beside it) must only damage a copy. The copy holds what a run needs:
the pytest configuration, the root conftest, `katas/` (tests and, for the default target, the
learner's modules) and the tree under test when it is another one (`reference/`, a learner's copy).
"""

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from grader.targets import resolve_target

IGNORED = shutil.ignore_patterns("__pycache__", ".hypothesis", ".pytest_cache", "*.pyc", ".git")


@dataclass(frozen=True)
class Sandbox:
    """Where the copy is, and how to map its paths back to the real ones."""

    root: Path  # the copy of the suite's root
    target: str  # the --target value for the copy
    moves: dict[str, str]  # copied path prefix -> the real one, for messages and locations


@contextmanager
def sandbox(root: Path, target: str) -> Iterator[Sandbox]:
    """Copies the suite (and the target tree) to a temporary folder, removed afterwards."""
    real_target = resolve_target(target, root)
    with tempfile.TemporaryDirectory(prefix="grader-sandbox-") as scratch:
        copy = Path(scratch, "suite")
        copy.mkdir()
        for name in ("pyproject.toml", "conftest.py"):
            shutil.copy2(root / name, copy / name)
        shutil.copytree(root / "katas", copy / "katas", ignore=IGNORED)
        moves = {str(copy / "katas"): str(root / "katas")}
        if real_target == root / "katas":
            copied_target = copy / "katas"
        else:
            copied_target = Path(scratch, "target")
            shutil.copytree(real_target, copied_target, ignore=IGNORED)
            moves[str(copied_target)] = str(real_target)
        moves[str(copy)] = str(root)
        yield Sandbox(copy, str(copied_target), moves)

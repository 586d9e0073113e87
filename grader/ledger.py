"""The learner's ledger, `.grader/ledger.json` (git-ignored): results, attempts, hints, first green.

Results are keyed by a hash of everything that decides them: the learner's module, the kata's
tests and conftest, the suite's configuration and the grader's version. A later edit, or a suite
upgrade, changes the key, so a stored result is never shown for code it was not computed on;
an unchanged kata is not run again.
"""

import hashlib
import json
import os
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from grader import __version__
from grader.catalog import Kata
from grader.grading import KataResult, grade, mark_edited
from grader.runner import CollectError, Event, TestResult

LEDGER = Path(".grader") / "ledger.json"
SUITE_FILES = ("conftest.py", "pyproject.toml", "uv.lock")


@dataclass
class KataEntry:
    """What the ledger knows about one kata."""

    attempts: int = 0  # gradings of a changed module
    first_green: str | None = None  # ISO time of the first all-green grading
    hints: dict[str, int] = field(default_factory=dict)  # task -> highest level revealed
    key: str = ""  # the hash the stored result was computed for
    result: dict[str, Any] | None = None  # the stored KataResult, as data


def files_of(folder: Path) -> list[Path]:
    """Every .py file below `folder`, in a stable order (none if it does not exist)."""
    return sorted(p for p in folder.rglob("*.py") if "__pycache__" not in p.parts)


def result_key(kata: Kata, tree: Path) -> str:
    """The hash of what decides the kata's result, with the learner's modules taken from `tree`."""
    digest = hashlib.sha256(__version__.encode())
    paths = (
        [kata.root / name for name in SUITE_FILES] + files_of(kata.path) + files_of(tree / kata.rel)
    )
    for path in paths:
        if path.is_file():
            digest.update(str(path.relative_to(path.anchor)).encode() + b"\0")
            digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def load(root: Path) -> dict[str, KataEntry]:
    """The ledger (empty when absent or unreadable: it is a cache, not the learner's work)."""
    try:
        data = json.loads((root / LEDGER).read_text(encoding="utf-8"))
        return {slug: KataEntry(**entry) for slug, entry in data.get("katas", {}).items()}
    except (OSError, ValueError, TypeError):
        return {}


def save(root: Path, ledger: dict[str, KataEntry]) -> None:
    """Writes the ledger atomically, so an interrupted write never leaves half a file."""
    path = root / LEDGER
    path.parent.mkdir(exist_ok=True)
    (path.parent / ".gitignore").write_text("*\n", encoding="utf-8")
    body = json.dumps({"katas": {slug: asdict(e) for slug, e in sorted(ledger.items())}}, indent=1)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".ledger-")
    with os.fdopen(handle, "w", encoding="utf-8") as stream:
        stream.write(body)
    os.replace(temporary, path)


def stored_result(entry: KataEntry, kata: Kata, key: str) -> KataResult | None:
    """The stored result, if it was computed for exactly this key."""
    if entry.key != key or entry.result is None:
        return None
    tests = tuple(
        TestResult(**{**t, "markers": tuple(t["markers"])}) for t in entry.result["tests"]
    )
    errors = tuple(CollectError(**e) for e in entry.result["collect_errors"])
    return KataResult(kata, tests, errors)


def record(entry: KataEntry, result: KataResult, key: str) -> None:
    """Stores a fresh result: one more attempt, and the time of the first green."""
    entry.attempts += 1
    if result.done and entry.first_green is None:
        entry.first_green = datetime.now(UTC).isoformat(timespec="seconds")
    entry.key = key
    entry.result = {
        "tests": [asdict(t) for t in result.tests],
        "collect_errors": [asdict(e) for e in result.collect_errors],
    }


def grade_cached(
    root: Path,
    katas: list[Kata],
    on_event: Callable[[Event], None] | None = None,
) -> list[KataResult]:
    """Grades the learner's katas, running only those whose key changed; updates the ledger."""
    ledger = load(root)
    keys = {k.slug: result_key(k, root / "katas") for k in katas}
    stored = {
        k.slug: stored_result(ledger.get(k.slug, KataEntry()), k, keys[k.slug]) for k in katas
    }
    stale = [k for k in katas if stored[k.slug] is None]
    fresh: dict[str, KataResult] = {}
    if stale:
        results, _ = grade(root, stale, "katas", on_event=on_event)
        for result in results:
            record(ledger.setdefault(result.kata.slug, KataEntry()), result, keys[result.kata.slug])
            fresh[result.kata.slug] = result
        save(root, ledger)
    combined = [fresh.get(k.slug) or stored[k.slug] for k in katas]
    return mark_edited([r for r in combined if r is not None], root)

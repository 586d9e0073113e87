"""The suite's manifest: a git blob id for every file the suite ships under `katas/`.

It serves two purposes. Tamper evidence: a kata whose tests (or conftest) no longer match the
manifest is flagged, and its result does not count as done. Pristine copies: `grader reset` finds
the shipped stub in git's object store by its blob id. Maintainers rebuild it with
`grader manifest`; `grader check` reports a kata whose entries are stale.
"""

import hashlib
import json
from pathlib import Path

from grader.catalog import Kata

MANIFEST = Path("grader") / "manifest.json"
SKIPPED = {"__pycache__", ".hypothesis", ".pytest_cache"}


def blob_id(data: bytes) -> str:
    """The id git gives a blob with these bytes (`git hash-object`)."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data, usedforsecurity=False).hexdigest()


def shipped_files(root: Path) -> list[Path]:
    """Every file under katas/ that the suite ships, in a stable order."""
    return sorted(
        path
        for path in (root / "katas").rglob("*")
        if path.is_file() and not SKIPPED & set(path.parts) and path.suffix != ".pyc"
    )


def build(root: Path) -> dict[str, str]:
    """Relative path -> blob id, for every shipped file."""
    return {
        path.relative_to(root).as_posix(): blob_id(path.read_bytes())
        for path in shipped_files(root)
    }


def load(root: Path) -> dict[str, str]:
    """The manifest shipped with the suite (empty when there is none)."""
    path = root / MANIFEST
    return json.loads(path.read_text(encoding="utf-8"))["files"] if path.is_file() else {}


def write(root: Path) -> Path:
    """Rebuilds the manifest from the tree as it is now."""
    path = root / MANIFEST
    body = {"comment": "Rebuild with `grader manifest`.", "files": build(root)}
    path.write_text(json.dumps(body, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return path


def is_test_file(path: str) -> bool:
    """Files that decide a kata's verdict: its tests and its conftest."""
    name = path.rpartition("/")[2]
    return name == "conftest.py" or (name.startswith("test_") and name.endswith(".py"))


def edited_tests(kata: Kata, tree: Path, manifest: dict[str, str]) -> list[str]:
    """The kata's test files in `tree` (laid out like katas/) that differ from the manifest."""
    prefix = f"katas/{kata.rel.as_posix()}/"
    edited = []
    for name, expected in manifest.items():
        if name.startswith(prefix) and is_test_file(name):
            path = tree / kata.rel / name.removeprefix(prefix)
            if not path.is_file() or blob_id(path.read_bytes()) != expected:
                edited.append(name.removeprefix("katas/"))
    for path in sorted((tree / kata.rel).glob("**/*.py")):
        name = f"{prefix}{path.relative_to(tree / kata.rel).as_posix()}"
        if is_test_file(name) and name not in manifest and manifest:
            edited.append(name.removeprefix("katas/"))
    return edited


def stale_entries(kata: Kata, manifest: dict[str, str]) -> list[str]:
    """What differs between the kata's files and their manifest entries (for the check)."""
    prefix = f"katas/{kata.rel.as_posix()}/"
    shipped = {k: v for k, v in build(kata.root).items() if k.startswith(prefix)}
    recorded = {k: v for k, v in manifest.items() if k.startswith(prefix)}
    return sorted(k for k in shipped.keys() | recorded.keys() if shipped.get(k) != recorded.get(k))

"""`grader reset SLUG`: puts the shipped stub back, after backing up the learner's version.

The pristine stub comes from git's object store, found by the blob id the suite's manifest
records, so a reset needs a git clone of the suite; without one it changes nothing and says why.
Nothing is overwritten before every pristine file has been found and the backup written.
"""

import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

from grader import manifest
from grader.catalog import Kata, discover, select

BACKUPS = Path(".grader") / "backups"


def stub_entries(kata: Kata, shipped: dict[str, str]) -> dict[str, str]:
    """Manifest entries (path -> blob id) of the kata's stub module or package."""
    prefix = f"katas/{kata.rel.as_posix()}/"
    module, package = f"{prefix}{kata.slug}.py", f"{prefix}{kata.slug}/"
    return {p: b for p, b in shipped.items() if p == module or p.startswith(package)}


def pristine(root: Path, blob: str) -> bytes | None:
    """A blob's bytes from git's object store, or None when git cannot give them."""
    try:
        found = subprocess.run(
            ["git", "cat-file", "blob", blob], cwd=root, capture_output=True, check=False
        )
    except OSError:
        return None
    return found.stdout if found.returncode == 0 else None


def reset(root: Path, kata: Kata, now: datetime | None = None) -> tuple[Path | None, str]:
    """Restores the stub; returns (the backup folder, a message)."""
    entries = stub_entries(kata, manifest.load(root))
    if not entries:
        return None, f"the suite's manifest lists no stub for {kata.slug}"
    contents = {path: pristine(root, blob) for path, blob in entries.items()}
    missing = [path for path, data in contents.items() if data is None]
    if missing:
        return None, (
            f"cannot find the shipped {', '.join(missing)} in git (is this a git clone of the "
            "suite?): nothing was changed"
        )
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%d-%H%M%S")
    backup = root / BACKUPS / f"{kata.slug}-{stamp}"
    for path in entries:
        current = root / path
        if current.is_file():
            saved = backup / Path(path).relative_to(Path("katas") / kata.rel)
            saved.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(current, saved)
    for path, data in contents.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_bytes(data or b"")
    return backup, f"restored the stub of {kata.slug}; your version is saved in {backup}"


def main(root: Path, slug: str) -> int:
    """Resets one kata; 1 when it could not."""
    kata = select(discover(root), [slug])[0]
    backup, message = reset(root, kata)
    print(message)
    return 0 if backup else 1

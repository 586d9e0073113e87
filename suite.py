"""Set up the suite on first use, then run the grader: the only command a newcomer needs.

    python3 suite.py            your progress through the katas (any `grader` arguments work too)
    python3 suite.py check      the maintainers' check: the grader's own tests, then `grader check`

Standard library only, so it runs on a bare Python 3.11. On the first run (and whenever
`uv.lock` or `pyproject.toml` change) it makes `.venv/`, puts the `uv` pinned in `uv.lock` into it
and installs exactly what the lock file lists. Afterwards `source .venv/bin/activate` gives you
`grader` and `pytest` directly.
"""

import hashlib
import os
import subprocess
import sys
import tomllib
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
STAMP = VENV / ".suite-installed"


def lock_digest() -> str:
    """A hash of what the environment is built from: a change to either file means reinstall."""
    digest = hashlib.sha256()
    for name in ("pyproject.toml", "uv.lock"):
        digest.update((ROOT / name).read_bytes())
    return digest.hexdigest()


def locked_uv_version() -> str:
    """The uv version that uv.lock pins (it is in the dev group, so `uv sync` keeps it)."""
    lock = tomllib.loads((ROOT / "uv.lock").read_text(encoding="utf-8"))
    for package in lock["package"]:
        if package["name"] == "uv":
            return str(package["version"])
    raise SystemExit("suite.py: uv.lock does not pin uv; add it to the dev group")


def run(command: list[str]) -> None:
    """Runs a set-up step, stopping with its exit status when it fails."""
    completed = subprocess.run(command, cwd=ROOT, check=False)
    if completed.returncode != 0:
        step = " ".join(command)
        raise SystemExit(f"suite.py: set-up step failed ({completed.returncode}): {step}")


def ensure_environment() -> None:
    """Creates or refreshes `.venv` from uv.lock, unless it is already up to date."""
    digest = lock_digest()
    if STAMP.is_file() and STAMP.read_text(encoding="utf-8") == digest:
        return
    print("suite.py: installing the suite into .venv (first run, or the lock file changed)...")
    if not (BIN / "python").exists():
        venv.create(VENV, with_pip=True)
    uv = BIN / "uv"
    if not uv.exists():
        pip = [str(BIN / "python"), "-m", "pip", "install", "--quiet"]
        run([*pip, "--disable-pip-version-check", f"uv=={locked_uv_version()}"])
    # --locked: install exactly the lock file, and fail if pyproject.toml drifted from it.
    # --compile-bytecode: imports start from .pyc files even where PYTHONDONTWRITEBYTECODE is set
    # (as on CI machines); without them every import of FastAPI compiles it again (~0.7 s).
    run([str(uv), "sync", "--locked", "--quiet", "--compile-bytecode"])
    STAMP.write_text(digest, encoding="utf-8")


def main(argv: list[str]) -> int:
    """Sets up, then runs `grader ARGS` (or the full check with `check` and no slug)."""
    ensure_environment()
    grader = str(BIN / "grader")
    if argv == ["check"]:
        pytest = [str(BIN / "pytest"), "grader/tests", "-q"]
        own_tests = subprocess.run(pytest, cwd=ROOT, check=False)
        katas = subprocess.run([grader, "check"], cwd=ROOT, check=False)
        return own_tests.returncode or katas.returncode
    return subprocess.run([grader, *argv], cwd=ROOT, check=False).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

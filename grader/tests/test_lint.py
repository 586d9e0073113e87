"""The grader and the suite's own scripts are held to the same ruff rules as the katas."""

import subprocess
import sys

from grader.tests.suites import SUITE_ROOT

OWN_CODE = ["grader", "suite.py", "conftest.py"]


def test_the_suites_own_code_is_ruff_clean() -> None:
    ruff = [sys.executable, "-m", "ruff"]
    lint = subprocess.run(
        [*ruff, "check", *OWN_CODE], cwd=SUITE_ROOT, capture_output=True, text=True, check=False
    )
    assert lint.returncode == 0, lint.stdout
    fmt = subprocess.run(
        [*ruff, "format", "--check", *OWN_CODE],
        cwd=SUITE_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert fmt.returncode == 0, fmt.stdout

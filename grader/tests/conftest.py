"""Fixtures for the grader's own tests."""

from collections.abc import Callable
from pathlib import Path

import pytest

from grader.tests.suites import KataFiles, Suite, build_suite


@pytest.fixture
def make_suite(tmp_path: Path) -> Callable[..., Suite]:
    """Builds a suite in tmp_path with the katas given, ready for the grader."""

    def build(*katas: KataFiles, name: str = "suite") -> Suite:
        return build_suite(tmp_path / name, *katas)

    return build

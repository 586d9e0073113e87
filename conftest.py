"""Root conftest: shared fixtures of the suite.

Which tree the kata tests import (your `katas/`, `reference/` or a learner's copy) is decided by
the `grader.targets` plugin, loaded by `addopts` in pyproject.toml: `pytest --target reference`,
or KATAS_TARGET=reference. It has to be a `-p` plugin: a hook in this file would run only after
the kata conftests had already imported the kata modules.
"""

import pytest


def pytest_configure(config: pytest.Config) -> None:
    """Refuses to run kata tests without the reference switch (it would import nothing sane)."""
    if not config.pluginmanager.has_plugin("grader.targets"):
        raise pytest.UsageError(
            "the grader.targets plugin is not loaded: run pytest from the suite's root, with its "
            "pyproject.toml (its addopts load it)"
        )

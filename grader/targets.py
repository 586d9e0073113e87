"""The reference switch: a pytest plugin that decides which tree provides each kata's module.

Tests import a kata by bare name (`from request_body import app`). This plugin maps every slug to
its folder in the chosen target — the learner's `katas/`, `reference/`, or any folder laid out like
`katas/` — with an import finder placed before all others, so no `sys.path` entry (pytest's
`prepend` mode, the current directory, an installed package) can supply a module from the wrong
tree. Anything that could make a run test the wrong tree stops the run with a usage error.
"""

import importlib.abc
import importlib.machinery
import importlib.util
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

import pytest

from grader.catalog import is_kata_folder

ENV_TARGET = "KATAS_TARGET"
SERVER_MARKERS = {
    "postgres": "KATAS_POSTGRES_URL",
    "redis": "KATAS_REDIS_URL",
}


class KataFinder(importlib.abc.MetaPathFinder):
    """Finds `slug` (and `slug.sub` through the package's path) in the target tree only."""

    def __init__(self, modules: dict[str, Path], target: Path) -> None:
        self.modules = modules  # slug -> the kata's folder inside the target
        self.target = target

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None = None,
        target: ModuleType | None = None,
    ) -> importlib.machinery.ModuleSpec | None:
        """A spec for a kata's module from the target tree; None for every other name."""
        folder = self.modules.get(fullname)
        if folder is None:
            return None
        package = folder / fullname / "__init__.py"
        if package.is_file():
            return importlib.util.spec_from_file_location(
                fullname, package, submodule_search_locations=[str(package.parent)]
            )
        module = folder / f"{fullname}.py"
        if module.is_file():
            return importlib.util.spec_from_file_location(fullname, module)
        raise ModuleNotFoundError(
            f"kata module {fullname!r} not found in the target tree: expected {module} "
            f"or {package}",
            name=fullname,
        )


def resolve_target(value: str, root: Path) -> Path:
    """The folder laid out like `katas/` that `--target VALUE` names."""
    if value in ("", "katas"):
        return root / "katas"
    if value == "reference":
        return root / "reference"
    path = Path(value).expanduser().resolve()
    if (path / "katas").is_dir() and not any(path.glob("[0-9][0-9]_*")):
        path = path / "katas"  # a learner's whole checkout: use its katas/
    return path


def kata_folders(root: Path) -> dict[str, Path]:
    """slug -> the kata's path below `katas/`, for every kata folder (one holding its tests)."""
    found: dict[str, Path] = {}
    for folder in sorted((root / "katas").glob("*/*/")):
        if not is_kata_folder(folder):
            continue
        slug = folder.name.partition("_")[2]
        if slug in found:
            raise pytest.UsageError(
                f"slug {slug!r} is used twice: {found[slug]} and {folder.relative_to(root)}"
            )
        found[slug] = folder.relative_to(root / "katas")
    return found


def pytest_addoption(parser: pytest.Parser) -> None:
    """Adds `--target`."""
    parser.addoption(
        "--target",
        default=None,
        help="which tree the kata tests import: 'katas' (default: your stubs), 'reference', or "
        f"a folder laid out like katas/ (a learner's copy). Also ${ENV_TARGET}.",
    )


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config: pytest.Config) -> None:
    """Installs the finder before any conftest is imported (kata conftests import kata modules).

    Only a plugin loaded with `-p` (the suite's `addopts` does it) is called this early; a hook in
    a conftest would come after the kata conftests, too late.
    """
    root = Path(str(early_config.rootpath))
    value = early_config.known_args_namespace.target or os.environ.get(ENV_TARGET, "katas")
    target = resolve_target(value, root)
    if not target.is_dir():
        raise pytest.UsageError(f"--target {value!r}: {target} is not a folder")
    folders = kata_folders(root)
    modules = {slug: target / rel for slug, rel in folders.items()}
    if folders and not any(folder.is_dir() for folder in modules.values()):
        raise pytest.UsageError(
            f"--target {value!r}: {target} holds none of the kata folders (expected e.g. "
            f"{next(iter(modules.values()))})"
        )
    stale = [name for name in modules if name in sys.modules]
    if stale:
        raise pytest.UsageError(f"kata modules imported before the target was set: {stale}")
    finder = KataFinder(modules, target)
    sys.meta_path.insert(0, finder)
    early_config.stash[FINDER_KEY] = finder
    early_config.stash[TARGET_KEY] = target


FINDER_KEY = pytest.StashKey[KataFinder]()
TARGET_KEY = pytest.StashKey[Path]()


def pytest_report_header(config: pytest.Config) -> str:
    """Says which tree the kata modules come from."""
    return f"kata modules from: {config.stash[TARGET_KEY]}"


def pytest_collection_finish(session: pytest.Session) -> None:
    """Belt and braces: every kata module imported so far must come from the target tree."""
    finder = session.config.stash[FINDER_KEY]
    for slug, folder in finder.modules.items():
        module = sys.modules.get(slug)
        origin = getattr(module, "__file__", None)
        if module is not None and (origin is None or folder not in Path(origin).parents):
            raise pytest.UsageError(
                f"kata module {slug!r} was imported from {origin}, not from {folder}: "
                "something put another copy first"
            )


def pytest_unconfigure(config: pytest.Config) -> None:
    """Removes the finder, so an in-process pytest run leaves no trace."""
    finder = config.stash.get(FINDER_KEY, None)
    if finder is not None and finder in sys.meta_path:
        sys.meta_path.remove(finder)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Skips a test that needs a server unless its URL is configured, saying how to enable it.

    `tryfirst`: before any fixture is set up, so no fixture tries to reach the missing server.
    """
    for marker, variable in SERVER_MARKERS.items():
        if item.get_closest_marker(marker) and not os.environ.get(variable):
            pytest.skip(
                f"needs {marker}: set {variable} to a server URL to run it "
                "(README, 'Tests that need a server')"
            )

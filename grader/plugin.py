"""The grader's pytest plugin: records each test's outcome and task as JSON lines.

Loaded in the pytest subprocess with `-p grader.plugin --grader-events FILE`. One line per event,
flushed at once, so the grader can draw progress while tests run and keep what was recorded even
when the run dies: a `collectstart` or `teststart` line without its outcome names the module or
test that killed the process, and the grader resumes without it (`--grader-skip`). The grader
never parses pytest's terminal output.
"""

import inspect
import json
import resource
from collections.abc import Generator
from pathlib import Path
from typing import IO, Any

import pytest
from hypothesis import Phase, settings

from grader.catalog import is_kata_folder

OUTPUT_CAP = 500  # characters of captured output kept per test (Exercism's results.json cap)
MESSAGE_CAP = 4000

# The check only needs to know whether a property fails, not its smallest counterexample: no
# shrinking (a mistake's run would spend most of its time there), no example database written
# into the suite, and the same examples on every machine, so CI and a maintainer see one verdict.
CHECK_PROFILE = "grader-check"
settings.register_profile(
    CHECK_PROFILE,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    database=None,
    derandomize=True,
    deadline=None,
)


TIMEOUT_MARK = "from pytest-timeout"  # in the failure message of a test that timed out


def pytest_addoption(parser: pytest.Parser) -> None:
    """Adds `--grader-events`, `--grader-skip` and `--grader-memory-limit`."""
    group = parser.getgroup("grader")
    group.addoption("--grader-events", default=None, help="write test events as JSON lines here")
    group.addoption(
        "--grader-select",
        default=None,
        help="a JSON file {'katas': [folders to run], 'skip_katas': [folders], "
        "'skip_tests': [nodeids]}: what this run collects",
    )
    group.addoption(
        "--grader-first-failure",
        action="store_true",
        help="skip a kata's remaining tests once one has failed (a mistake needs one failure)",
    )
    group.addoption(
        "--grader-memory-limit",
        type=int,
        default=0,
        help="address-space limit in bytes for the test process (0: none)",
    )


def pytest_configure(config: pytest.Config) -> None:
    """Registers the recorder when an events file is given; applies the memory limit."""
    limit = config.getoption("--grader-memory-limit")
    if limit:
        # A learner's unbounded allocation then fails its test with MemoryError, instead of
        # taking the machine down with it.
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    path = config.getoption("--grader-events")
    if path:
        select_file = config.getoption("--grader-select")
        selection = json.loads(Path(select_file).read_text(encoding="utf-8")) if select_file else {}
        recorder = Recorder(Path(path), selection, config.getoption("--grader-first-failure"))
        config.pluginmanager.register(recorder, "grader-recorder")


def kata_of(path: Path) -> str | None:
    """The slug of the kata whose folder (the nearest holding its tests) is or holds `path`."""
    for folder in (path, *path.parents):
        if is_kata_folder(folder):
            return folder.name.partition("_")[2]
    return None


def crash_of(report: pytest.TestReport | pytest.CollectReport) -> tuple[str, str]:
    """(message, file:line) of a failure: the exception line and where it was raised."""
    crash = getattr(report.longrepr, "reprcrash", None)
    if crash is not None:
        return crash.message[:MESSAGE_CAP], f"{crash.path}:{crash.lineno}"
    if isinstance(report.longrepr, tuple):  # a skip: (path, line, reason)
        path, line, reason = report.longrepr
        return str(reason), f"{path}:{line}"
    return str(report.longrepr)[-MESSAGE_CAP:], ""


class Recorder:
    """Writes one event per collected set, collection error and finished test."""

    def __init__(self, path: Path, selection: dict[str, Any], first_failure: bool = False) -> None:
        self.stream: IO[str] = path.open("a", encoding="utf-8")
        self.first_failure = first_failure
        self.failed_katas: set[str | None] = set()
        self.items: dict[str, pytest.Item] = {}
        self.partial: dict[str, dict[str, Any]] = {}
        self.katas = {Path(folder).resolve() for folder in selection.get("katas", ())}
        self.skip_katas = {Path(folder).resolve() for folder in selection.get("skip_katas", ())}
        self.skip_tests = set(selection.get("skip_tests", ()))

    def pytest_ignore_collect(self, collection_path: Path) -> bool | None:
        """Collects only the katas selected, less those whose import killed an earlier run.

        The grader names section folders on the command line, not kata folders: pytest imports
        the conftests of its arguments before any plugin hook runs, where a crash in a learner's
        module (imported by its kata's conftest) could not be pinned on that kata.
        """
        path = collection_path.resolve()
        if any(path == folder or folder in path.parents for folder in self.skip_katas):
            return True
        if not self.katas:
            return None
        inside = any(path == folder or folder in path.parents for folder in self.katas)
        above = any(path in folder.parents for folder in self.katas)
        return None if inside or above else True

    def pytest_collection_modifyitems(
        self, config: pytest.Config, items: list[pytest.Item]
    ) -> None:
        """Leaves out the tests an earlier, crashed run already reported."""
        if not self.skip_tests:
            return
        kept = [item for item in items if item.nodeid not in self.skip_tests]
        dropped = [item for item in items if item.nodeid in self.skip_tests]
        items[:] = kept
        config.hook.pytest_deselected(items=dropped)

    def pytest_collectstart(self, collector: pytest.Collector) -> None:
        """Names the folder or module being collected, so a crash in an import is pinned."""
        if isinstance(collector, pytest.Module | pytest.Directory):
            self.write(
                {
                    "event": "collectstart",
                    "nodeid": collector.nodeid,
                    "kata": kata_of(collector.path.resolve()),
                }
            )

    @pytest.hookimpl(wrapper=True)
    def pytest_make_collect_report(
        self, collector: pytest.Collector
    ) -> Generator[None, pytest.CollectReport, pytest.CollectReport]:
        """Turns `sys.exit()` at import time into a collection error of that module.

        pytest lets SystemExit escape collection, which would end the whole session.
        """
        try:
            return (yield)
        except SystemExit as exit_:
            message = f"SystemExit({exit_.code!r}) raised while importing: a module must not exit"
            return pytest.CollectReport(collector.nodeid, "failed", message, [])

    def pytest_runtest_logstart(self, nodeid: str) -> None:
        """Names the test about to run, so a crash inside it is pinned on it."""
        self.write({"event": "teststart", "nodeid": nodeid})

    def write(self, event: dict[str, Any]) -> None:
        """Appends one event and flushes it."""
        self.stream.write(json.dumps(event) + "\n")
        self.stream.flush()

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        """Records a module that could not be collected (syntax error, failed import, ...)."""
        if report.failed:
            message, location = crash_of(report)
            # An import error's text is pytest's traceback; its `E   ` lines say what went wrong.
            said = [
                line[1:].strip() for line in report.longreprtext.splitlines() if line[:2] == "E "
            ]
            message = said[-1] if said else message
            path = Path(report.fspath)
            self.write(
                {
                    "event": "collect_error",
                    "nodeid": report.nodeid,
                    "kata": kata_of(path.resolve()),
                    "message": message or str(report.longrepr)[-MESSAGE_CAP:],
                    "details": str(report.longrepr)[-MESSAGE_CAP:],
                    "location": location,
                }
            )

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        """Records what will run: each test with its kata and task."""
        tests = []
        for item in session.items:
            self.items[item.nodeid] = item
            marker = item.get_closest_marker("task")
            tests.append(
                {
                    "nodeid": item.nodeid,
                    "kata": kata_of(item.path),
                    "task": marker.args[0] if marker and marker.args else None,
                }
            )
        self.write({"event": "collected", "tests": tests})

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        """With --grader-first-failure, skips the tests of a kata that has already failed one."""
        if self.first_failure and kata_of(item.path) in self.failed_katas:
            pytest.skip("its kata has already failed a test (--grader-first-failure)")

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """Folds setup, call and teardown into one outcome, written after teardown."""
        state = self.partial.setdefault(
            report.nodeid, {"status": "pass", "message": "", "location": "", "duration": 0.0}
        )
        state["duration"] += report.duration
        if report.failed and state["status"] in ("pass", "skip"):
            state["status"] = "fail" if report.when == "call" else "error"
            state["message"], state["location"] = crash_of(report)
            state["details"] = report.longreprtext[-MESSAGE_CAP:]
            item = self.items.get(report.nodeid)
            self.failed_katas.add(kata_of(item.path) if item else None)
        elif report.skipped and state["status"] == "pass":
            state["status"] = "skip"
            state["message"], state["location"] = crash_of(report)
        if report.when == "call" or (report.when == "setup" and not report.passed):
            state["output"] = (report.capstdout + report.capstderr)[:OUTPUT_CAP]
        if report.when == "teardown":
            self.write(self.finish(report.nodeid, self.partial.pop(report.nodeid)))

    def finish(self, nodeid: str, state: dict[str, Any]) -> dict[str, Any]:
        """The test's event: outcome plus what the results need to show it."""
        state["timed_out"] = TIMEOUT_MARK in state["message"]
        item = self.items.get(nodeid)
        marker = item.get_closest_marker("task") if item else None
        function = getattr(item, "function", None)
        try:
            code = inspect.getsource(function) if function else ""
        except (OSError, TypeError):
            code = ""
        return {
            "event": "test",
            "nodeid": nodeid,
            "name": item.name if item else nodeid.rpartition("::")[2],
            "kata": kata_of(item.path) if item else None,
            "task": marker.args[0] if marker and marker.args else None,
            "markers": sorted({m.name for m in item.iter_markers()}) if item else [],
            "test_code": code,
            **state,
        }

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        """Marks the end of the run, so a missing line means the run died."""
        self.write({"event": "finished", "exitstatus": int(exitstatus)})
        self.stream.close()

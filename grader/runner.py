"""Runs kata tests in a pytest subprocess with the grader plugin, and reads back the results.

Whatever a learner's code does, a run ends within a bounded time with a result for every kata:
each test has a timeout (pytest-timeout), a watchdog kills a process that stops making progress
(code that holds the GIL where no signal reaches it), the process gets a memory limit, and its
whole process group is killed when it ends (a stub's child processes do not outlive it). When the
process dies anyway (`os._exit`, a segmentation fault, the watchdog), the last `collectstart` or
`teststart` event names the culprit: it is reported as crashed, and the run resumes without it.
"""

import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

Event = dict[str, Any]
LOG_TAIL = 20_000  # characters of pytest's own output kept for diagnosing a run that died


@dataclass(frozen=True)
class Limits:
    """The bounds one run of learner code gets."""

    test_timeout: float = 60.0  # seconds per test (pytest-timeout)
    stall: float = 90.0  # seconds without any event before the watchdog kills the process
    memory: int = 4 * 2**30  # bytes of address space for the test process; 0 for none


@dataclass(frozen=True)
class TestResult:
    """One test's outcome as the plugin recorded it."""

    nodeid: str
    name: str
    kata: str | None
    task: int | None
    status: str  # pass | fail | error | skip
    message: str = ""
    location: str = ""
    details: str = ""
    output: str = ""
    test_code: str = ""
    duration: float = 0.0
    markers: tuple[str, ...] = ()
    timed_out: bool = False


@dataclass(frozen=True)
class CollectError:
    """A test module that could not be collected (or whose import killed the process)."""

    nodeid: str
    kata: str | None
    message: str
    details: str = ""
    location: str = ""


@dataclass(frozen=True)
class RunResult:
    """Everything one grading run recorded, over however many pytest processes it took."""

    tests: tuple[TestResult, ...]
    collect_errors: tuple[CollectError, ...]
    collected: tuple[Event, ...]
    exit_code: int
    finished: bool  # False when the last process died before pytest's session ended
    log: str = ""  # pytest's own output, for diagnosing a run that died
    wall: float = 0.0
    crashes: int = 0  # processes that died and were resumed
    extra: dict[str, Any] = field(default_factory=dict)

    def for_kata(self, slug: str) -> tuple[list[TestResult], list[CollectError]]:
        """This kata's test results and collection errors."""
        return (
            [t for t in self.tests if t.kata == slug],
            [e for e in self.collect_errors if e.kata == slug],
        )


def pytest_command(
    paths: Sequence[Path], target: str, events: Path, extra: Sequence[str]
) -> list[str]:
    """The pytest command line the grader runs."""
    return [
        sys.executable,
        "-m",
        "pytest",
        "-p",
        "grader.plugin",
        f"--grader-events={events}",
        f"--target={target}",
        "-p",
        "no:cacheprovider",
        "-q",
        "--no-header",
        "-o",
        "console_output_style=classic",
        # One kata whose module does not import must not keep every other kata from running.
        "--continue-on-collection-errors",
        # Captured output is in the events (capped); repeating it could fill the disk.
        "--show-capture=no",
        *extra,
        *map(str, paths),
    ]


def parse_events(lines: list[str]) -> list[Event]:
    """Events from JSON lines; a half-written last line (a killed run) is dropped."""
    events = []
    for line in lines:
        try:
            events.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return events


@dataclass
class Process:
    """One pytest process: its exit, its events, and whether the watchdog had to kill it."""

    events: list[Event]
    returncode: int
    stalled: bool
    log: str


def tail(path: Path, size: int = LOG_TAIL) -> str:
    """The last `size` bytes of a file, as text, without reading the whole of it."""
    with path.open("rb") as stream:
        stream.seek(max(path.stat().st_size - size, 0))
        return stream.read().decode("utf-8", errors="replace")


def kill_group(process: subprocess.Popen[bytes]) -> None:
    """Kills the process and everything it started in its process group."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)


def run_once(
    root: Path,
    command: list[str],
    events_path: Path,
    limits: Limits,
    env: dict[str, str],
    on_event: Callable[[Event], None] | None,
) -> Process:
    """Runs one pytest process to its end (or the watchdog's), streaming its events."""
    log_path = events_path.with_suffix(".log")
    events: list[Event] = []
    stalled = False
    with log_path.open("wb") as log, events_path.open(encoding="utf-8") as reader:
        process = subprocess.Popen(
            command,
            cwd=root,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            start_new_session=True,  # its own process group, killed as a whole at the end
        )
        try:
            pending = ""
            last_progress = time.monotonic()
            while True:
                done = process.poll() is not None
                chunk = reader.read()
                if chunk:
                    last_progress = time.monotonic()
                pending += chunk
                *lines, pending = pending.split("\n")
                for event in parse_events(lines):
                    events.append(event)
                    if on_event:
                        on_event(event)
                if done:
                    break
                # pytest's own start-up (imports, plugins) comes before the first event and runs no
                # learner code: on a loaded machine it may be slow, so it gets a longer allowance.
                allowance = limits.stall if events else limits.stall * 3
                if time.monotonic() - last_progress > allowance:
                    stalled = True
                    kill_group(process)
                    process.wait()
                    continue
                time.sleep(0.02)
            events.extend(parse_events([pending]))
        finally:
            # Also on Ctrl-C (grader watch) or any error here: nothing of the run outlives it.
            kill_group(process)
            process.wait()
    return Process(events, process.returncode, stalled, tail(log_path))


def cause_of(process: Process, limits: Limits) -> str:
    """Why a pytest process died, in words."""
    if process.stalled:
        return f"timed out: no progress for {limits.stall:.0f} s, so the process was killed"
    if process.returncode < 0:
        name = signal.Signals(-process.returncode).name
        return f"the test process was killed by {name}"
    return f"the test process exited with status {process.returncode} (os._exit or a crash)"


@dataclass
class Accumulator:
    """What the processes of one run recorded, and what the next one must leave out."""

    tests: dict[str, TestResult] = field(default_factory=dict)
    collect_errors: dict[str, CollectError] = field(default_factory=dict)
    collected: dict[str, Event] = field(default_factory=dict)
    skip_katas: set[str] = field(default_factory=set)  # folders
    crashes: int = 0

    def add(self, events: list[Event]) -> None:
        """Takes in one process's events."""
        for event in events:
            if event["event"] == "test":
                self.tests[event["nodeid"]] = to_test(event)
            elif event["event"] == "collect_error":
                self.collect_errors[event["nodeid"]] = to_collect_error(event)
            elif event["event"] == "collected":
                self.collected.update({t["nodeid"]: t for t in event["tests"]})

    def blame(
        self, events: list[Event], cause: str, folders: dict[str, Path], timed_out: bool
    ) -> bool:
        """Pins a crash on the module or test that was running; False when nothing was."""
        started = [e for e in events if e["event"] in ("collectstart", "teststart")]
        if not started:
            return False
        last = started[-1]
        kata = last.get("kata") or self.collected.get(last["nodeid"], {}).get("kata")
        if last["event"] == "collectstart":
            if any(e["event"] == "collected" for e in events):
                return False  # collection had finished: the crash came later, outside a test
            message = f"{cause} while importing {last['nodeid']}"
            self.collect_errors[last["nodeid"]] = CollectError(last["nodeid"], kata, message)
        elif last["nodeid"] not in self.tests:
            info = self.collected.get(last["nodeid"], {})
            self.tests[last["nodeid"]] = TestResult(
                nodeid=last["nodeid"],
                name=last["nodeid"].rpartition("::")[2],
                kata=kata,
                task=info.get("task"),
                status="error",
                message=f"{cause} during this test",
                timed_out=timed_out,
            )
            # The kata's other tests would likely crash the same way: report them, not rerun them.
            for nodeid, other in self.collected.items():
                if other.get("kata") == kata and nodeid not in self.tests:
                    self.tests[nodeid] = TestResult(
                        nodeid=nodeid,
                        name=nodeid.rpartition("::")[2],
                        kata=kata,
                        task=other.get("task"),
                        status="error",
                        message=f"not run: an earlier test of this kata crashed ({cause})",
                    )
        else:
            return False
        if kata is None or kata not in folders:
            return False
        self.skip_katas.add(str(folders[kata]))
        self.crashes += 1
        return True


def run_tests(
    root: Path,
    paths: Sequence[Path],
    target: str,
    *,
    extra_args: Sequence[str] = (),
    on_event: Callable[[Event], None] | None = None,
    env: dict[str, str] | None = None,
    limits: Limits | None = None,
) -> RunResult:
    """Runs pytest on `paths` against `target` and returns what the plugin recorded."""
    limits = limits or Limits()
    folders = {p.name.partition("_")[2]: p for p in paths}  # slug -> kata folder
    sections = sorted({p.parent for p in paths})  # see Recorder.pytest_ignore_collect for why
    extra = [f"--timeout={limits.test_timeout:g}", *extra_args]
    if limits.memory:
        extra.append(f"--grader-memory-limit={limits.memory}")
    full_env = {**os.environ, **(env or {})}
    started = time.perf_counter()
    found = Accumulator()
    with tempfile.TemporaryDirectory(prefix="grader-") as scratch:
        for attempt in range(len(paths) + 1):
            events_path = Path(scratch, f"events{attempt}.jsonl")
            events_path.touch()
            select_path = Path(scratch, f"select{attempt}.json")
            selection = {
                "katas": [str(p) for p in paths],
                "skip_katas": sorted(found.skip_katas),
                "skip_tests": sorted(found.tests),
            }
            select_path.write_text(json.dumps(selection), encoding="utf-8")
            command = pytest_command(
                sections, target, events_path, [f"--grader-select={select_path}", *extra]
            )
            process = run_once(root, command, events_path, limits, full_env, on_event)
            found.add(process.events)
            finished = any(e["event"] == "finished" for e in process.events)
            if finished:
                break
            cause = cause_of(process, limits)
            if not found.blame(process.events, cause, folders, timed_out=process.stalled):
                break  # it died outside any kata's code (pytest refused to start, say)
    return RunResult(
        tests=tuple(found.tests.values()),
        collect_errors=tuple(found.collect_errors.values()),
        collected=tuple(found.collected.values()),
        exit_code=process.returncode,
        finished=finished,
        log=process.log,
        wall=time.perf_counter() - started,
        crashes=found.crashes,
    )


def to_test(event: Event) -> TestResult:
    """A TestResult from a plugin event."""
    return TestResult(
        nodeid=event["nodeid"],
        name=event["name"],
        kata=event["kata"],
        task=event["task"],
        status=event["status"],
        message=event.get("message", ""),
        location=event.get("location", ""),
        details=event.get("details", ""),
        output=event.get("output", ""),
        test_code=event.get("test_code", ""),
        duration=event.get("duration", 0.0),
        markers=tuple(event.get("markers", ())),
        timed_out=event.get("timed_out", False),
    )


def to_collect_error(event: Event) -> CollectError:
    """A CollectError from a plugin event."""
    return CollectError(
        event["nodeid"],
        event["kata"],
        event["message"],
        event.get("details", ""),
        event.get("location", ""),
    )


def relocate(result: RunResult, moves: dict[str, str]) -> RunResult:
    """The result with every path under a key of `moves` rewritten to its value."""

    def move(text: str) -> str:
        for old, new in moves.items():
            text = text.replace(old, new)
        return text

    tests = tuple(
        replace(t, location=move(t.location), message=move(t.message), details=move(t.details))
        for t in result.tests
    )
    errors = tuple(
        replace(e, location=move(e.location), message=move(e.message), details=move(e.details))
        for e in result.collect_errors
    )
    return replace(result, tests=tests, collect_errors=errors, log=move(result.log))

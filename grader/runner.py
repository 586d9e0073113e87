"""Runs kata tests in a pytest subprocess with the grader plugin, and reads back the results."""

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

Event = dict[str, Any]


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


@dataclass(frozen=True)
class CollectError:
    """A test module that could not be collected."""

    nodeid: str
    kata: str | None
    message: str
    details: str = ""
    location: str = ""


@dataclass(frozen=True)
class RunResult:
    """Everything one pytest run recorded."""

    tests: tuple[TestResult, ...]
    collect_errors: tuple[CollectError, ...]
    collected: tuple[Event, ...]
    exit_code: int
    finished: bool  # False when the run died before pytest's session ended
    log: str = ""  # pytest's own output, for diagnosing a run that died
    wall: float = 0.0
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


def run_tests(
    root: Path,
    paths: Sequence[Path],
    target: str,
    *,
    extra_args: Sequence[str] = (),
    on_event: Callable[[Event], None] | None = None,
    env: dict[str, str] | None = None,
) -> RunResult:
    """Runs pytest on `paths` against `target` and returns what the plugin recorded."""
    with tempfile.TemporaryDirectory(prefix="grader-") as scratch:
        events_path = Path(scratch, "events.jsonl")
        events_path.touch()
        log_path = Path(scratch, "pytest.log")
        command = pytest_command(paths, target, events_path, extra_args)
        started = time.perf_counter()
        with log_path.open("wb") as log, events_path.open(encoding="utf-8") as reader:
            process = subprocess.Popen(
                command,
                cwd=root,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env={**os.environ, **(env or {})},
            )
            events: list[Event] = []
            pending = ""
            while True:
                done = process.poll() is not None
                pending += reader.read()
                *lines, pending = pending.split("\n")
                for event in parse_events(lines):
                    events.append(event)
                    if on_event:
                        on_event(event)
                if done:
                    break
                time.sleep(0.02)
            events.extend(parse_events([pending]))
        wall = time.perf_counter() - started
        return RunResult(
            tests=tuple(to_test(e) for e in events if e["event"] == "test"),
            collect_errors=tuple(
                CollectError(
                    e["nodeid"],
                    e["kata"],
                    e["message"],
                    e.get("details", ""),
                    e.get("location", ""),
                )
                for e in events
                if e["event"] == "collect_error"
            ),
            collected=tuple(t for e in events if e["event"] == "collected" for t in e["tests"]),
            exit_code=process.returncode,
            finished=any(e["event"] == "finished" for e in events),
            log=log_path.read_text(encoding="utf-8", errors="replace")[-20000:],
            wall=wall,
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
    )

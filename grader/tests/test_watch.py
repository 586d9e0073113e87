"""`grader watch`: the loop with fake grading and waiting, the watchers on real files, the command.

Most tests drive `watch_katas` with scripted results and saves, so they need no pytest run; the
watchers are tested on files in tmp_path; two end-to-end tests start `python -m grader watch` on a
small suite, save the solution, and time how long the watcher takes to react.
"""

import contextlib
import io
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import pytest

from grader import runner, watch
from grader.catalog import Kata, discover
from grader.grading import KataResult
from grader.runner import CollectError
from grader.tests.suites import REFERENCE, KataFiles, Suite
from grader.watch import (
    ChangeWaiter,
    Stamp,
    Watch,
    events_for_change,
    learner_files,
    poll_for_change,
    settle,
    snapshot,
    watch_katas,
)

GENEROUS = 10.0  # seconds: a bound no healthy watcher comes near, even on a loaded machine


# --- the loop, with fake grading and waiting ---------------------------------------------------


@pytest.fixture
def katas(make_suite: Callable[..., Suite]) -> list[Kata]:
    """Three katas, in curriculum order: adder, summer, tripler."""
    suite = make_suite(
        KataFiles("adder"), KataFiles("summer", number=2), KataFiles("tripler", number=3)
    )
    return discover(suite.root)


def result_of(kata: Kata, passed: int, total: int = 2) -> KataResult:
    """A result with `passed` of `total` tests passing; the others fail as the stub does."""
    tests = tuple(
        runner.TestResult(  # (imported by module: pytest would try to collect TestResult)
            nodeid=f"{kata.slug}::test_{n}",
            name=f"test_{n}",
            kata=kata.slug,
            task=1,
            status="pass" if n < passed else "fail",
            message="" if n < passed else "NotImplementedError: add is not written yet",
            location="" if n < passed else f"{kata.path / kata.slug}.py:7",
        )
        for n in range(total)
    )
    return KataResult(kata, tests, ())


@dataclass
class Script:
    """Fake grading, waiting and clock: results and saves handed out in order, calls recorded."""

    results: dict[str, list[KataResult]]
    saves: list[bool] = field(default_factory=list)  # what each wait returns; then False (quit)
    calls: list[str] = field(default_factory=list)
    now: float = 0.0
    during_run: Callable[[Kata], None] = lambda kata: None

    def grade_one(self, kata: Kata) -> KataResult:
        self.calls.append(f"grade {kata.slug}")
        self.during_run(kata)
        return self.results[kata.slug].pop(0)

    def wait_for_change(self, paths: Sequence[Path], stop: threading.Event, since: Stamp) -> bool:
        self.calls.append(f"wait {paths[0].name}")
        return self.saves.pop(0) if self.saves else False

    def clock(self) -> float:
        self.now += 1.5  # so every run takes 1.5 s
        return self.now

    def watch(self, out: IO[str]) -> Watch:
        return Watch(
            self.grade_one,
            self.wait_for_change,
            lambda kata: learner_files(kata, kata.root / "katas"),
            out,
            self.clock,
        )


def test_a_run_shows_the_first_failing_test_its_task_where_it_failed_and_a_hint(
    katas: list[Kata],
) -> None:
    adder = katas[0]
    script = Script({"adder": [result_of(adder, 1)]})
    out = io.StringIO()
    assert watch_katas(script.watch(out), katas, adder) == watch.INTERRUPTED
    text = out.getvalue()
    assert "01.01 adder: Adding numbers" in text
    assert "1/2 core tests passing" in text
    assert "First failing test: test_1" in text
    assert "task 1: Add two numbers" in text
    assert "NotImplementedError: add is not written yet" in text
    assert f"at {adder.path / 'adder.py'}:7" in text  # a file:line a terminal makes clickable
    assert "Stuck? grader hint adder --task 1" in text
    assert "(ran in 1.5 s)" in text
    assert f"Watching {adder.path / 'adder.py'} (or adder/): save to run again" in text
    assert script.calls == ["grade adder", "wait adder.py"]


def test_a_save_reruns_the_kata_and_green_moves_on_to_the_next_kata_not_done(
    katas: list[Kata],
) -> None:
    adder, _, tripler = katas
    script = Script(
        {"adder": [result_of(adder, 0), result_of(adder, 2)], "tripler": [result_of(tripler, 0)]},
        saves=[True],
    )
    out = io.StringIO()
    status = watch_katas(script.watch(out), katas, adder, done={"summer"})
    assert status == watch.INTERRUPTED
    # summer was done already: the loop skips it and grades tripler at once.
    assert script.calls == [
        "grade adder",
        "wait adder.py",
        "grade adder",
        "grade tripler",
        "wait tripler.py",
    ]
    text = out.getvalue()
    assert text.index("Saved: running 01.01 adder again") < text.index("Green: every test passes")
    assert "On to the next kata: 01.03 tripler: Adding numbers" in text
    assert "01.03 tripler: Adding numbers\n0/2 core tests passing" in text


def test_when_every_kata_is_done_it_says_so_and_ends_with_0(katas: list[Kata]) -> None:
    adder = katas[0]
    script = Script({"adder": [result_of(adder, 0), result_of(adder, 2)]}, saves=[True])
    out = io.StringIO()
    status = watch_katas(script.watch(out), katas, adder, {"summer", "tripler"})
    assert status == 0
    assert script.calls == ["grade adder", "wait adder.py", "grade adder"]
    assert out.getvalue().rstrip().endswith("Every kata is green. Well done!")


def test_after_a_named_kata_the_path_goes_on_from_the_easiest_kata_not_done(
    katas: list[Kata],
) -> None:
    adder, summer, tripler = katas
    results = {k.slug: [result_of(k, 2)] for k in (adder, summer, tripler)}
    script = Script(results)
    assert watch_katas(script.watch(io.StringIO()), katas, summer) == 0
    # Equal difficulty and no prerequisites: the path takes the earliest kata left first.
    assert script.calls == ["grade summer", "grade adder", "grade tripler"]


def test_a_save_during_a_run_runs_the_kata_again_without_waiting(katas: list[Kata]) -> None:
    adder = katas[0]
    stub = adder.path / "adder.py"

    def save_once(kata: Kata) -> None:
        if script.calls.count("grade adder") == 1:
            stub.write_text(REFERENCE, encoding="utf-8")
            os.utime(stub, ns=(0, 0))  # a different mtime even on a coarse-grained file system

    script = Script({"adder": [result_of(adder, 0), result_of(adder, 2)]}, during_run=save_once)
    out = io.StringIO()
    assert watch_katas(script.watch(out), katas, adder, {"summer", "tripler"}) == 0
    assert script.calls == ["grade adder", "grade adder"]
    assert "adder changed during the run: running it again" in out.getvalue()


def test_tests_that_cannot_be_collected_are_shown_with_a_hint_offered(katas: list[Kata]) -> None:
    adder = katas[0]
    broken = KataResult(
        adder, (), (CollectError("adder", "adder", "SyntaxError: invalid syntax", "line 3"),)
    )
    script = Script({"adder": [broken]})
    out = io.StringIO()
    watch_katas(script.watch(out), katas, adder)
    text = out.getvalue()
    assert "The tests cannot be collected" in text
    assert "Stuck? grader hint adder" in text


def test_a_run_in_which_no_test_ran_says_so(katas: list[Kata]) -> None:
    adder = katas[0]
    script = Script({"adder": [KataResult(adder, (), ())]})
    out = io.StringIO()
    watch_katas(script.watch(out), katas, adder)
    assert "no test ran" in out.getvalue()


class Terminal(io.StringIO):
    """An output stream that says it is a terminal."""

    def isatty(self) -> bool:
        return True


def test_a_terminal_is_cleared_before_each_run_and_a_pipe_is_not(
    katas: list[Kata], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TERM", "xterm-256color")
    adder = katas[0]
    for out, cleared in ((Terminal(), True), (io.StringIO(), False)):
        script = Script({"adder": [result_of(adder, 0), result_of(adder, 2)]}, saves=[True])
        watch_katas(script.watch(out), katas, adder, {"summer", "tripler"})
        assert out.getvalue().count("\033[2J") == (2 if cleared else 0)


# --- finding the current kata, and Ctrl-C --------------------------------------------------------


@pytest.fixture
def graded_calls(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """Fakes grading (adder green, the others red) and waiting (quits at once); records grading."""
    calls: list[list[str]] = []

    def fake_graded(root: Path, katas: list[Kata], target: str, label: str) -> list[KataResult]:
        calls.append([k.slug for k in katas])
        return [result_of(k, 2 if k.slug == "adder" else 0) for k in katas]

    monkeypatch.setattr(watch, "graded", fake_graded)
    monkeypatch.setattr(watch, "ChangeWaiter", lambda out, poll: lambda paths, stop, since: False)
    return calls


def test_without_a_name_every_kata_is_graded_once_and_the_first_not_done_is_watched(
    katas: list[Kata], graded_calls: list[list[str]]
) -> None:
    out = io.StringIO()
    assert watch.start(katas[0].root, None, "katas", False, out) == watch.INTERRUPTED
    # Then summer is run again at once (the ledger answers that from its cache).
    assert graded_calls == [["adder", "summer", "tripler"], ["summer"]]
    assert "01.02 summer: Adding numbers\n0/2 core tests passing" in out.getvalue()


def test_a_named_kata_is_graded_alone(katas: list[Kata], graded_calls: list[list[str]]) -> None:
    out = io.StringIO()
    assert watch.start(katas[0].root, "tripler", "katas", False, out) == watch.INTERRUPTED
    assert graded_calls == [["tripler"]]


def test_when_every_kata_is_green_at_the_start_it_says_so_and_ends_with_0(
    katas: list[Kata], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        watch, "graded", lambda root, ks, target, label: [result_of(k, 2) for k in ks]
    )
    out = io.StringIO()
    assert watch.start(katas[0].root, None, "katas", False, out) == 0
    assert out.getvalue().rstrip().endswith("Every kata is green. Well done!")


def test_ctrl_c_says_goodbye_in_one_line_and_exits_130(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def interrupted(*args: object) -> int:
        raise KeyboardInterrupt

    monkeypatch.setattr(watch, "start", interrupted)
    assert watch.main(Path("."), None, "katas", False) == 130
    out, err = capsys.readouterr()
    assert out.strip().splitlines() == [
        "Stopped watching. Run `grader watch` to pick up where you left off."
    ]
    assert err == ""


# --- the watchers, on real files ------------------------------------------------------------------


@pytest.fixture
def module(tmp_path: Path) -> list[Path]:
    """A kata folder with a stub, its tests and an editor's swap file; the learner paths."""
    folder = tmp_path / "01_adder"
    folder.mkdir()
    (folder / "adder.py").write_text("x = 1\n", encoding="utf-8")
    (folder / "test_adder.py").write_text("y = 1\n", encoding="utf-8")
    return [folder / "adder.py", folder / "adder"]


@contextlib.contextmanager
def later(seconds: float, action: Callable[[], object]) -> Iterator[None]:
    """Runs `action` in `seconds` on a timer thread; joins it afterwards."""
    timer = threading.Timer(seconds, action)
    timer.start()
    try:
        yield
    finally:
        timer.cancel()
        timer.join()


def test_the_snapshot_sees_the_stub_and_the_package_but_not_by_products(
    module: list[Path],
) -> None:
    stub, package = module
    (package / "__pycache__").mkdir(parents=True)
    (package / "__init__.py").write_text("", encoding="utf-8")
    (package / "__pycache__" / "models.cpython-311.pyc").write_bytes(b"")
    (package / ".models.py.swp").write_bytes(b"")
    (package / "models.py~").write_bytes(b"")
    assert sorted(snapshot(module)) == [str(stub), str(package / "__init__.py")]
    before = snapshot(module)
    (package / "__init__.py").write_text("changed = True\n", encoding="utf-8")
    assert snapshot(module) != before


def test_a_kata_folder_missing_from_the_tree_is_watched_from_its_nearest_parent(
    tmp_path: Path,
) -> None:
    missing = tmp_path / "01_basics" / "01_adder"
    assert watch.watch_roots([missing / "adder.py", missing / "adder"]) == [tmp_path]


def test_polling_notices_a_save(module: list[Path]) -> None:
    stub = module[0]
    since = snapshot(module)
    started = time.monotonic()
    with later(0.3, lambda: stub.write_text("x = 2\n", encoding="utf-8")):
        assert poll_for_change(module, threading.Event(), since) is True
    assert time.monotonic() - started < GENEROUS


def test_polling_ends_when_told_to_stop(module: list[Path]) -> None:
    stop = threading.Event()
    with later(0.3, stop.set):
        assert poll_for_change(module, stop, snapshot(module)) is False


def test_polling_waits_out_a_burst_of_saves(module: list[Path]) -> None:
    # An editor writes three times in a row: the wait ends once the files stay the same.
    looks: list[Stamp] = [{"a": (1, 1, 1)}, {"a": (1, 1, 1)}, {"a": (2, 1, 1)}, {"a": (3, 1, 1)}]
    looks += [{"a": (4, 1, 1)}] * 3
    seen: list[Stamp] = []

    def look(paths: Sequence[Path]) -> Stamp:
        seen.append(looks[len(seen)])
        return seen[-1]

    since = looks[0]
    assert poll_for_change(module, threading.Event(), since, look, interval=0.001) is True
    assert len(seen) == 6  # unchanged twice, then 2, 3, 4 and 4 again: quiet


def test_a_burst_that_never_ends_is_cut_short(module: list[Path]) -> None:
    counter = iter(range(10**9))
    started = time.monotonic()
    settle(module, threading.Event(), lambda paths: {"a": (next(counter), 0, 0)}, 0.001, 0.05)
    assert time.monotonic() - started < GENEROUS


@pytest.mark.parametrize(
    "wait",
    [pytest.param(poll_for_change, id="polling"), pytest.param(events_for_change, id="events")],
)
def test_a_save_made_before_the_wait_began_counts(
    module: list[Path], wait: Callable[[Sequence[Path], threading.Event, Stamp], bool]
) -> None:
    since = snapshot(module)  # what the last run graded
    module[0].write_text("x = 2\n", encoding="utf-8")  # saved while the result was printed
    os.utime(module[0], ns=(0, 0))
    assert wait(module, threading.Event(), since) is True


def test_file_events_notice_a_save_of_the_stub_or_the_package(module: list[Path]) -> None:
    stub, package = module
    with later(0.3, lambda: stub.write_text("x = 2\n", encoding="utf-8")):
        assert events_for_change(module, threading.Event(), snapshot(module)) is True

    def make_package() -> None:
        package.mkdir()
        (package / "__init__.py").write_text("x = 3\n", encoding="utf-8")

    with later(0.3, make_package):
        assert events_for_change(module, threading.Event(), snapshot(module)) is True


def test_file_events_ignore_other_files_of_the_kata(module: list[Path]) -> None:
    stop = threading.Event()
    tests = module[0].parent / "test_adder.py"

    def edit_the_tests_then_stop() -> None:
        tests.write_text("y = 2\n", encoding="utf-8")
        (module[0].parent / ".adder.py.swp").write_bytes(b"swap")
        time.sleep(1.5)
        stop.set()

    with later(0.2, edit_the_tests_then_stop):
        assert events_for_change(module, stop, snapshot(module)) is False


def test_the_waiter_falls_back_to_polling_when_file_events_cannot_start(
    module: list[Path],
) -> None:
    calls: list[str] = []

    def broken_events(paths: Sequence[Path], stop: threading.Event, since: Stamp) -> bool:
        calls.append("events")
        raise OSError("inotify watch limit reached")

    def polling(paths: Sequence[Path], stop: threading.Event, since: Stamp) -> bool:
        calls.append("poll")
        return True

    out = io.StringIO()
    waiter = ChangeWaiter(out, poll=False, events=broken_events, polling=polling)
    assert waiter(module, threading.Event(), {}) is True
    assert waiter(module, threading.Event(), {}) is True
    assert calls == ["events", "poll", "poll"]
    assert "inotify watch limit reached" in out.getvalue()
    assert "polling instead" in out.getvalue()


def test_the_waiter_polls_without_trying_events_when_asked(module: list[Path]) -> None:
    def no_events(paths: Sequence[Path], stop: threading.Event, since: Stamp) -> bool:
        raise AssertionError("file events were used")

    waiter = ChangeWaiter(
        io.StringIO(), poll=True, events=no_events, polling=lambda paths, stop, since: True
    )
    assert waiter(module, threading.Event(), {}) is True


# --- the command, end to end ----------------------------------------------------------------------


class Lines:
    """A subprocess's stdout, read on a thread: each line with the time it arrived."""

    def __init__(self, stream: IO[str]) -> None:
        self.queue: queue.Queue[tuple[float, str]] = queue.Queue()
        self.seen: list[str] = []
        self.thread = threading.Thread(target=self.pump, args=(stream,), daemon=True)
        self.thread.start()

    def pump(self, stream: IO[str]) -> None:
        for line in stream:
            self.queue.put((time.monotonic(), line.rstrip("\n")))

    def expect(self, text: str, timeout: float = 180.0) -> float:
        """Waits for a line holding `text`; returns when it arrived."""
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                arrived, line = self.queue.get(timeout=left)
            except queue.Empty:
                break
            self.seen.append(line)
            if text in line:
                return arrived
        output = "\n".join(self.seen)
        raise AssertionError(f"no line with {text!r} in {timeout:.0f} s; output:\n{output}")


@dataclass
class Watcher:
    """`python -m grader watch ARGS` running in the suite's folder: its output, line by line."""

    process: subprocess.Popen[str]
    lines: Lines
    stderr: Path

    def interrupt(self) -> int:
        """Ctrl-C: sends SIGINT and waits for the exit status."""
        self.process.send_signal(signal.SIGINT)
        return self.process.wait(timeout=60)

    def errors(self) -> str:
        """What it wrote to stderr."""
        return self.stderr.read_text(encoding="utf-8")


@contextlib.contextmanager
def watching(root: Path, *args: str) -> Iterator[Watcher]:
    """Starts the watcher on the suite; kills it afterwards whatever happened."""
    stderr = root.parent / "watch.stderr"
    with stderr.open("w", encoding="utf-8") as err:
        process = subprocess.Popen(
            [sys.executable, "-m", "grader", "watch", "--root", str(root), *args],
            cwd=root,
            stdout=subprocess.PIPE,
            stderr=err,
            text=True,
            env={k: v for k, v in os.environ.items() if not k.startswith("WATCHFILES_")},
        )
    lines = Lines(process.stdout)  # type: ignore[arg-type]
    try:
        yield Watcher(process, lines, stderr)
    finally:
        process.kill()
        process.wait()
        lines.thread.join(timeout=10)
        process.stdout.close()  # type: ignore[union-attr]


def save_solution(path: Path) -> float:
    """Writes the reference solution over the learner's stub; returns when it started to."""
    started = time.monotonic()
    path.write_text(REFERENCE, encoding="utf-8")
    return started


@pytest.fixture
def three_katas(make_suite: Callable[..., Suite]) -> Suite:
    """adder solved by the learner; summer and tripler still stubs."""
    suite = make_suite(
        KataFiles("adder"), KataFiles("summer", number=2), KataFiles("tripler", number=3)
    )
    (suite.root / "katas/01_basics/01_adder/adder.py").write_text(REFERENCE, encoding="utf-8")
    return suite


@pytest.mark.parametrize(
    "args", [pytest.param([], id="file-events"), pytest.param(["--poll"], id="polling")]
)
def test_watch_reruns_on_save_turns_green_moves_on_and_quits_on_ctrl_c(
    three_katas: Suite, args: list[str]
) -> None:
    root = three_katas.root
    with watching(root, *args) as watcher:
        lines = watcher.lines
        lines.expect("Grading every kata")
        lines.expect("First failing test: test_adds_two_numbers")  # summer: the first not done
        lines.expect("Watching katas/01_basics/02_summer/summer.py")
        saved = save_solution(root / "katas/01_basics/02_summer/summer.py")
        reaction = lines.expect("Saved: running 01.02 summer again") - saved
        print(f"\n{args or ['events']}: save to first output in {reaction:.3f} s")
        lines.expect("Green: every test passes")
        lines.expect("On to the next kata: 01.03 tripler")
        lines.expect("Watching katas/01_basics/03_tripler/tripler.py")
        status = watcher.interrupt()
        lines.expect("Stopped watching", timeout=10)
    assert reaction < GENEROUS
    assert status == 130, watcher.errors()
    assert "Traceback" not in watcher.errors()


def test_ctrl_c_during_a_run_quits_cleanly(make_suite: Callable[..., Suite]) -> None:
    root = make_suite(KataFiles("adder")).root
    with watching(root, "adder", "--poll") as watcher:
        watcher.lines.expect("Running 01.01 adder")
        status = watcher.interrupt()
        watcher.lines.expect("Stopped watching", timeout=10)
    assert status == 130, watcher.errors()
    assert "Traceback" not in watcher.errors()


def test_watch_ends_with_0_when_every_kata_is_green(make_suite: Callable[..., Suite]) -> None:
    root = make_suite(KataFiles("adder")).root
    save_solution(root / "katas/01_basics/01_adder/adder.py")
    with watching(root, "--poll") as watcher:
        watcher.lines.expect("Every kata is green")
        assert watcher.process.wait(timeout=180) == 0, watcher.errors()

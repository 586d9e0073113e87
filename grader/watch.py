"""`grader watch [SLUG]`: reruns the current kata whenever you save it, rustlings-style.

The current kata is the one named, or else the first one not done. Each run shows its first
failing test (what `grader run` shows); a save of the kata's module (`<slug>.py`, or the package
`<slug>/`, in the target tree) runs it again, and a green kata hands over to the next one not done.
The loop (`watch_katas`) takes its grading, its waiting for a save, its output and its clock as
arguments, so it is tested without pytest or real file events; `main` plugs in the real ones:
`grading.grade_for` (as `grader` grades: through the ledger), and OS file events through
`watchfiles` or, with `--poll` or when those cannot start, a look at the files' mtimes and sizes
every 0.2 s.
"""

import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

import watchfiles

from grader.catalog import Kata, discover, next_on_path, select
from grader.display import ProgressBar, paint
from grader.grading import KataResult, grade_for
from grader.run import render
from grader.targets import resolve_target

POLL_INTERVAL = 0.2  # seconds between two looks at the files when polling
QUIET = 0.1  # seconds without a write that end a burst of saves (editors write several times)
MAX_BURST = 1.0  # seconds a burst of saves is waited out at most before the run starts
INTERRUPTED = 130  # the exit status of a program stopped by Ctrl-C (128 + SIGINT)

GradeOne = Callable[[Kata], KataResult]
Stamp = dict[str, tuple[int, int, int]]  # file -> (mtime_ns, size, inode)
WaitForChange = Callable[[Sequence[Path], threading.Event, Stamp], bool]
Clock = Callable[[], float]

IGNORE = watchfiles.DefaultFilter()  # editors' swap and backup files, bytecode, __pycache__


def learner_files(kata: Kata, tree: Path) -> list[Path]:
    """The kata's module in `tree` (a folder laid out like katas/): `<slug>.py` and `<slug>/`."""
    folder = tree / kata.rel
    return [folder / f"{kata.slug}.py", folder / kata.slug]


def is_learner_file(path: Path, paths: Sequence[Path]) -> bool:
    """`path` is one of `paths` or inside one, and not an editor's or Python's by-product."""
    for learner in paths:
        if path == learner or learner in path.parents:
            # Only the part below the kata's folder is judged: the suite may live anywhere.
            return IGNORE(watchfiles.Change.modified, str(path.relative_to(learner.parent)))
    return False


def snapshot(paths: Sequence[Path]) -> Stamp:
    """The mtime, size and inode of every learner file under `paths`; a missing one is absent."""
    files = [f for p in paths for f in ([p] if p.is_file() else sorted(p.rglob("*")))]
    stamp: Stamp = {}
    for file in files:
        try:
            stat = file.stat()
        except OSError:  # deleted between the listing and now
            continue
        if file.is_file() and is_learner_file(file, paths):
            stamp[str(file)] = (stat.st_mtime_ns, stat.st_size, stat.st_ino)
    return stamp


def settle(
    paths: Sequence[Path],
    stop: threading.Event,
    look: Callable[[Sequence[Path]], Stamp] = snapshot,
    quiet: float = POLL_INTERVAL,
    limit: float = MAX_BURST,
) -> None:
    """Waits out a burst of saves: until the files stay unchanged for `quiet` s, or `limit` s."""
    last = look(paths)
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline and not stop.wait(quiet):
        now = look(paths)
        if now == last:
            return
        last = now


def poll_for_change(
    paths: Sequence[Path],
    stop: threading.Event,
    since: Stamp,
    look: Callable[[Sequence[Path]], Stamp] = snapshot,
    interval: float = POLL_INTERVAL,
) -> bool:
    """Looks at the files every `interval` s: True once they differ from `since`, False on stop."""
    while look(paths) == since:
        if stop.wait(interval):
            return False
    settle(paths, stop, look, quiet=interval)
    return True


def watch_roots(paths: Sequence[Path]) -> list[Path]:
    """The folders to watch for `paths`: each one's nearest existing parent folder."""
    roots: list[Path] = []
    for path in paths:
        folder = path.parent
        while not folder.is_dir() and folder != folder.parent:
            folder = folder.parent
        if folder not in roots:
            roots.append(folder)
    return roots


def events_for_change(paths: Sequence[Path], stop: threading.Event, since: Stamp) -> bool:
    """Waits on OS file events: True once a learner file changed (and settled), False on stop.

    Raises OSError or RuntimeError when the event watcher cannot start. Files that differ from
    `since` count as changed at once; a save made while the watcher starts is seen at its next
    half-second timeout, when the files are compared with `since` again.
    """
    if snapshot(paths) != since:
        return True
    for changes in watchfiles.watch(
        *watch_roots(paths),
        watch_filter=lambda _change, path: is_learner_file(Path(path), paths),
        debounce=int(MAX_BURST * 1000),
        step=int(QUIET * 1000),
        stop_event=stop,
        rust_timeout=500,
        yield_on_timeout=True,
    ):
        if changes or snapshot(paths) != since:
            return True
    return False


@dataclass
class ChangeWaiter:
    """The real `wait_for_change`: OS file events, or polling with --poll or when events fail."""

    out: TextIO
    poll: bool = False
    events: WaitForChange = events_for_change
    polling: WaitForChange = poll_for_change

    def __call__(self, paths: Sequence[Path], stop: threading.Event, since: Stamp) -> bool:
        """Blocks until the files under `paths` differ from `since` (True) or on stop (False)."""
        if not self.poll:
            try:
                return self.events(paths, stop, since)
            except (OSError, RuntimeError) as error:
                self.poll = True
                say(self.out, f"File events are not available ({error}): polling instead.")
        return self.polling(paths, stop, since)


@dataclass
class Watch:
    """What the watch loop runs on; each piece can be replaced in a test."""

    grade_one: GradeOne
    wait_for_change: WaitForChange
    files: Callable[[Kata], list[Path]]
    out: TextIO
    clock: Clock = time.monotonic
    stop: threading.Event = field(default_factory=threading.Event)


def say(out: TextIO, text: str) -> None:
    """Writes a line and flushes it, so a pipe shows it at once."""
    out.write(text + "\n")
    out.flush()


def shown_path(path: Path) -> str:
    """`path` relative to the current folder when it is below it, else as it is."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def report(result: KataResult, seconds: float) -> str:
    """One run's text: the score and the first failing test with a hint offered, or green news."""
    kata = result.kata
    took = paint(f"(ran in {seconds:.1f} s)", "dim")
    if result.done:
        stretch = ""
        if not result.complete:
            left = result.stretch_total - result.stretch_passed
            stretch = f" {left} stretch tests to go: `grader watch {kata.slug} --stretch`."
        return "\n".join(
            [
                f"{kata.id}: {kata.title}",
                f"{result.core_passed}/{result.core_total} core tests passing"
                + (
                    f", {result.stretch_passed}/{result.stretch_total} stretch"
                    if result.stretch_tests
                    else ""
                ),
                "",
                paint(
                    "Green: every test passes." if result.complete else "Green: the core passes.",
                    "green",
                )
                + f"{stretch} {took}",
            ]
        )
    text = render(result)
    if not result.collect_errors and result.first_failure is None:
        text += "\n\n" + paint(result.message, "red")  # pytest ran no test: say why
    if "Stuck?" not in text:
        text += f"\nStuck? grader hint {kata.slug}"
    return f"{text}\n{took}"


@dataclass(frozen=True)
class Run:
    """One grading of the current kata: its result, how long it took, the files it graded."""

    result: KataResult
    seconds: float
    files: Stamp


def run_kata(watch: Watch, kata: Kata, paths: Sequence[Path]) -> Run:
    """Grades the kata, again at once if its files changed during the run."""
    while True:
        before = snapshot(paths)
        started = watch.clock()
        result = watch.grade_one(kata)
        seconds = watch.clock() - started
        if snapshot(paths) == before:
            return Run(result, seconds, before)
        say(watch.out, f"{kata.slug} changed during the run: running it again...")


def clear_screen(out: TextIO) -> None:
    """Clears a terminal before a run, as rustlings does; nothing on a pipe or a file."""
    if out.isatty() and os.environ.get("TERM") != "dumb":
        out.write("\033[2J\033[H")


def follow(watch: Watch, kata: Kata, stretch: bool = False) -> bool:
    """Runs the kata, and again on every save: True once it is done (with `stretch`: once every
    stretch test passes too), False on stop."""
    paths = watch.files(kata)
    shown = shown_path(paths[0]) + "".join(f" (or {p.name}/)" for p in paths[1:])
    heading = f"Running {kata.id}..."
    while True:
        clear_screen(watch.out)
        say(watch.out, heading)
        run = run_kata(watch, kata, paths)
        say(watch.out, report(run.result, run.seconds))
        if run.result.complete or (run.result.done and not stretch):
            return True
        say(watch.out, "")
        say(watch.out, paint(f"Watching {shown}: save to run again, Ctrl-C to quit.", "dim"))
        if not watch.wait_for_change(paths, watch.stop, run.files):
            return False
        heading = f"Saved: running {kata.id} again..."


def next_kata(katas: Sequence[Kata], current: Kata, done: set[str]) -> Kata | None:
    """The next kata on the learning path (prerequisites first, then the easiest), not done."""
    return next_on_path(list(katas), done | {current.slug})


def watch_katas(
    watch: Watch,
    katas: Sequence[Kata],
    start: Kata,
    done: set[str] | None = None,
    stretch: bool = False,
) -> int:
    """Follows `start`, then each kata not done in turn: 0 when every kata is done, 130 on stop.

    `done` holds the slugs already known to be green: they are not run again.
    """
    done = set(done or ())
    kata: Kata | None = start
    while kata is not None:
        if not follow(watch, kata, stretch and kata is start):
            return INTERRUPTED
        done.add(kata.slug)
        kata = next_kata(katas, kata, done)
        if kata is not None:
            say(watch.out, f"\nOn to the next kata: {kata.id}: {kata.title}")
    say(watch.out, "")
    say(watch.out, paint("Every kata is green. Well done!", "green"))
    return 0


def graded(root: Path, katas: list[Kata], target: str, label: str) -> list[KataResult]:
    """Grades the katas as `grader` does (through the ledger), with a progress bar on a terminal."""
    progress_bar = ProgressBar(label)
    try:
        return grade_for(root, katas, target, on_event=progress_bar)
    finally:
        progress_bar.close()


def start(
    root: Path, slug: str | None, target: str, poll: bool, out: TextIO, stretch: bool = False
) -> int:
    """Finds the current kata (grading every kata unless one is named) and watches from it."""
    katas = discover(root)
    tree = resolve_target(target, root)
    watch = Watch(
        grade_one=lambda kata: graded(root, [kata], target, "running")[0],
        wait_for_change=ChangeWaiter(out, poll),
        files=lambda kata: learner_files(kata, tree),
        out=out,
    )
    if slug is not None:
        return watch_katas(watch, katas, select(katas, [slug])[0], stretch=stretch)
    say(out, "Grading every kata to find where you are...")
    results = graded(root, katas, target, "grading")
    current = next_on_path(katas, {r.kata.slug for r in results if r.done})
    if current is None:
        say(out, paint("Every kata is green. Well done!", "green"))
        return 0
    # The current kata is run again at once: the ledger answers from its cache unless the
    # learner saved meanwhile, and then the run is of what they saved.
    return watch_katas(watch, katas, current, {r.kata.slug for r in results if r.done})


def main(root: Path, slug: str | None, target: str, poll: bool, stretch: bool = False) -> int:
    """Watches until every kata is green (0); Ctrl-C quits with a goodbye (130)."""
    # A process started from a non-interactive shell's background job inherits SIGINT ignored,
    # and Python then never raises KeyboardInterrupt: watch mode must always stop on Ctrl-C.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        status = start(root, slug, target, poll, sys.stdout, stretch)
    except KeyboardInterrupt:
        status = INTERRUPTED
    if status == INTERRUPTED:
        say(sys.stdout, "\nStopped watching. Run `grader watch` to pick up where you left off.")
    return status

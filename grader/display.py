"""Terminal helpers: a progress bar for runs, and colour only where a terminal shows it."""

import os
import sys
from typing import TextIO

from grader.runner import Event


def use_colour(stream: TextIO) -> bool:
    """Colour on a terminal, unless NO_COLOR is set."""
    return stream.isatty() and "NO_COLOR" not in os.environ


def paint(text: str, colour: str, stream: TextIO | None = None) -> str:
    """`text` in green, red, yellow or dim when the stream (stdout by default) is a terminal."""
    stream = stream or sys.stdout
    codes = {"green": "32", "red": "31", "yellow": "33", "dim": "2", "bold": "1"}
    return f"\033[{codes[colour]}m{text}\033[0m" if use_colour(stream) else text


def bar(done: int, total: int, width: int = 30) -> str:
    """`[#########.....]` for done out of total."""
    filled = round(width * done / total) if total else 0
    return "[" + "#" * filled + "." * (width - filled) + "]"


class ProgressBar:
    """Draws tests done out of collected on stderr while a run goes on (terminals only)."""

    def __init__(self, label: str, stream: TextIO | None = None) -> None:
        self.label = label
        self.stream = stream or sys.stderr
        self.total = 0
        self.done = 0
        self.failed = 0
        self.enabled = self.stream.isatty()

    def __call__(self, event: Event) -> None:
        """Takes one plugin event and redraws."""
        if event["event"] == "collected":
            self.total = len(event["tests"])
        elif event["event"] == "test":
            self.done += 1
            self.failed += event["status"] in ("fail", "error")
        if self.enabled and self.total:
            self.stream.write(
                f"\r{self.label} {bar(self.done, self.total)} {self.done}/{self.total} tests"
            )
            self.stream.flush()

    def close(self) -> None:
        """Clears the bar's line."""
        if self.enabled and self.total:
            self.stream.write("\r" + " " * 80 + "\r")
            self.stream.flush()

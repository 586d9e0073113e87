"""Command-line parsing for `grader`; each command lives in its own module."""

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from grader import __version__
from grader.catalog import find_root


def parser() -> argparse.ArgumentParser:
    """The grader's arguments."""
    top = argparse.ArgumentParser(
        prog="grader",
        description="Shows your progress through the katas (no command), or runs a command.",
    )
    top.add_argument("--version", action="version", version=f"grader {__version__}")
    top.add_argument(
        "--root",
        type=Path,
        default=None,
        help="the suite's folder (default: found upwards from here)",
    )
    top.add_argument(
        "--target",
        default="katas",
        help="whose solutions: 'katas' (yours, default), 'reference', or a learner's folder",
    )
    top.add_argument(
        "--json",
        action="store_true",
        help="print results as JSON (Exercism results.json v3 fields)",
    )
    top.add_argument(
        "--junit", type=Path, default=None, help="also write JUnit XML results to this file"
    )
    commands = top.add_subparsers(dest="command")

    run = commands.add_parser("run", help="run one kata and show its first failing test")
    run.add_argument("slug")
    hint = commands.add_parser("hint", help="the next level of hints for a kata's failing task")
    hint.add_argument("slug")
    hint.add_argument("--task", type=int, default=None, help="hints for this task")
    hint.add_argument("--all", action="store_true", help="every level of every task")
    reset = commands.add_parser("reset", help="put the shipped stub back (yours is backed up)")
    reset.add_argument("slug")
    solution = commands.add_parser("solution", help="the reference as a diff, once you are green")
    solution.add_argument("slug")
    commands.add_parser(
        "manifest", help="maintainers: rebuild grader/manifest.json and the README's kata table"
    )
    review = commands.add_parser(
        "review", help="mentors: review a learner's checkout, or a folder of checkouts"
    )
    review.add_argument("path", type=Path)
    review.add_argument("--html", type=Path, default=None, help="also write the report as HTML")
    review.add_argument(
        "--out", type=Path, default=None, help="for a class: where to write the reports (./review)"
    )
    check = commands.add_parser(
        "check", help="the maintainers' gate over every kata (or those named)"
    )
    check.add_argument("slugs", nargs="*")
    watch = commands.add_parser("watch", help="rerun a kata on every save, then go on to the next")
    watch.add_argument("slug", nargs="?", default=None, help="default: the first kata not done")
    watch.add_argument("--poll", action="store_true", help="look at the files every 0.2 s")
    watch.add_argument(
        "--stretch", action="store_true", help="stay on the named kata until its stretch tasks pass"
    )
    mutate = commands.add_parser(
        "mutate", help="maintainers: mutation testing of katas' tests against their references"
    )
    mutate.add_argument("slugs", nargs="+", help="katas (slugs or sections) to mutate")
    mutate.add_argument("--jobs", type=int, default=0, help="mutants at once (default: cores)")
    mutate.add_argument(
        "--budget", type=float, default=1800, help="seconds per kata; the rest are not run"
    )
    mutate.add_argument("--max", type=int, default=0, help="a seeded sample of this many mutants")
    mutate.add_argument("--seed", type=int, default=0, help="the sample's seed (default 0)")
    mutate.add_argument("--only", default="", help="only mutants whose id matches this regex")
    mutate.add_argument(
        "--timeout",
        type=float,
        default=0,
        help="seconds per test (default: 3x the reference's run, at least 30)",
    )
    mutate.add_argument(
        "--list", action="store_true", help="list the mutants' ids and changes; run nothing"
    )
    for sub in (run, hint, check, reset, solution, review, watch, mutate):
        sub.add_argument("--root", type=Path, default=argparse.SUPPRESS)
        sub.add_argument("--target", default=argparse.SUPPRESS)
    return top


def main(argv: Sequence[str] | None = None) -> int:
    """Parses the arguments and runs the command; returns the exit status."""
    args = parser().parse_args(argv)
    try:
        root = (args.root or find_root()).resolve()
    except FileNotFoundError as error:
        print(f"grader: {error}", file=sys.stderr)
        return 2
    try:
        if args.command == "run":
            from grader import run

            return run.main(root, args.slug, args.target)
        if args.command == "hint":
            from grader import hint

            return hint.main(root, args.slug, args.task, args.all)
        if args.command == "reset":
            from grader import reset

            return reset.main(root, args.slug)
        if args.command == "solution":
            from grader import solution

            return solution.main(root, args.slug)
        if args.command == "review":
            from grader import review

            return review.main(root, args.path, args.out, args.html)
        if args.command == "manifest":
            from grader import manifest, readme_table

            print(f"wrote {manifest.write(root)}")
            print(f"README.md: {readme_table.refresh(root)} katas ready in its table")
            return 0
        if args.command == "check":
            from grader import check

            return check.main(root, args.slugs)
        if args.command == "mutate":
            from grader import mutate

            if args.list:
                return mutate.list_mutants(root, args.slugs, args.only)
            return mutate.main(
                root,
                args.slugs,
                args.jobs,
                args.budget,
                args.max,
                args.seed,
                args.only,
                args.timeout,
            )
        if args.command == "watch":
            from grader import watch

            return watch.main(root, args.slug, args.target, args.poll, args.stretch)
        from grader import progress

        return progress.main(root, [], args.target, args.json, args.junit)
    except KeyError as error:
        print(
            f"grader: no kata named {error.args[0]!r} (see `grader` for the list)", file=sys.stderr
        )
        return 2

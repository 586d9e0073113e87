"""Builds trees of known-wrong variants: the reference with one mistake applied per kata."""

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from grader.catalog import Kata
from grader.rules import mistakes_of


@dataclass(frozen=True)
class MistakeRound:
    """One tree laid out like katas/, where each kata listed carries one of its mistakes."""

    tree: Path
    applied: dict[str, Path]  # slug -> the mistake applied in this tree
    failed_to_apply: dict[str, tuple[Path, str]]  # slug -> (mistake, git's message)


def apply_patch(diff: Path, folder: Path) -> str | None:
    """Applies a unified diff inside `folder` with `git apply`; git's error, or None on success."""
    # GIT_CEILING_DIRECTORIES keeps git from treating `folder` as part of an enclosing repository,
    # where it would resolve the diff's paths against that repository's top instead.
    env = {**os.environ, "GIT_CEILING_DIRECTORIES": str(folder.parent)}
    result = subprocess.run(
        ["git", "apply", "-p1", "--whitespace=nowarn", str(diff.resolve())],
        cwd=folder,
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    return None if result.returncode == 0 else (result.stderr or result.stdout).strip()


def build_rounds(katas: list[Kata], scratch: Path) -> list[MistakeRound]:
    """Round k holds the k-th mistake of every kata that has one: one pytest run per round."""
    rounds = []
    depth = max((len(mistakes_of(k)) for k in katas), default=0)
    for index in range(depth):
        tree = scratch / f"round{index + 1}"
        applied: dict[str, Path] = {}
        failed: dict[str, tuple[Path, str]] = {}
        for kata in katas:
            mistakes = mistakes_of(kata)
            if index >= len(mistakes):
                continue
            folder = tree / kata.rel
            shutil.copytree(
                kata.reference_path,
                folder,
                ignore=shutil.ignore_patterns("mistakes", "__pycache__"),
            )
            error = apply_patch(mistakes[index], folder)
            if error is None:
                applied[kata.slug] = mistakes[index]
            else:
                failed[kata.slug] = (mistakes[index], error)
                shutil.rmtree(folder)
        rounds.append(MistakeRound(tree, applied, failed))
    return rounds

"""The check's static rules: files, slugs, README tasks, hints, stub and reference API."""

import importlib.util
import keyword
import sys
from pathlib import Path

from grader import manifest
from grader.catalog import Kata
from grader.signatures import api_differences, module_files

MIN_MISTAKES = 2
MAX_DIFFICULTY = 5


def library_named(slug: str) -> str | None:
    """Where an importable module of that name lives (stdlib or installed), or None."""
    if slug in sys.stdlib_module_names or slug in sys.builtin_module_names:
        return "the standard library"
    spec = importlib.util.find_spec(slug)
    if spec is None:
        return None
    return spec.origin or "an installed namespace package"


def mistakes_of(kata: Kata) -> list[Path]:
    """The kata's known-wrong variants, by name."""
    return sorted((kata.reference_path / "mistakes").glob("*.diff"))


def file_problems(kata: Kata) -> list[str]:
    """Missing files and folders."""
    problems = []
    for required in ("README.md", f"test_{kata.slug}.py"):
        if not (kata.path / required).is_file():
            problems.append(f"missing katas/{kata.rel}/{required}")
    if not kata.meta_file.is_file():
        problems.append(f"missing reference/{kata.rel}/kata.toml")
    if (kata.path / "kata.toml").exists():
        # Hints and mentor notes belong beside the reference: `cat` must not reveal them all.
        problems.append(f"katas/{kata.rel}/kata.toml puts the hints on the learner's path")
    if not (kata.root / "katas" / kata.section / "README.md").is_file():
        problems.append(f"missing the section README katas/{kata.section}/README.md")
    if not module_files(kata.path, kata.slug):
        problems.append(
            f"missing the stub katas/{kata.rel}/{kata.slug}.py (or package {kata.slug}/)"
        )
    if not module_files(kata.reference_path, kata.slug):
        problems.append(f"missing the reference reference/{kata.rel}/{kata.slug}.py")
    count = len(mistakes_of(kata))
    if count < MIN_MISTAKES:
        problems.append(
            f"{count} mistakes in reference/{kata.rel}/mistakes/ (at least {MIN_MISTAKES})"
        )
    for mistake in mistakes_of(kata):
        first = mistake.read_text(encoding="utf-8").splitlines()[:1]
        if not first or not first[0].startswith("# ") or len(first[0]) < 20:
            problems.append(f"mistake {mistake.name} does not start with a '# ' line explaining it")
    return problems


def slug_problems(kata: Kata, all_katas: list[Kata]) -> list[str]:
    """A slug must be an identifier, unique, and not the name of an importable library."""
    problems = []
    if not kata.slug.isidentifier() or keyword.iskeyword(kata.slug):
        problems.append(f"slug {kata.slug!r} is not a valid identifier")
    twins = [k for k in all_katas if k.slug == kata.slug and k != kata]
    problems += [f"slug {kata.slug!r} is also used by katas/{k.rel}" for k in twins]
    library = library_named(kata.slug)
    if library:
        problems.append(f"slug {kata.slug!r} shadows an importable library ({library})")
    return problems


def readme_problems(kata: Kata) -> list[str]:
    """The README needs a title, numbered tasks and the sections a learner relies on."""
    readme = kata.path / "README.md"
    if not readme.is_file():
        return []
    text = readme.read_text(encoding="utf-8")
    problems = [] if kata.title else ["README has no '# ' title"]
    if not kata.tasks:
        problems.append("README has no '## Tasks' with '### 1. ...' headings")
    elif sorted(kata.tasks) != list(range(1, len(kata.tasks) + 1)):
        problems.append(f"README tasks are not numbered 1..n: {sorted(kata.tasks)}")
    if kata.stretch and min(kata.stretch) <= max(kata.core, default=0):
        problems.append(
            "README stretch tasks must come after the core tasks, numbered on from them"
        )
    for heading in ("## You will practise", "## Questions", "## Check your work"):
        if heading not in text:
            problems.append(f"README lacks '{heading}'")
    headings = [line.strip() for line in text.splitlines() if line.startswith("## ")]
    if "## Tasks" in headings:
        # Tasks first, tight: the longer reading comes after them (CONTRIBUTING.md).
        late = [h for h in ("## Questions", "## Background") if h in headings]
        problems += [
            f"README puts '{h}' before '## Tasks' (tasks come first)"
            for h in late
            if headings.index(h) < headings.index("## Tasks")
        ]
    return problems


def hint_problems(kata: Kata) -> list[str]:
    """Every hint belongs to a task that exists; every task has at least one hint."""
    problems = [
        f"kata.toml has a hint for task {h.task}, which the README does not have"
        for h in kata.hints
        if h.task not in kata.tasks
    ]
    hinted = {h.task for h in kata.hints}
    problems += [f"task {t} has no hint in kata.toml" for t in kata.tasks if t not in hinted]
    return problems


def metadata_problems(kata: Kata, all_katas: list[Kata]) -> list[str]:
    """Difficulty and minutes are set; prerequisites name katas that exist."""
    if not kata.meta_file.is_file():
        return []
    problems = []
    if not 1 <= kata.difficulty <= MAX_DIFFICULTY:
        problems.append(f"kata.toml: difficulty must be 1 to {MAX_DIFFICULTY}")
    if kata.minutes <= 0:
        problems.append("kata.toml: minutes (how long the core takes a learner) must be set")
    slugs = {k.slug for k in all_katas}
    problems += [
        f"kata.toml requires {s!r}, which is no kata" for s in kata.requires if s not in slugs
    ]
    return problems


def static_problems(kata: Kata, all_katas: list[Kata]) -> list[str]:
    """Everything the check can tell without running a test."""
    problems = file_problems(kata) + slug_problems(kata, all_katas) + readme_problems(kata)
    problems += hint_problems(kata) + metadata_problems(kata, all_katas)
    stale = manifest.stale_entries(kata, manifest.load(kata.root))
    if stale:
        listed = ", ".join(stale[:3]) + (" ..." if len(stale) > 3 else "")
        problems.append(f"grader/manifest.json is stale for {listed}: run `grader manifest`")
    if module_files(kata.path, kata.slug) and module_files(kata.reference_path, kata.slug):
        problems += api_differences(kata.path, kata.reference_path, kata.slug)
    return problems

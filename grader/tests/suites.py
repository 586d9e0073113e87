"""Small kata suites, built in a temporary folder for the grader's own tests.

A suite here is laid out like the real one (pyproject.toml with the same pytest settings, the root
conftest, katas/, reference/), with katas small enough that a whole `grader check` over a dozen of
them takes seconds. Each test that needs a broken kata starts from a good one and breaks one thing.
"""

import shutil
from dataclasses import dataclass, field
from pathlib import Path

from grader import manifest

SUITE_ROOT = Path(__file__).resolve().parents[2]

PYPROJECT = """\
[tool.pytest.ini_options]
addopts = ["-p", "grader.targets", "--import-mode=importlib", "--strict-markers", "-ra"]
testpaths = ["katas"]
asyncio_mode = "auto"
asyncio_default_fixture_loop_scope = "function"
asyncio_default_test_loop_scope = "function"
markers = [
    "task(n): the README task this test checks",
    "stretch: a test of a stretch task (README '## Stretch tasks'), not needed for done",
    "postgres: needs a PostgreSQL server named by KATAS_POSTGRES_URL",
    "redis: needs a Redis server named by KATAS_REDIS_URL",
]
filterwarnings = ["error"]

[tool.coverage.report]
exclude_also = ["${KATAS_COVERAGE_EXCLUDE-a^}"]

[tool.ruff]
line-length = 100
target-version = "py311"
extend-exclude = ["reference/**/mistakes"]

[tool.ruff.lint]
select = ["E", "F", "W", "I", "UP", "B"]
"""

STUB = '''\
"""Kata: add two numbers."""


def add(a: int, b: int) -> int:
    """Returns the sum of a and b."""
    # TODO(task 1): return the sum.
    raise NotImplementedError("add is not written yet")
'''

REFERENCE = '''\
"""Kata: add two numbers."""


def add(a: int, b: int) -> int:
    """Returns the sum of a and b."""
    return a + b
'''

TESTS = '''\
"""Tests for the adder kata."""

import pytest
from {slug} import add


@pytest.mark.task(1)
def test_adds_two_numbers() -> None:
    assert add(2, 3) == 5


@pytest.mark.task(1)
def test_adds_negative_numbers() -> None:
    assert add(-2, -3) == -5
'''

README = """\
# Adding numbers

Why it matters.

## You will practise
- addition

## Tasks
### 1. Add two numbers
Write `add(a, b)`.

## Questions
- Why?

## Check your work
    pytest katas/{rel}
"""

KATA_TOML = """\
concepts = ["addition"]
requires = []
difficulty = 1
minutes = 5

[[hints]]
task = 1
level = 1
text = "Use +."

[[hints]]
task = 1
level = 2
text = "return a + b"

[mentor]
objectives = ["adds"]
"""

MISTAKES = {
    "subtracts.diff": ("return a + b", "return a - b"),
    "multiplies.diff": ("return a + b", "return a * b"),
}


def mistake_diff(slug: str, reference: str, before: str, after: str, why: str) -> str:
    """A unified diff of `reference` with one line changed, headed by its explanation."""
    lines = reference.splitlines()
    index = next(i for i, line in enumerate(lines) if before in line)
    start = max(index - 3, 0)
    context = lines[start:index]
    tail = lines[index + 1 : index + 4]
    changed = lines[index].replace(before, after)
    count = len(context) + 1 + len(tail)
    body = [f" {line}" for line in context] + [f"-{lines[index]}", f"+{changed}"]
    body += [f" {line}" for line in tail]
    header = [
        f"# {why}",
        f"--- a/{slug}.py",
        f"+++ b/{slug}.py",
        f"@@ -{start + 1},{count} +{start + 1},{count} @@",
    ]
    return "\n".join(header + body) + "\n"


@dataclass
class KataFiles:
    """What one kata of a test suite is made of; every field can be broken by a test."""

    slug: str
    section: str = "01_basics"
    number: int = 1
    stub: str = STUB
    reference: str = REFERENCE
    tests: str = TESTS
    readme: str = README
    kata_toml: str = KATA_TOML
    mistakes: dict[str, tuple[str, str]] = field(default_factory=lambda: dict(MISTAKES))

    @property
    def rel(self) -> str:
        """The kata's path below katas/."""
        return f"{self.section}/{self.number:02d}_{self.slug}"


@dataclass
class Suite:
    """A kata suite on disk, and how to add katas to it."""

    root: Path

    def add(self, kata: KataFiles) -> KataFiles:
        """Writes one kata (stub side, reference side, mistakes) into the suite."""
        folder = self.root / "katas" / kata.rel
        reference = self.root / "reference" / kata.rel
        folder.mkdir(parents=True)
        (reference / "mistakes").mkdir(parents=True)
        section_readme = self.root / "katas" / kata.section / "README.md"
        if not section_readme.exists():
            section_readme.write_text(f"# Section {kata.section}\n", encoding="utf-8")
        (folder / "README.md").write_text(kata.readme.format(rel=kata.rel), encoding="utf-8")
        (reference / "kata.toml").write_text(kata.kata_toml, encoding="utf-8")
        (folder / f"{kata.slug}.py").write_text(kata.stub, encoding="utf-8")
        (folder / f"test_{kata.slug}.py").write_text(
            kata.tests.format(slug=kata.slug), encoding="utf-8"
        )
        (reference / f"{kata.slug}.py").write_text(kata.reference, encoding="utf-8")
        for name, (before, after) in kata.mistakes.items():
            why = f"A known mistake: {after} instead of {before}."
            diff = mistake_diff(kata.slug, kata.reference, before, after, why)
            (reference / "mistakes" / name).write_text(diff, encoding="utf-8")
        return kata


def build_suite(root: Path, *katas: KataFiles) -> Suite:
    """Writes a suite at `root` (pyproject.toml, the real root conftest) with the katas given."""
    root.mkdir(parents=True)
    (root / "pyproject.toml").write_text(PYPROJECT, encoding="utf-8")
    shutil.copy(SUITE_ROOT / "conftest.py", root / "conftest.py")
    (root / "katas").mkdir()
    (root / "reference").mkdir()
    suite = Suite(root)
    for kata in katas:
        suite.add(kata)
    (root / "grader").mkdir()
    manifest.write(root)
    return suite

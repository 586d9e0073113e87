"""Discovers the katas of a suite and reads their README and `kata.toml`.

A kata is a folder `katas/NN_section/NN_slug/` holding `test_<slug>.py`. What the learner must not
see before asking (hints, mentor notes) lives beside the reference solution, in
`reference/NN_section/NN_slug/kata.toml`, as Exercism keeps `.meta/` apart from the exercise.
"""

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

KATA_DIR = re.compile(r"^(\d{2})_([a-z][a-z0-9_]*)$")
TASK_HEADING = re.compile(r"^###\s+(\d+)\.\s+(.+?)\s*$")
# The README's task lists: the core a learner finishes in about an hour, then the stretch tasks.
CORE_HEADING = "## Tasks"
STRETCH_HEADING = "## Stretch tasks"


@dataclass(frozen=True)
class Hint:
    """One hint of a kata: the task it helps with, its level, its text."""

    task: int
    level: int
    text: str


@dataclass(frozen=True)
class Kata:
    """One kata: where it lives and what its README and kata.toml say."""

    root: Path  # the suite's root folder
    section: str  # "02_fastapi_core"
    folder: str  # "03_request_body"
    slug: str  # "request_body"
    title: str
    tasks: dict[int, str]
    hints: tuple[Hint, ...] = ()
    concepts: tuple[str, ...] = ()
    requires: tuple[str, ...] = ()
    mentor: dict[str, object] = field(default_factory=dict)
    stretch: frozenset[int] = frozenset()  # the tasks under "## Stretch tasks"
    difficulty: int = 0  # 1 (a first step) to 5 (a senior engineer's afternoon); 0: not rated
    minutes: int = 0  # how long the core takes a learner who has done the prerequisites
    # Mutants of the reference that behave exactly like it: mutant id -> why (for `grader mutate`).
    equivalent_mutants: dict[str, str] = field(default_factory=dict)

    @property
    def core(self) -> tuple[int, ...]:
        """The core tasks: a kata is done when their tests pass."""
        return tuple(n for n in self.tasks if n not in self.stretch)

    @property
    def rel(self) -> Path:
        """The kata's path below `katas/` (and below `reference/`)."""
        return Path(self.section, self.folder)

    @property
    def path(self) -> Path:
        """The kata's folder, the learner's: README, stub, tests and their conftest."""
        return self.root / "katas" / self.rel

    @property
    def reference_path(self) -> Path:
        """The reference solution's folder."""
        return self.root / "reference" / self.rel

    @property
    def meta_file(self) -> Path:
        """kata.toml: hints, mentor notes, difficulty; beside the reference, not the learner."""
        return self.reference_path / "kata.toml"

    @property
    def test_file(self) -> Path:
        """The kata's test module."""
        return self.path / f"test_{self.slug}.py"

    @property
    def id(self) -> str:
        """`02.03 request_body`: numbers then slug, how the grader names a kata."""
        return f"{self.section[:2]}.{self.folder[:2]} {self.slug}"


def read_title(readme: Path) -> str:
    """The README's H1, or an empty string."""
    for line in readme.read_text(encoding="utf-8").splitlines():
        if line.startswith("# "):
            return line[2:].strip()
    return ""


def read_task_sections(readme: Path) -> dict[str, dict[int, str]]:
    """`### N. Title` headings per task list ("## Tasks", "## Stretch tasks"), in order."""
    found: dict[str, dict[int, str]] = {CORE_HEADING: {}, STRETCH_HEADING: {}}
    current: dict[int, str] | None = None
    for line in readme.read_text(encoding="utf-8").splitlines():
        if line.startswith("## "):
            current = found.get(line.strip())
            continue
        match = TASK_HEADING.match(line)
        if current is not None and match:
            current[int(match.group(1))] = match.group(2)
    return found


def read_tasks(readme: Path) -> dict[int, str]:
    """Every task of the README, core then stretch: number -> title."""
    sections = read_task_sections(readme)
    return {**sections[CORE_HEADING], **sections[STRETCH_HEADING]}


def is_kata_folder(folder: Path) -> bool:
    """A folder `NN_slug` holding the kata's tests or stub (`test_<slug>.py`, `<slug>[.py]`)."""
    match = KATA_DIR.match(folder.name)
    if not match:
        return False
    slug = match.group(2)
    return any((folder / name).exists() for name in (f"test_{slug}.py", f"{slug}.py", slug))


def load_kata(root: Path, section: str, folder: str) -> Kata:
    """Reads one kata; raises `ValueError` when its kata.toml cannot be read.

    A kata without a kata.toml is read with empty metadata (the check reports it missing).
    """
    slug = KATA_DIR.match(folder).group(2)  # type: ignore[union-attr]
    readme = root / "katas" / section / folder / "README.md"
    meta_file = root / "reference" / section / folder / "kata.toml"
    try:
        meta = tomllib.loads(meta_file.read_text(encoding="utf-8")) if meta_file.is_file() else {}
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise ValueError(f"{meta_file}: {error}") from error
    sections = read_task_sections(readme) if readme.exists() else {}
    stretch = sections.get(STRETCH_HEADING, {})
    hints = tuple(
        Hint(task=int(h.get("task", 0)), level=int(h.get("level", 1)), text=str(h.get("text", "")))
        for h in meta.get("hints", [])
    )
    return Kata(
        root=root,
        section=section,
        folder=folder,
        slug=slug,
        title=read_title(readme) if readme.exists() else "",
        tasks={**sections.get(CORE_HEADING, {}), **stretch},
        hints=hints,
        concepts=tuple(meta.get("concepts", ())),
        requires=tuple(meta.get("requires", ())),
        mentor=dict(meta.get("mentor", {})),
        stretch=frozenset(stretch),
        difficulty=int(meta.get("difficulty", 0)),
        minutes=int(meta.get("minutes", 0)),
        equivalent_mutants={
            str(m.get("id", "")): str(m.get("why", "")) for m in meta.get("equivalent_mutants", [])
        },
    )


def discover(root: Path) -> list[Kata]:
    """Every kata under `root/katas`, in curriculum order."""
    katas = []
    for folder in sorted((root / "katas").glob("*/*/")):
        if is_kata_folder(folder) and re.match(r"^\d{2}_", folder.parent.name):
            katas.append(load_kata(root, folder.parent.name, folder.name))
    return katas


def select(katas: list[Kata], names: list[str]) -> list[Kata]:
    """The katas named by slug, folder or section; raises `KeyError` for an unknown name."""
    if not names:
        return katas
    chosen: list[Kata] = []
    for name in names:
        name = name.strip("/").removeprefix("katas/").removeprefix("reference/")
        found = [k for k in katas if name in (k.slug, k.folder, k.section, str(k.rel))]
        if not found:
            raise KeyError(name)
        chosen.extend(k for k in found if k not in chosen)
    return chosen


def next_on_path(katas: list[Kata], done: set[str]) -> Kata | None:
    """The kata to work on next: the easiest whose prerequisites are done, earliest first.

    So a newcomer meets a gentle first kata, and a kata comes only after the katas whose tools
    it uses (its `requires`). When every kata left waits on another, the earliest comes first.
    """
    left = [k for k in katas if k.slug not in done]
    known = {k.slug for k in katas}
    ready = [k for k in left if all(r in done or r not in known for r in k.requires)]
    order = {k.slug: index for index, k in enumerate(katas)}
    unrated = 3  # a kata without a difficulty sorts as a medium one
    return min(ready or left, key=lambda k: (k.difficulty or unrated, order[k.slug]), default=None)


def find_root(start: Path | None = None) -> Path:
    """The suite's root: the nearest folder upwards holding `katas/` and `conftest.py`."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "katas").is_dir() and (folder / "conftest.py").is_file():
            return folder
    raise FileNotFoundError(f"no kata suite (a folder with katas/ and conftest.py) above {here}")

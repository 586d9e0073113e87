"""Discovers the katas of a suite and reads their README and `kata.toml`."""

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

KATA_DIR = re.compile(r"^(\d{2})_([a-z][a-z0-9_]*)$")
TASK_HEADING = re.compile(r"^###\s+(\d+)\.\s+(.+?)\s*$")


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

    @property
    def rel(self) -> Path:
        """The kata's path below `katas/` (and below `reference/`)."""
        return Path(self.section, self.folder)

    @property
    def path(self) -> Path:
        """The kata's folder: README, kata.toml, stub and tests."""
        return self.root / "katas" / self.rel

    @property
    def reference_path(self) -> Path:
        """The reference solution's folder."""
        return self.root / "reference" / self.rel

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


def read_tasks(readme: Path) -> dict[int, str]:
    """The `### N. Title` headings below `## Tasks`, in order."""
    tasks: dict[int, str] = {}
    in_tasks = False
    for line in readme.read_text(encoding="utf-8").splitlines():
        if line.startswith("## "):
            in_tasks = line.strip() == "## Tasks"
            continue
        match = TASK_HEADING.match(line)
        if in_tasks and match:
            tasks[int(match.group(1))] = match.group(2)
    return tasks


def load_kata(root: Path, section: str, folder: str) -> Kata:
    """Reads one kata; raises `ValueError` when its kata.toml cannot be read."""
    slug = KATA_DIR.match(folder).group(2)  # type: ignore[union-attr]
    kata_dir = root / "katas" / section / folder
    readme = kata_dir / "README.md"
    try:
        meta = tomllib.loads((kata_dir / "kata.toml").read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise ValueError(f"{kata_dir / 'kata.toml'}: {error}") from error
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
        tasks=read_tasks(readme) if readme.exists() else {},
        hints=hints,
        concepts=tuple(meta.get("concepts", ())),
        requires=tuple(meta.get("requires", ())),
        mentor=dict(meta.get("mentor", {})),
    )


def discover(root: Path) -> list[Kata]:
    """Every kata under `root/katas`, in curriculum order (a folder with a kata.toml)."""
    katas = []
    for toml in sorted((root / "katas").glob("*/*/kata.toml")):
        section, folder = toml.parent.parent.name, toml.parent.name
        if KATA_DIR.match(folder) and re.match(r"^\d{2}_", section):
            katas.append(load_kata(root, section, folder))
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


def find_root(start: Path | None = None) -> Path:
    """The suite's root: the nearest folder upwards holding `katas/` and `conftest.py`."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "katas").is_dir() and (folder / "conftest.py").is_file():
            return folder
    raise FileNotFoundError(f"no kata suite (a folder with katas/ and conftest.py) above {here}")

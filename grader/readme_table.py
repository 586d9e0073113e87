"""The README's table of katas: each row of a kata that exists links to it, gives its level
(difficulty and the core's minutes, from its kata.toml) and says `ready`.

`grader manifest` refreshes it, as maintainers run that after adding or changing a kata;
grader/tests/test_readme.py fails when the table and the katas disagree.
"""

import re
from pathlib import Path

from grader.catalog import discover

# | 2.1 | `basic_application` | what it builds | level | planned |  (no `|` in "what it builds")
ROW = re.compile(
    r"^\| (\d+)\.(\d+) \| (?:`(\w+)`|\[(\w+)\]\([^)]*\)) \| ([^|]+?) \|(?:[^|]*\|)? "
    r"(ready|planned) \|$"
)
HEADER = re.compile(r"^\| # \| kata \| you build \|(?: level \|)? state \|$")


def level(difficulty: int, minutes: int) -> str:
    """`●●○○○ 45 min`: difficulty out of five, and the core's minutes."""
    if not difficulty:
        return ""
    return f"{'●' * difficulty}{'○' * (5 - difficulty)} {minutes} min"


def refresh(root: Path) -> int:
    """Rewrites the rows of README.md's table from the katas on disk; returns the ready count."""
    readme = root / "README.md"
    katas = {kata.slug: kata for kata in discover(root)}
    lines = readme.read_text(encoding="utf-8").splitlines()
    ready = 0
    for index, line in enumerate(lines):
        if HEADER.match(line):
            lines[index] = "| # | kata | you build | level | state |"
            if index + 1 < len(lines) and lines[index + 1].startswith("|---"):
                lines[index + 1] = "|---|---|---|---|---|"
            continue
        match = ROW.match(line)
        if match is None:
            continue
        section, number, plain, linked, builds, _ = match.groups()
        slug = plain or linked
        kata = katas.get(slug)
        if kata is None:
            lines[index] = f"| {section}.{number} | `{slug}` | {builds} | | planned |"
        else:
            link = f"[{slug}](katas/{kata.rel.as_posix()}/README.md)"
            rating = level(kata.difficulty, kata.minutes)
            lines[index] = f"| {section}.{number} | {link} | {builds} | {rating} | ready |"
            ready += 1
    readme.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return ready

"""The README's table of katas: each row of a kata that exists links to it and says `ready`.

`grader manifest` refreshes it, as maintainers run that after adding or changing a kata;
grader/tests/test_readme.py fails when the table and the katas disagree.
"""

import re
from pathlib import Path

from grader.catalog import discover

# | 2.1 | `basic_application` | what it builds | planned |
ROW = re.compile(
    r"^\| (\d+)\.(\d+) \| (?:`(\w+)`|\[(\w+)\]\([^)]*\)) \| (.+) \| (ready|planned) \|$"
)


def refresh(root: Path) -> int:
    """Rewrites the rows of README.md's table from the katas on disk; returns the ready count."""
    readme = root / "README.md"
    katas = {kata.slug: kata for kata in discover(root)}
    lines = readme.read_text(encoding="utf-8").splitlines()
    ready = 0
    for index, line in enumerate(lines):
        match = ROW.match(line)
        if match is None:
            continue
        section, number, plain, linked, builds, _ = match.groups()
        slug = plain or linked
        kata = katas.get(slug)
        if kata is None:
            lines[index] = f"| {section}.{number} | `{slug}` | {builds} | planned |"
        else:
            link = f"[{slug}](katas/{kata.rel.as_posix()}/README.md)"
            lines[index] = f"| {section}.{number} | {link} | {builds} | ready |"
            ready += 1
    readme.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return ready

"""The README's table of katas tells the truth: every kata that exists is listed as ready."""

import re
from collections.abc import Callable

from grader import readme_table
from grader.catalog import discover
from grader.tests.suites import SUITE_ROOT, KataFiles, Suite

ROW = re.compile(r"^\| (\d+\.\d+) \| (.+?) \| .+ \| (ready|planned) \|$", re.MULTILINE)


def test_every_kata_is_listed_as_ready_and_every_ready_row_has_a_kata() -> None:
    readme = (SUITE_ROOT / "README.md").read_text(encoding="utf-8")
    ready = {name: number for number, name, state in ROW.findall(readme) if state == "ready"}
    katas = {
        f"[{kata.slug}](katas/{kata.rel.as_posix()}/README.md)": kata
        for kata in discover(SUITE_ROOT)
    }
    assert sorted(katas) == sorted(ready), "run `grader manifest`: it refreshes the README's table"
    for link, kata in katas.items():
        assert ready[link] == f"{int(kata.section[:2])}.{int(kata.folder[:2])}", link


def test_the_table_lists_the_whole_curriculum() -> None:
    rows = ROW.findall((SUITE_ROOT / "README.md").read_text(encoding="utf-8"))
    assert len(rows) == 87


def test_grader_manifest_refreshes_the_table(make_suite: Callable[..., Suite]) -> None:
    suite = make_suite(KataFiles("adder"))
    (suite.root / "README.md").write_text(
        "# Suite\n\n| # | kata | you build | state |\n|---|---|---|---|\n"
        "| 1.1 | `adder` | adds | planned |\n"
        "| 1.2 | [gone](katas/01_basics/02_gone/README.md) | was here | ready |\n",
        encoding="utf-8",
    )
    assert readme_table.refresh(suite.root) == 1
    rows = ROW.findall((suite.root / "README.md").read_text(encoding="utf-8"))
    assert rows == [
        ("1.1", "[adder](katas/01_basics/01_adder/README.md)", "ready"),
        ("1.2", "`gone`", "planned"),
    ]


SECTION_ROW = re.compile(
    r"^\| (\d+)\.(\d+) \| \[(\w+)\]\([^)]*\) \| (\d) \| (\d+) min \| .+ \|$", re.MULTILINE
)


def test_each_section_table_gives_every_kata_its_difficulty_and_minutes() -> None:
    katas = discover(SUITE_ROOT)
    for section in sorted({kata.section for kata in katas}):
        readme = (SUITE_ROOT / "katas" / section / "README.md").read_text(encoding="utf-8")
        rows = {slug: (int(d), int(m)) for _, _, slug, d, m in SECTION_ROW.findall(readme)}
        expected = {k.slug: (k.difficulty, k.minutes) for k in katas if k.section == section}
        assert rows == expected, f"katas/{section}/README.md: its table disagrees with kata.toml"

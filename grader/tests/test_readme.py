"""The README's table of katas tells the truth: every kata that exists is listed as ready."""

import re

from grader.catalog import discover
from grader.tests.suites import SUITE_ROOT

ROW = re.compile(r"^\| (\d+\.\d+) \| (.+?) \| .+ \| (ready|planned) \|$", re.MULTILINE)


def test_every_kata_is_listed_as_ready_and_every_ready_row_has_a_kata() -> None:
    readme = (SUITE_ROOT / "README.md").read_text(encoding="utf-8")
    ready = {name: number for number, name, state in ROW.findall(readme) if state == "ready"}
    katas = {
        f"[{kata.slug}](katas/{kata.rel.as_posix()}/README.md)": kata
        for kata in discover(SUITE_ROOT)
    }
    assert sorted(katas) == sorted(ready), "regenerate the README's table of katas"
    for link, kata in katas.items():
        assert ready[link] == f"{int(kata.section[:2])}.{int(kata.folder[:2])}", link


def test_the_table_lists_the_whole_curriculum() -> None:
    rows = ROW.findall((SUITE_ROOT / "README.md").read_text(encoding="utf-8"))
    assert len(rows) == 87

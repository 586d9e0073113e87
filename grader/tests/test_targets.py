"""The reference switch: which tree the kata tests import, and loud failures when it is unsure."""

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from grader.tests.suites import REFERENCE, KataFiles, Suite


def pytest_in(
    root: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Runs pytest in the suite at `root`, the way a learner does."""
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
        cwd=root,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        check=False,
    )


@pytest.fixture
def suite(make_suite: Callable[..., Suite]) -> Suite:
    """A suite with one kata, whose stub fails and whose reference passes."""
    return make_suite(KataFiles("adder"))


def test_plain_pytest_tests_the_learners_stubs(suite: Suite) -> None:
    result = pytest_in(suite.root)
    assert result.returncode == 1, result.stdout
    assert "2 failed" in result.stdout
    assert "NotImplementedError" in result.stdout


def test_target_reference_tests_the_reference(suite: Suite) -> None:
    result = pytest_in(suite.root, "--target", "reference")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 passed" in result.stdout


def test_the_environment_variable_chooses_the_tree_too(suite: Suite) -> None:
    result = pytest_in(suite.root, env={"KATAS_TARGET": "reference"})
    assert result.returncode == 0, result.stdout + result.stderr


def test_target_path_tests_a_learners_copy(suite: Suite, tmp_path: Path) -> None:
    learner = tmp_path / "learner"
    shutil.copytree(suite.root / "katas", learner / "katas")
    (learner / "katas/01_basics/01_adder/adder.py").write_text(REFERENCE)
    for target in (learner, learner / "katas"):  # a whole checkout, or its katas/ folder
        result = pytest_in(suite.root, f"--target={target}")
        # The suite's own stub fails: passing proves the learner's module was the one imported.
        assert result.returncode == 0, result.stdout + result.stderr
        assert "2 passed" in result.stdout


def test_prepend_import_mode_cannot_smuggle_the_stub_into_a_reference_run(suite: Suite) -> None:
    # pytest's default mode puts the kata folder (with the stub) first on sys.path.
    result = pytest_in(suite.root, "--target", "reference", "--import-mode=prepend")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 passed" in result.stdout


@pytest.mark.parametrize(
    ("target", "message"),
    [
        pytest.param("/no/such/folder", "is not a folder", id="missing-folder"),
        pytest.param("{empty}", "holds none of the kata folders", id="folder-without-katas"),
    ],
)
def test_a_wrong_target_stops_the_run_with_a_usage_error(
    suite: Suite, tmp_path: Path, target: str, message: str
) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    result = pytest_in(suite.root, "--target=" + target.format(empty=empty))
    assert result.returncode == pytest.ExitCode.USAGE_ERROR, result.stdout + result.stderr
    assert message in result.stderr


def test_a_kata_missing_from_the_target_fails_its_tests_loudly(
    suite: Suite, tmp_path: Path
) -> None:
    learner = tmp_path / "learner"
    (learner / "01_basics/01_adder").mkdir(parents=True)  # the folder, but no adder.py
    result = pytest_in(suite.root, f"--target={learner}")
    assert result.returncode != 0
    assert "kata module 'adder' not found in the target tree" in result.stdout


def test_without_the_switch_the_suite_refuses_to_run(suite: Suite) -> None:
    result = pytest_in(suite.root, "-o", "addopts=")
    assert result.returncode == pytest.ExitCode.USAGE_ERROR, result.stdout + result.stderr
    assert "the grader.targets plugin is not loaded" in result.stderr


def test_a_server_test_skips_with_the_variable_that_enables_it(suite: Suite) -> None:
    test_file = suite.root / "katas/01_basics/01_adder/test_adder.py"
    test_file.write_text(
        test_file.read_text()
        + "\n\n@pytest.mark.task(1)\n@pytest.mark.postgres\ndef test_on_postgres() -> None:\n"
        "    assert add(1, 1) == 2\n"
    )
    env = {"KATAS_POSTGRES_URL": ""}
    result = pytest_in(suite.root, "--target", "reference", "-rs", env=env)
    assert "needs postgres: set KATAS_POSTGRES_URL" in result.stdout
    assert "2 passed, 1 skipped" in result.stdout


DATABASE_TESTS = """

@pytest.mark.task(1)
def test_on_both_databases(database_url: str) -> None:
    import sqlalchemy as sa

    engine = sa.create_engine(database_url)
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE t (x INTEGER)")
        connection.exec_driver_sql("INSERT INTO t VALUES (41)")
        assert connection.exec_driver_sql("SELECT x + 1 FROM t").scalar_one() == add(40, 2)
    engine.dispose()
    with open("urls.txt", "a") as urls:
        urls.write(database_url + "\\n")
"""


def add_database_tests(suite: Suite, extra: str = "") -> None:
    """Adds a test on `database_url` (and `extra` source) to the suite's only kata."""
    test_file = suite.root / "katas/01_basics/01_adder/test_adder.py"
    test_file.write_text(test_file.read_text() + DATABASE_TESTS + extra)


def test_database_url_runs_on_sqlite_and_skips_postgresql_without_a_server(suite: Suite) -> None:
    add_database_tests(suite)
    result = pytest_in(suite.root, "--target=reference", "-rs", env={"KATAS_POSTGRES_URL": ""})
    assert "3 passed, 1 skipped" in result.stdout, result.stdout
    assert "test_on_both_databases[postgresql]" not in result.stdout.replace("SKIPPED", "")
    assert "needs postgres: set KATAS_POSTGRES_URL" in result.stdout
    assert (suite.root / "urls.txt").read_text().startswith("sqlite+pysqlite:///")


def test_postgres_url_without_the_marker_fails_and_says_why(suite: Suite) -> None:
    extra = (
        "\n\n@pytest.mark.task(1)\ndef test_unmarked(postgres_url: str) -> None:\n"
        "    assert add(1, 1) == 2\n"
    )
    add_database_tests(suite, extra)
    result = pytest_in(suite.root, "--target=reference", env={"KATAS_POSTGRES_URL": ""})
    assert "uses postgres_url without @pytest.mark.postgres" in result.stdout, result.stdout


@pytest.mark.postgres
def test_with_a_server_each_test_gets_an_empty_database_all_dropped_at_the_end(
    suite: Suite,
) -> None:
    import sqlalchemy as sa

    from grader.databases import postgres_server_url

    # The same test twice: the second creates the same table, so its database must be empty.
    add_database_tests(suite, DATABASE_TESTS.replace("test_on_both_databases", "test_again"))
    result = pytest_in(suite.root, "--target=reference")
    assert "6 passed" in result.stdout, result.stdout
    urls = (suite.root / "urls.txt").read_text().split()
    postgres = {sa.make_url(url).database for url in urls if url.startswith("postgresql")}
    server = postgres_server_url()
    assert server is not None
    assert postgres
    assert server.database not in postgres
    admin = sa.create_engine(server)
    with admin.connect() as connection:
        left = connection.execute(
            sa.text("SELECT count(*) FROM pg_database WHERE datname = ANY(:names)"),
            {"names": sorted(postgres)},
        ).scalar_one()
    admin.dispose()
    assert left == 0

"""`grader check [SLUG ...]`: the maintainers' gate, proving every kata keeps its contract.

For each kata: its files, slug, README tasks and hints (static rules); every test passes on the
reference and fails on the stub; every mistake applies and fails at least one test; the reference
is 100% line-covered by the kata's tests; ruff is clean. The test runs cover all katas at once
(one pytest process per tree, run in parallel), so the check costs a few runs, not one per kata.
"""

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from grader.catalog import Kata, discover, select
from grader.display import paint
from grader.mistakes import MistakeRound, build_rounds
from grader.plugin import CHECK_PROFILE
from grader.rules import static_problems
from grader.runner import Limits, RunResult, TestResult, run_tests
from grader.targets import SERVER_MARKERS

# The coverage pragma of the lines that only run against each server.
SERVER_PRAGMAS = {"postgres": "postgresql", "redis": "redis"}

# A hung test must fail the check, not hang CI; the maintainers' trees are trusted: no memory cap.
LIMITS = Limits(test_timeout=120, stall=180, memory=0)


@dataclass(frozen=True)
class KataVerdict:
    """The check's findings for one kata."""

    kata: Kata
    problems: tuple[str, ...]
    # What could not be checked here, e.g. without a PostgreSQL server; CI checks it.
    notes: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        """No violation."""
        return not self.problems


@dataclass(frozen=True)
class CheckReport:
    """The check over a set of katas."""

    verdicts: tuple[KataVerdict, ...]

    @property
    def passed(self) -> int:
        """Katas without a violation."""
        return sum(v.ok for v in self.verdicts)

    @property
    def failed(self) -> int:
        """Katas with at least one violation."""
        return len(self.verdicts) - self.passed


def server_skip(test: TestResult) -> bool:
    """A skip that only says a server is not configured."""
    return test.status == "skip" and bool(SERVER_MARKERS.keys() & set(test.markers))


def coverage_exclusions() -> str:
    """The coverage pattern for lines only an unconfigured server would run.

    A reference marks such lines (an `if` on the dialect, say) `# pragma: postgresql`; they count
    when the server is configured, as in CI, and are left out otherwise. pyproject.toml reads the
    pattern from KATAS_COVERAGE_EXCLUDE; `a^` matches nothing.
    """
    pragmas = [
        f"pragma: {SERVER_PRAGMAS[marker]}"
        for marker, variable in SERVER_MARKERS.items()
        if not os.environ.get(variable)
    ]
    return "|".join(pragmas) or "a^"


def server_notes(kata: Kata, runs: dict[str, RunResult]) -> list[str]:
    """What could not be checked because a server is not configured."""
    tests, _ = runs["reference"].for_kata(kata.slug) if "reference" in runs else ([], [])
    notes = []
    for marker, variable in SERVER_MARKERS.items():
        skipped = sum(server_skip(t) and marker in t.markers for t in tests)
        if skipped:
            notes.append(
                f"{skipped} {marker} tests skipped, lines marked "
                f"`pragma: {SERVER_PRAGMAS[marker]}` not counted: set {variable} to check them"
            )
    return notes


def describe(test: TestResult) -> str:
    """`name (message)` for a problem line."""
    message = test.message.strip().splitlines()[0][:200] if test.message.strip() else test.status
    return f"{test.name} ({message})"


def reference_problems(kata: Kata, run: RunResult) -> list[str]:
    """Every test passes on the reference, carries a task marker, and every task has a test."""
    tests, errors = run.for_kata(kata.slug)
    problems = [f"the tests cannot be collected on the reference: {e.message}" for e in errors]
    if not tests and not errors:
        problems.append("no test ran on the reference")
    for test in tests:
        if test.status != "pass" and not server_skip(test):
            problems.append(f"fails on the reference: {describe(test)}")
        if test.task is None:
            problems.append(f"{test.name} has no @pytest.mark.task(n)")
        elif test.task not in kata.tasks:
            problems.append(
                f"{test.name} is marked task {test.task}, which the README does not have"
            )
        elif (test.task in kata.stretch) != ("stretch" in test.markers):
            # The marker lets `pytest -m "not stretch"` run the core alone; it must agree.
            where = "a stretch task" if test.task in kata.stretch else "a core task"
            problems.append(
                f"{test.name} tests {where} (task {test.task}) but "
                + (
                    "lacks @pytest.mark.stretch"
                    if test.task in kata.stretch
                    else "is marked stretch"
                )
            )
    tested = {t.task for t in tests}
    problems += [f"task {n} has no test" for n in kata.tasks if n not in tested and tests]
    return problems


def stub_problems(kata: Kata, run: RunResult) -> list[str]:
    """Every test fails on the stub, and the stub does not break collection."""
    tests, errors = run.for_kata(kata.slug)
    problems = [
        f"the stub breaks collection (define every name the tests import): {e.message}"
        for e in errors
    ]
    problems += [f"passes on the stub: {t.name}" for t in tests if t.status == "pass"]
    problems += [
        f"skipped on the stub: {describe(t)}"
        for t in tests
        if t.status == "skip" and not server_skip(t)
    ]
    return problems


def id_problems(kata: Kata, runs: dict[str, RunResult]) -> list[str]:
    """The reference and stub runs collect the same test ids: ids must be deterministic.

    The grader resumes a run that died past the tests already recorded, by id; an id made from
    `uuid4()` or the clock is a new test in every run (and a kata then never looks done).
    """
    if "reference" not in runs or "stub" not in runs:
        return []
    reference = {t.name for t in runs["reference"].for_kata(kata.slug)[0]}
    stub = {t.name for t in runs["stub"].for_kata(kata.slug)[0]}
    if not reference or not stub or reference == stub:
        return []
    differing = ", ".join(sorted(reference ^ stub)[:4])
    return [f"test ids differ between two collections (make them deterministic): {differing}"]


def mistake_problems(
    kata: Kata, rounds: list[tuple[MistakeRound, RunResult]]
) -> tuple[list[str], list[str]]:
    """Every mistake applies and makes at least one test fail: (problems, notes).

    A mistake that no test run here catches while server tests were skipped is a note, not a
    problem: only the skipped tests may see it (CI runs them).
    """
    problems: list[str] = []
    notes: list[str] = []
    for mistake_round, run in rounds:
        if kata.slug in mistake_round.failed_to_apply:
            mistake, error = mistake_round.failed_to_apply[kata.slug]
            problems.append(
                f"mistake {mistake.name} does not apply: {error.splitlines()[0] if error else ''}"
            )
        elif kata.slug in mistake_round.applied:
            tests, errors = run.for_kata(kata.slug)
            name = mistake_round.applied[kata.slug].name
            if not tests and not errors:
                problems.append(f"mistake {name}: no test of the kata ran with it applied")
            elif not errors and not any(t.status in ("fail", "error") for t in tests):
                if any(server_skip(t) for t in tests):
                    notes.append(f"mistake {name}: no test run here caught it (servers skipped)")
                else:
                    problems.append(f"mistake {name} passes every test: the tests miss it")
    return problems, notes


def coverage_problems(kata: Kata, coverage: dict[str, dict[str, list[int]]]) -> list[str]:
    """Every line of the reference module runs under the kata's tests."""
    problems = []
    for path in sorted(kata.reference_path.rglob("*.py")):
        if "mistakes" in path.relative_to(kata.reference_path).parts:
            continue
        rel = path.relative_to(kata.root)
        missing = coverage.get(str(path.resolve()), {}).get("missing_lines")
        if missing is None:
            problems.append(f"coverage: {rel} was never imported by the tests")
        elif missing:
            problems.append(f"coverage: {rel} lines not run by the tests: {compress(missing)}")
    return problems


def compress(lines: list[int]) -> str:
    """`3-5, 9` for [3, 4, 5, 9]."""
    spans: list[list[int]] = []
    for line in sorted(lines):
        if spans and line == spans[-1][1] + 1:
            spans[-1][1] = line
        else:
            spans.append([line, line])
    return ", ".join(f"{a}-{b}" if a != b else str(a) for a, b in spans)


def read_coverage(path: Path, root: Path) -> dict[str, dict[str, list[int]]]:
    """Coverage's JSON report: absolute file path -> its missing lines."""
    if not path.is_file():
        return {}
    files = json.loads(path.read_text(encoding="utf-8")).get("files", {})
    return {str((root / name).resolve()): data for name, data in files.items()}


def ruff_problems(root: Path, katas: list[Kata]) -> dict[str, list[str]]:
    """slug -> ruff findings (lint and format) in the kata's folders."""
    folders = {str(p): k.slug for k in katas for p in (k.path, k.reference_path) if p.is_dir()}
    if not folders:
        return {}
    found: dict[str, list[str]] = {}
    ruff = [sys.executable, "-m", "ruff"]
    # Both steps report as JSON: ruff's text output changes between releases (0.17 stopped
    # printing "Would reformat:", and a check that parsed it silently passed everything).
    for step, label in ((["check"], "ruff"), (["format", "--check"], "ruff format")):
        result = subprocess.run(
            [*ruff, *step, "--output-format=json", "--quiet", *folders],
            cwd=root,
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode not in (0, 1) or (result.returncode == 1 and not result.stdout):
            found.setdefault(next(iter(folders.values())), []).append(
                f"{label} did not run: {result.stderr.strip()[:500]}"
            )
            continue
        for finding in json.loads(result.stdout or "[]"):
            slug = owner(Path(finding["filename"]), folders)
            row = (finding.get("location") or {}).get("row", "?")
            rel = Path(finding["filename"]).resolve().relative_to(root.resolve())
            if finding["code"] == "unformatted":
                problem = f"{label}: {rel}:{row} is not formatted (`ruff format {rel}` fixes it)"
            else:
                problem = f"{label}: {rel}:{row} {finding['code']} {finding['message']}"
            found.setdefault(slug, []).append(problem)
    return found


def owner(path: Path, folders: dict[str, str]) -> str:
    """The slug whose folder holds `path`."""
    resolved = path.resolve()
    for folder, slug in folders.items():
        if Path(folder).resolve() in resolved.parents:
            return slug
    return "?"


def check(
    root: Path,
    katas: list[Kata],
    all_katas: list[Kata],
    on_step: Callable[[str], None] = lambda s: None,
) -> CheckReport:
    """Runs every rule over `katas` and returns the verdicts."""
    problems: dict[str, list[str]] = {k.slug: static_problems(k, all_katas) for k in katas}
    runnable = [k for k in katas if k.test_file.is_file()]
    # The profile is registered by grader.plugin.
    timeout = [f"--hypothesis-profile={CHECK_PROFILE}"]
    with tempfile.TemporaryDirectory(prefix="grader-check-") as scratch_name:
        scratch = Path(scratch_name)
        coverage_file = scratch / "coverage.json"
        cov_args = [f"--cov={k.reference_path}" for k in runnable]
        # Coverage reads the suite's [tool.coverage] settings; its data file goes to the scratch
        # folder, so parallel checks never share one.
        cov_args += [f"--cov-report=json:{coverage_file}", "--cov-report="]
        cov_env = {
            "COVERAGE_FILE": str(scratch / ".coverage"),
            "KATAS_COVERAGE_EXCLUDE": coverage_exclusions(),
        }
        rounds = build_rounds(runnable, scratch)
        paths = [k.path for k in runnable]
        jobs: dict[str, tuple[str, list[Path], list[str]]] = {
            "reference": ("reference", paths, [*timeout, *cov_args]),
            "stub": ("katas", paths, timeout),
        }
        for index, mistake_round in enumerate(rounds):
            # A round's tree holds only the katas with a mistake at this index: run just those.
            applied = [k.path for k in runnable if k.slug in mistake_round.applied]
            if applied:
                # One failing test rejects a mistake: the rest of its kata's tests are skipped.
                first = [*timeout, "--grader-first-failure"]
                jobs[f"mistakes{index}"] = (str(mistake_round.tree), applied, first)
        runs: dict[str, RunResult] = {}
        if paths:
            with ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 2)) as pool:
                futures = {
                    name: pool.submit(
                        run_tests,
                        root,
                        job_paths,
                        target,
                        extra_args=args,
                        limits=LIMITS,
                        env=cov_env,
                    )
                    for name, (target, job_paths, args) in jobs.items()
                }
                for name, future in futures.items():
                    runs[name] = future.result()
                    on_step(f"{name}: {len(runs[name].tests)} tests in {runs[name].wall:.1f}s")
            reference = runs["reference"]
            if reference.crashes or not reference.finished:
                # A killed process takes its coverage data with it, which would blame every kata
                # it had run: run the reference once more, alone, before reporting anything.
                on_step("reference: a test process died; running the reference again")
                target, job_paths, args = jobs["reference"]
                runs["reference"] = run_tests(
                    root, job_paths, target, extra_args=args, limits=LIMITS, env=cov_env
                )
        if "reference" in runs:
            for marker in SERVER_MARKERS:
                on_server = [t for t in runs["reference"].tests if marker in t.markers]
                if on_server:
                    ran = sum(t.status != "skip" for t in on_server)
                    on_step(f"{marker}: {ran} of {len(on_server)} {marker} tests ran on the server")
        for name, run in runs.items():
            if not run.finished:
                for kata in runnable:
                    problems[kata.slug].append(
                        f"the {name} run died before it finished:\n{run.log[-2000:]}"
                    )
        coverage = read_coverage(coverage_file, root)
        mistake_runs = [(r, runs.get(f"mistakes{i}")) for i, r in enumerate(rounds)]
        notes: dict[str, list[str]] = {k.slug: [] for k in katas}
        for kata in runnable:
            if "reference" in runs:
                problems[kata.slug] += reference_problems(kata, runs["reference"])
                problems[kata.slug] += coverage_problems(kata, coverage)
            if "stub" in runs:
                problems[kata.slug] += stub_problems(kata, runs["stub"])
            problems[kata.slug] += id_problems(kata, runs)
            mistake_findings, mistake_notes = mistake_problems(
                kata, [(r, run) for r, run in mistake_runs if run is not None or r.failed_to_apply]
            )
            problems[kata.slug] += mistake_findings
            notes[kata.slug] += server_notes(kata, runs) + mistake_notes
    for slug, findings in ruff_problems(root, katas).items():
        if slug in problems:
            problems[slug] += findings
    return CheckReport(
        tuple(KataVerdict(k, tuple(problems[k.slug]), tuple(notes[k.slug])) for k in katas)
    )


def render(report: CheckReport) -> str:
    """Every violation with its kata, then `N passed, N failed` counting katas."""
    lines = []
    for verdict in report.verdicts:
        if verdict.ok:
            lines.append(f"{paint('PASS', 'green')} {verdict.kata.id}")
        else:
            lines.append(f"{paint('FAIL', 'red')} {verdict.kata.id}")
            lines += [f"    - {problem}" for problem in verdict.problems]
        lines += [f"    note: {note}" for note in verdict.notes]
    lines.append(f"{report.passed} passed, {report.failed} failed")
    return "\n".join(lines)


def main(root: Path, names: list[str]) -> int:
    """Prints the verdicts; 1 when any kata has a violation."""
    all_katas = discover(root)
    katas = select(all_katas, names)
    report = check(
        root, katas, all_katas, on_step=lambda s: print(paint(f"  ran {s}", "dim"), file=sys.stderr)
    )
    print(render(report))
    return 0 if report.failed == 0 else 1

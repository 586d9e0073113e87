"""`grader review PATH`: a mentor's report on a learner's solutions, or on a whole class.

The suite's own, pristine tests run against the learner's modules (never the learner's copy of
the tests). Per kata the report gives: status per task; which known mistake the failures match
(a `mistakes/*.diff` of the reference that fails the same tests), with its explanation; the
kata's mentor notes; static feedback on the code (`grader.analyzer`); the diff against the
reference; and a flag when the learner's copy of the tests was edited. PATH may also be a folder
of learners' checkouts: each is graded (in parallel) and a learner x kata summary is written.
"""

import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from pathlib import Path

from grader import manifest
from grader.analyzer import Comment, analyze_files
from grader.catalog import Kata, discover
from grader.grading import KataResult, grade
from grader.mistakes import MistakeRound, build_rounds
from grader.rules import mistakes_of
from grader.runner import RunResult, run_tests
from grader.signatures import module_files
from grader.solution import solution_text
from grader.targets import resolve_target

RESEMBLES = 0.6  # Jaccard similarity of failing tests above which a mistake is named as likely


@dataclass(frozen=True)
class TaskStatus:
    """How the learner's solution does on one README task."""

    number: int
    title: str
    passed: int
    total: int
    stretch: bool = False  # beyond the core: not needed for the kata to be done

    @property
    def label(self) -> str:
        """`5. Title (stretch)`."""
        return f"{self.number}. {self.title}" + (" (stretch)" if self.stretch else "")


@dataclass(frozen=True)
class MistakeMatch:
    """A known mistake whose failing tests are those of the learner's solution."""

    name: str
    explanation: str
    similarity: float  # 1.0 when the failing tests are exactly the same


@dataclass(frozen=True)
class KataReview:
    """The report on one kata."""

    kata: Kata
    started: bool  # False while the learner's module is still the shipped stub
    result: KataResult | None
    tasks: tuple[TaskStatus, ...] = ()
    mistake: MistakeMatch | None = None
    comments: tuple[Comment, ...] = ()
    diff: str = ""
    edited_tests: tuple[str, ...] = ()

    @property
    def status(self) -> str:
        """not started, pass, fail or error."""
        if not self.started or self.result is None:
            return "not started"
        return "tests edited" if self.edited_tests and self.result.done else self.result.status


@dataclass(frozen=True)
class LearnerReview:
    """The report on one learner's checkout."""

    name: str
    path: Path
    katas: tuple[KataReview, ...]

    @property
    def done(self) -> int:
        """Katas passing every test."""
        return sum(k.status == "pass" for k in self.katas)


@dataclass
class MistakeBook:
    """Which tests each known mistake fails, computed once per review session."""

    # slug -> mistake name -> the node ids of the tests it fails
    failing: dict[str, dict[str, frozenset[str]]] = field(default_factory=dict)
    # (slug, mistake name) -> the wrong module's source
    code: dict[tuple[str, str], str] = field(default_factory=dict)

    def learn(self, root: Path, katas: list[Kata], workers: int = 2) -> None:
        """Runs every mistake of the katas not yet known: one pytest process per round."""
        todo = [k for k in katas if k.slug not in self.failing and mistakes_of(k)]
        if not todo:
            return
        with tempfile.TemporaryDirectory(prefix="grader-mistakes-") as scratch:
            rounds = build_rounds(todo, Path(scratch))

            def run_round(mistake_round: MistakeRound) -> tuple[MistakeRound, RunResult]:
                chosen = [k.path for k in todo if k.slug in mistake_round.applied]
                return mistake_round, run_tests(root, chosen, str(mistake_round.tree))

            with ThreadPoolExecutor(max_workers=workers) as pool:
                runs = list(pool.map(run_round, [r for r in rounds if r.applied]))
            for mistake_round, run in runs:
                for kata in todo:
                    if kata.slug not in mistake_round.applied:
                        continue
                    tests, _ = run.for_kata(kata.slug)
                    name = mistake_round.applied[kata.slug].name
                    failed = frozenset(t.nodeid for t in tests if t.status in ("fail", "error"))
                    self.failing.setdefault(kata.slug, {})[name] = failed
                    self.code[kata.slug, name] = module_text(
                        mistake_round.tree / kata.rel, kata.slug
                    )
        for kata in todo:
            self.failing.setdefault(kata.slug, {})

    def match(self, kata: Kata, result: KataResult, code: str) -> MistakeMatch | None:
        """The known mistake most like the learner's failures, when it is alike enough.

        Several mistakes may fail the same tests; the one whose code is closest to the learner's
        (`code`) is named then.
        """
        failed = frozenset(t.nodeid for t in result.tests if t.status in ("fail", "error"))
        if not failed:
            return None
        ranked = []
        for name, theirs in self.failing.get(kata.slug, {}).items():
            union = failed | theirs
            similarity = len(failed & theirs) / len(union) if union else 0.0
            closeness = SequenceMatcher(None, code, self.code.get((kata.slug, name), "")).ratio()
            ranked.append((similarity, closeness, name))
        if not ranked or max(ranked)[0] < RESEMBLES:
            return None
        similarity, _, name = max(ranked)
        return MistakeMatch(name, explanation(kata, name), similarity)


def module_text(folder: Path, slug: str) -> str:
    """A kata module's source (every file of a package, in order) as one text."""
    return "\n".join(p.read_text(encoding="utf-8") for p in module_files(folder, slug).values())


def explanation(kata: Kata, name: str) -> str:
    """The first line of a mistake diff: what the mistake is and why people make it."""
    first = (kata.reference_path / "mistakes" / name).read_text(encoding="utf-8").splitlines()[0]
    return first.removeprefix("#").strip()


def task_statuses(kata: Kata, result: KataResult) -> tuple[TaskStatus, ...]:
    """Tests passed out of counted, per README task."""
    statuses = []
    for number, title in kata.tasks.items():
        tests = [t for t in result.tests if t.task == number and t.status != "skip"]
        passed = sum(t.status == "pass" for t in tests)
        statuses.append(TaskStatus(number, title, passed, len(tests), number in kata.stretch))
    return tuple(statuses)


def is_started(kata: Kata, tree: Path, shipped: dict[str, str]) -> bool:
    """Whether the learner's module differs from the shipped stub (or no manifest says)."""
    files = module_files(tree / kata.rel, kata.slug)
    if not files:
        return False
    prefix = f"katas/{kata.rel.as_posix()}/"
    return any(
        shipped.get(prefix + name) != manifest.blob_id(path.read_bytes())
        for name, path in files.items()
    )


@dataclass(frozen=True)
class Graded:
    """One learner's checkout, graded on the suite's tests (the report is built later)."""

    path: Path
    tree: Path  # the learner's folder laid out like katas/
    katas: tuple[Kata, ...]
    results: dict[str, KataResult]  # slug -> result, for the katas started

    @property
    def failing(self) -> list[Kata]:
        """The started katas that are not green."""
        return [k for k in self.katas if k.slug in self.results and not self.results[k.slug].done]


def grade_learner(root: Path, path: Path) -> Graded:
    """Grades the katas a learner has started, with the suite's pristine tests."""
    tree = resolve_target(str(path), root)
    katas = tuple(k for k in discover(root) if (tree / k.rel).is_dir())
    shipped = manifest.load(root)
    started = [k for k in katas if is_started(k, tree, shipped)]
    results = {r.kata.slug: r for r in grade(root, started, str(tree))[0]} if started else {}
    return Graded(path, tree, katas, results)


def report(root: Path, graded: Graded, book: MistakeBook) -> LearnerReview:
    """The review of one graded checkout; the book must know the mistakes of its failing katas."""
    shipped = manifest.load(root)
    reviews = []
    for kata in graded.katas:
        result = graded.results.get(kata.slug)
        if result is None:
            reviews.append(KataReview(kata, started=False, result=None))
            continue
        folder = graded.tree / kata.rel
        mistake = None if result.done else book.match(kata, result, module_text(folder, kata.slug))
        reviews.append(
            KataReview(
                kata,
                started=True,
                result=result,
                tasks=task_statuses(kata, result),
                mistake=mistake,
                comments=tuple(analyze_files(module_files(folder, kata.slug))),
                diff=solution_text(kata, graded.tree, why=False),
                edited_tests=tuple(manifest.edited_tests(kata, graded.tree, shipped)),
            )
        )
    return LearnerReview(graded.path.name, graded.path, tuple(reviews))


def is_checkout(path: Path) -> bool:
    """A learner's checkout, or a folder laid out like katas/."""
    return (path / "katas").is_dir() or any(path.glob("[0-9][0-9]_*/[0-9][0-9]_*"))


def review(root: Path, path: Path, workers: int = 2) -> list[LearnerReview]:
    """One report for a checkout, or one per checkout in a folder of them.

    Learners are graded in parallel first; then the known mistakes of only the katas someone
    fails are run, once for the whole class, and each report is built.
    """
    if is_checkout(path):
        learners = [path]
    else:
        learners = sorted(p for p in path.iterdir() if p.is_dir() and is_checkout(p))
    if not learners:
        raise FileNotFoundError(f"{path} is neither a learner's checkout nor a folder of them")
    with ThreadPoolExecutor(max_workers=workers) as pool:
        graded = list(pool.map(lambda p: grade_learner(root, p), learners))
    failing = {k.slug: k for g in graded for k in g.failing}
    book = MistakeBook()
    book.learn(root, list(failing.values()), workers)
    return [report(root, g, book) for g in graded]


def main(root: Path, path: Path, out: Path | None, html: Path | None) -> int:
    """Prints the Markdown report; writes HTML (and, for a class, every learner's report)."""
    from grader import review_render

    reports = review(root, path.resolve())
    if len(reports) == 1:
        print(review_render.learner_markdown(reports[0]))
        if html:
            html.write_text(review_render.learner_html(reports[0]), encoding="utf-8")
        return 0
    print(review_render.class_markdown(reports))
    target = out or Path("review")
    target.mkdir(parents=True, exist_ok=True)
    (target / "summary.md").write_text(review_render.class_markdown(reports), encoding="utf-8")
    (target / "summary.html").write_text(review_render.class_html(reports), encoding="utf-8")
    for report in reports:
        (target / f"{report.name}.md").write_text(
            review_render.learner_markdown(report), encoding="utf-8"
        )
        (target / f"{report.name}.html").write_text(
            review_render.learner_html(report), encoding="utf-8"
        )
    print(f"\nreports written to {target}/")
    return 0

"""Renders mentor reviews as Markdown (for the terminal) and as self-contained HTML pages.

Everything taken from the learner (code, messages, names) is escaped: a learner's module is
untrusted input, and a review page must not run anything it contains. The HTML has no script
and no external resource.
"""

from html import escape

from grader.review import KataReview, LearnerReview

STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 60rem; color: #222; }
h1, h2 { border-bottom: 1px solid #ddd; padding-bottom: .2rem; }
table { border-collapse: collapse; margin: .5rem 0; }
td, th { border: 1px solid #ccc; padding: .2rem .5rem; text-align: left; }
.pass { color: #1a7f37; } .fail, .error { color: #cf222e; } .not-started { color: #888; }
.essential { color: #cf222e; } .actionable { color: #9a6700; } .celebratory { color: #1a7f37; }
pre { background: #f6f8fa; padding: .6rem; overflow-x: auto; }
"""


def status_class(status: str) -> str:
    """A CSS class for a status."""
    return status.replace(" ", "-")


def kata_markdown(review: KataReview) -> list[str]:
    """One kata's section of the Markdown report."""
    kata = review.kata
    lines = [f"## {kata.id}: {kata.title} — {review.status}", ""]
    if not review.started or review.result is None:
        return [*lines, "Not started: the module is still the shipped stub.", ""]
    if review.edited_tests:
        lines += [
            f"**The learner's copy of the tests was edited:** {', '.join(review.edited_tests)}"
        ]
        lines += ["(the review used the suite's own tests)", ""]
    result = review.result
    score = f"{result.core_passed}/{result.core_total} core tests pass"
    if result.stretch_tests:
        score += f", {result.stretch_passed}/{result.stretch_total} stretch"
    lines += [f"{score}.", "", "| task | tests |", "|---|---|"]
    lines += [f"| {t.label} | {t.passed}/{t.total} |" for t in review.tasks]
    lines.append("")
    if result.collect_errors:
        lines += [f"The tests cannot be collected: {result.collect_errors[0].message}", ""]
    failing = [t for t in result.tests if t.status in ("fail", "error")]
    if failing:
        lines.append("Failing tests:")
        lines += [f"- `{t.name}` (task {t.task}): {first_line(t.message)}" for t in failing[:10]]
        lines += [f"- ... and {len(failing) - 10} more"] if len(failing) > 10 else []
        lines.append("")
    if review.mistake:
        how = "matches" if review.mistake.similarity == 1.0 else "resembles"
        lines += [
            f"Known mistake: this {how} `{review.mistake.name}`: {review.mistake.explanation}",
            "",
        ]
    if review.comments:
        lines.append("Feedback on the code:")
        lines += [
            f"- **{c.kind}** `{c.code}` ({c.path}:{c.line or '-'}): {c.message}"
            for c in review.comments
        ]
        lines.append("")
    mentor = kata.mentor
    if mentor:
        lines.append("Mentor notes:")
        for key in ("objectives", "out_of_scope"):
            if mentor.get(key):
                lines.append(f"- {key.replace('_', ' ')}: " + "; ".join(map(str, mentor[key])))
        if mentor.get("notes"):
            lines.append(f"- notes: {mentor['notes']}")
        lines.append("")
    lines += ["<details><summary>Diff against the reference</summary>", "", "```diff"]
    return [*lines, review.diff, "```", "", "</details>", ""]


def first_line(text: str, width: int = 160) -> str:
    """The first line of a message, cut to `width`."""
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line if len(line) <= width else line[: width - 1] + "…"


def learner_markdown(report: LearnerReview) -> str:
    """The whole review of one learner, as Markdown."""
    lines = [
        f"# Review: {report.name}",
        "",
        f"{report.done}/{len(report.katas)} katas pass (checkout: {report.path}).",
        "",
    ]
    for review in report.katas:
        lines += kata_markdown(review)
    return "\n".join(lines)


def kata_html(review: KataReview) -> str:
    """One kata's section of the HTML report."""
    kata = review.kata
    status = review.status
    parts = [
        f'<section class="kata" id="{escape(kata.slug)}">',
        f"<h2>{escape(kata.id)}: {escape(kata.title)} "
        f'<span class="{status_class(status)}">{escape(status)}</span></h2>',
    ]
    if not review.started or review.result is None:
        return "\n".join(
            [*parts, "<p>Not started: the module is still the shipped stub.</p>", "</section>"]
        )
    if review.edited_tests:
        edited = ", ".join(review.edited_tests)
        parts.append(
            f'<p class="error">The learner\'s copy of the tests was edited: {escape(edited)}</p>'
        )
    rows = "".join(
        f"<tr><td>{escape(t.label)}</td>"
        f'<td class="{"pass" if t.passed == t.total else "fail"}">{t.passed}/{t.total}</td></tr>'
        for t in review.tasks
    )
    parts.append(f"<table><tr><th>task</th><th>tests</th></tr>{rows}</table>")
    failing = [t for t in review.result.tests if t.status in ("fail", "error")]
    if failing:
        items = "".join(
            f"<li><code>{escape(t.name)}</code> (task {t.task}): "
            f"{escape(first_line(t.message))}</li>"
            for t in failing
        )
        parts.append(f"<h3>Failing tests</h3><ul>{items}</ul>")
    if review.mistake:
        how = "matches" if review.mistake.similarity == 1.0 else "resembles"
        parts.append(
            f'<p class="mistake">Known mistake: this {how} '
            f"<code>{escape(review.mistake.name)}</code>: {escape(review.mistake.explanation)}</p>"
        )
    if review.comments:
        items = "".join(
            f'<li class="{c.kind}"><strong>{c.kind}</strong> <code>{escape(c.code)}</code> '
            f"({escape(c.path)}:{c.line or '-'}): {escape(c.message)}</li>"
            for c in review.comments
        )
        parts.append(f"<h3>Feedback on the code</h3><ul>{items}</ul>")
    notes = kata.mentor.get("notes")
    if notes:
        parts.append(f"<h3>Mentor notes</h3><p>{escape(str(notes))}</p>")
    summary = "<summary>Diff against the reference</summary>"
    parts.append(f"<details>{summary}<pre>{escape(review.diff)}</pre></details>")
    return "\n".join([*parts, "</section>"])


def page(title: str, body: str) -> str:
    """A self-contained HTML page."""
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title><style>{STYLE}</style></head>\n"
        f"<body>\n{body}\n</body></html>\n"
    )


def learner_html(report: LearnerReview) -> str:
    """The whole review of one learner, as an HTML page."""
    body = [
        f"<h1>Review: {escape(report.name)}</h1>",
        f'<p id="summary">{report.done}/{len(report.katas)} katas pass.</p>',
        *(kata_html(r) for r in report.katas),
    ]
    return page(f"Review: {report.name}", "\n".join(body))


def class_markdown(reports: list[LearnerReview]) -> str:
    """The learner x kata summary of a class, as Markdown."""
    katas = [r.kata for r in reports[0].katas] if reports else []
    lines = ["# Class review", "", "| learner | done | " + " | ".join(k.slug for k in katas) + " |"]
    lines.append("|---" * (len(katas) + 2) + "|")
    for report in reports:
        cells = [cell(r) for r in report.katas]
        lines.append(
            f"| {report.name} | {report.done}/{len(report.katas)} | " + " | ".join(cells) + " |"
        )
    return "\n".join(lines) + "\n"


def cell(review: KataReview) -> str:
    """A kata's summary cell: status and score."""
    if review.result is None or not review.started:
        return "·"
    return f"{review.status} {review.result.passed}/{review.result.total}"


def class_html(reports: list[LearnerReview]) -> str:
    """The learner x kata summary of a class, as an HTML page linking each learner's report."""
    katas = [r.kata for r in reports[0].katas] if reports else []
    head = "".join(f"<th>{escape(k.slug)}</th>" for k in katas)
    rows = []
    for report in reports:
        cells = "".join(
            f'<td class="{status_class(r.status)}">{escape(cell(r))}</td>' for r in report.katas
        )
        link = f'<a href="{escape(report.name)}.html">{escape(report.name)}</a>'
        rows.append(f"<tr><td>{link}</td><td>{report.done}/{len(report.katas)}</td>{cells}</tr>")
    table = f"<table><tr><th>learner</th><th>done</th>{head}</tr>{''.join(rows)}</table>"
    return page("Class review", f"<h1>Class review</h1>\n{table}")

"""Machine-readable results: Exercism's results.json v3 fields, per kata and overall."""

from typing import Any
from xml.etree import ElementTree

from grader.grading import KataResult, is_stretch
from grader.runner import TestResult

STATUS = {"pass": "pass", "fail": "fail", "error": "error", "skip": "skip"}


def test_json(test: TestResult) -> dict[str, Any]:
    """One test in results.json v3 form (plus task, location and duration)."""
    return {
        "name": test.name,
        "status": STATUS[test.status],
        "message": test.message or None,
        "output": test.output or None,
        "test_code": test.test_code,
        "task_id": test.task,
        "stretch": is_stretch(test),
        "location": test.location or None,
        "duration": round(test.duration, 4),
        "timed_out": test.timed_out,
    }


def kata_json(result: KataResult) -> dict[str, Any]:
    """One kata's results.json v3 object, with score fields."""
    return {
        "version": 3,
        "slug": result.kata.slug,
        "section": result.kata.section,
        "path": f"katas/{result.kata.rel}",
        "status": result.status,
        "done": result.done,
        "complete": result.complete,
        "difficulty": result.kata.difficulty,
        "minutes": result.kata.minutes,
        "message": result.message if result.status == "error" or result.edited else None,
        "score": result.passed,
        "max_score": result.total,
        "core_score": result.core_passed,
        "core_max_score": result.core_total,
        "stretch_score": result.stretch_passed,
        "stretch_max_score": result.stretch_total,
        "timed_out": result.timed_out,
        "tests_edited": list(result.edited),
        "tests": [test_json(t) for t in result.tests],
    }


def results_json(results: list[KataResult]) -> dict[str, Any]:
    """The whole run: a v3-shaped summary over every kata, and each kata's own object."""
    statuses = {r.status for r in results}
    status = "error" if "error" in statuses else "fail" if "fail" in statuses else "pass"
    return {
        "version": 3,
        "status": status,
        "message": None,
        "score": sum(r.passed for r in results),
        "max_score": sum(r.total for r in results),
        "core_score": sum(r.core_passed for r in results),
        "core_max_score": sum(r.core_total for r in results),
        "stretch_score": sum(r.stretch_passed for r in results),
        "stretch_max_score": sum(r.stretch_total for r in results),
        "katas_done": sum(r.done for r in results),
        "katas_complete": sum(r.complete for r in results),
        "katas_total": len(results),
        "timed_out": any(r.timed_out for r in results),
        "katas": [kata_json(r) for r in results],
    }


def junit_xml(results: list[KataResult]) -> str:
    """JUnit XML, as CI systems read it: one testsuite per kata, one testcase per test."""
    suites = ElementTree.Element("testsuites", name="fastapi-katas")
    for result in results:
        suite = ElementTree.SubElement(
            suites,
            "testsuite",
            name=result.kata.slug,
            tests=str(len(result.tests) + len(result.collect_errors)),
            failures=str(sum(t.status == "fail" for t in result.tests)),
            errors=str(sum(t.status == "error" for t in result.tests) + len(result.collect_errors)),
            skipped=str(sum(t.status == "skip" for t in result.tests)),
            time=f"{sum(t.duration for t in result.tests):.3f}",
        )
        for error in result.collect_errors:
            case = ElementTree.SubElement(
                suite, "testcase", classname=result.kata.slug, name="collect"
            )
            ElementTree.SubElement(case, "error", message=error.message).text = error.details
        for test in result.tests:
            stretch = "stretch." if is_stretch(test) else ""
            case = ElementTree.SubElement(
                suite,
                "testcase",
                classname=f"{result.kata.slug}.{stretch}task{test.task}",
                name=test.name,
                time=f"{test.duration:.3f}",
            )
            if test.status in ("fail", "error"):
                tag = "failure" if test.status == "fail" else "error"
                ElementTree.SubElement(case, tag, message=test.message).text = test.details
            elif test.status == "skip":
                ElementTree.SubElement(case, "skipped", message=test.message)
    ElementTree.indent(suites)
    return ElementTree.tostring(suites, encoding="unicode", xml_declaration=True) + "\n"

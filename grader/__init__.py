"""The fastapi-katas grader: progress for learners, the check for maintainers."""

__version__ = "0.1.0"

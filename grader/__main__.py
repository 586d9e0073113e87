"""`python -m grader` runs the grader CLI."""

from grader.cli import main

raise SystemExit(main())

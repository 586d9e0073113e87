"""Fixtures for kata 4.10: a download folder and a client on an app fed with demo orders."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from streaming_responses import create_app, demo_orders


@pytest.fixture
def files_dir(tmp_path: Path) -> Path:
    """The download folder, holding a subfolder (which is not a file)."""
    folder = tmp_path / "files"
    (folder / "archive").mkdir(parents=True)
    return folder


@pytest.fixture
def demo_client(files_dir: Path) -> Iterator[TestClient]:
    """A TestClient on an app whose feed is `demo_orders(2_500, page_size=1_000)`."""
    app = create_app(lambda: demo_orders(2_500, page_size=1_000), files_dir)
    with TestClient(app) as client:
        yield client

"""Kata 4.11: file uploads that trust nothing the client says about its files."""

from pathlib import Path

from fastapi import FastAPI
from pydantic import BaseModel

# The types the app accepts, and the extension of a stored file of each type.
EXTENSIONS = {"image/png": ".png", "image/jpeg": ".jpg", "application/pdf": ".pdf"}
# Room for the boundaries and part headers of a multipart body, on top of the files themselves.
MULTIPART_OVERHEAD = 65_536
# Files are read and written this many bytes at a time, never whole.
CHUNK_SIZE = 65_536
MAX_NAME_LENGTH = 100


class StoredFile(BaseModel):
    """What the app records, and answers, about a stored file."""

    id: str
    filename: str
    content_type: str
    size: int


def sniff_content_type(head: bytes) -> str | None:
    """The type announced by the first bytes of a file, or None when it is not PNG, JPEG or PDF."""
    # TODO(task 1): compare the start of `head` with the signature of each accepted format.
    raise NotImplementedError("sniff_content_type is not written yet")


def clean_filename(name: str | None) -> str:
    """A client's file name made harmless to display and to put in a header."""
    # TODO(task 2): last path segment ("/" or "\"), no category-C character, at most
    # MAX_NAME_LENGTH characters, no space or dot at either end, "upload" when nothing is left.
    raise NotImplementedError("clean_filename is not written yet")


def create_app(upload_dir: Path, *, max_file_size: int = 1_048_576, max_files: int = 10) -> FastAPI:
    """An app that stores PNG, JPEG and PDF uploads in `upload_dir`, and serves them back."""
    # TODO(task 3): create upload_dir; POST /files stores each file under a generated name
    # (415 when sniff_content_type says no), writing off the event loop; GET /files lists the
    # records.
    # TODO(task 4): GET /files/{file_id} serves a stored file as an attachment; 404 otherwise.
    # TODO(task 5): 413 past max_file_size, counted while copying, and no partial file left;
    # cap the whole request body (max_body_size) and the number of files (form_limits).
    # TODO(task 6): one bad file in a request stores none of its files.
    raise NotImplementedError("create_app is not written yet")

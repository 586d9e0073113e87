"""Kata 4.11: file uploads that trust nothing the client says about its files."""

import re
import secrets
import unicodedata
from pathlib import Path
from typing import Annotated, BinaryIO

from fastapi import FastAPI, File, HTTPException, UploadFile, status
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse
from pydantic import BaseModel

# The types the app accepts, and the extension of a stored file of each type.
EXTENSIONS = {"image/png": ".png", "image/jpeg": ".jpg", "application/pdf": ".pdf"}
# Room for the boundaries and part headers of a multipart body, on top of the files themselves.
MULTIPART_OVERHEAD = 65_536
# Files are read and written this many bytes at a time, never whole.
CHUNK_SIZE = 65_536
MAX_NAME_LENGTH = 100

# The first bytes of each accepted format (its "magic number"), whatever the file is called.
_SIGNATURES = {
    b"\x89PNG\r\n\x1a\n": "image/png",
    b"\xff\xd8\xff": "image/jpeg",
    b"%PDF-": "application/pdf",
}
# Path separators of every platform: a name from a Windows client splits on "\".
_SEPARATORS = re.compile(r"[/\\]")


class StoredFile(BaseModel):
    """What the app records, and answers, about a stored file."""

    id: str
    filename: str
    content_type: str
    size: int


class _FileTooLargeError(Exception):
    """Raised while copying, as soon as a file has more bytes than the limit."""


def sniff_content_type(head: bytes) -> str | None:
    """The type announced by the first bytes of a file, or None when it is not PNG, JPEG or PDF."""
    for signature, content_type in _SIGNATURES.items():
        if head.startswith(signature):
            return content_type
    return None


def clean_filename(name: str | None) -> str:
    """A client's file name made harmless to display and to put in a header."""
    base = _SEPARATORS.split(name or "")[-1]
    # Category C: control characters (NUL, CR, LF), format characters such as the
    # right-to-left override that makes "gnp.exe" display as "exe.png", and the unassigned.
    kept = "".join(ch for ch in base if not unicodedata.category(ch).startswith("C"))
    # Cut first, strip after: the cut could leave a trailing space or dot.
    return kept[:MAX_NAME_LENGTH].strip(" .") or "upload"


def _copy_limited(first: bytes, source: BinaryIO, target: Path, limit: int) -> int:
    """Writes `first` and the rest of `source` to `target`; no file is left when over `limit`."""
    size = 0
    try:
        # "xb": a new file or an error, never an overwrite.
        with target.open("xb") as out:
            chunk = first
            while chunk:
                size += len(chunk)
                if size > limit:
                    raise _FileTooLargeError
                out.write(chunk)
                chunk = source.read(CHUNK_SIZE)
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    return size


def create_app(upload_dir: Path, *, max_file_size: int = 1_048_576, max_files: int = 10) -> FastAPI:
    """An app that stores PNG, JPEG and PDF uploads in `upload_dir`, and serves them back."""
    upload_dir.mkdir(parents=True, exist_ok=True)
    app = FastAPI(title="File uploads")
    # Per app, like kata 2.1's store; only ever changed on the event loop's thread.
    records: dict[str, StoredFile] = {}

    def path_of(file_id: str, content_type: str) -> Path:
        return upload_dir / f"{file_id}{EXTENSIONS[content_type]}"

    def store(upload: UploadFile, filename: str) -> StoredFile:
        """Blocking disk work: runs in the thread pool, off the event loop."""
        head = upload.file.read(CHUNK_SIZE)
        content_type = sniff_content_type(head)
        if content_type is None:
            raise HTTPException(
                status.HTTP_415_UNSUPPORTED_MEDIA_TYPE,
                detail=f"{filename} is not a PNG, JPEG or PDF file",
            )
        # The stored name comes from the app only: random (unguessable, never colliding) and
        # with the extension of the sniffed type. The client's name is metadata, nothing more.
        file_id = secrets.token_hex(16)
        target = path_of(file_id, content_type)
        try:
            size = _copy_limited(head, upload.file, target, max_file_size)
        except _FileTooLargeError:
            raise HTTPException(
                status.HTTP_413_CONTENT_TOO_LARGE,
                detail=f"{filename} is larger than {max_file_size} bytes",
            ) from None
        return StoredFile(id=file_id, filename=filename, content_type=content_type, size=size)

    # Starlette spools the whole multipart body before the endpoint runs: the per-file check
    # alone would let a 10 GB request fill the disk first. max_body_size refuses it as it
    # arrives, and form_limits stops counting parts at max_files.
    @app.post(
        "/files",
        status_code=status.HTTP_201_CREATED,
        max_body_size=max_files * max_file_size + MULTIPART_OVERHEAD,
        form_limits={"max_files": max_files},
    )
    async def upload_files(files: Annotated[list[UploadFile], File()]) -> list[StoredFile]:
        stored: list[StoredFile] = []
        try:
            for upload in files:
                filename = clean_filename(upload.filename)
                stored.append(await run_in_threadpool(store, upload, filename))
        except BaseException:
            # All or nothing: the files of this request already on disk go too.
            for record in stored:
                path_of(record.id, record.content_type).unlink(missing_ok=True)
            raise
        # Recorded only once every file is on disk: nobody can list or fetch half a request.
        records.update((record.id, record) for record in stored)
        return stored

    @app.get("/files")
    async def list_files() -> list[StoredFile]:
        return list(records.values())

    @app.get("/files/{file_id}")
    async def download_file(file_id: str) -> FileResponse:
        # Looked up, never joined to a path: an id the app did not issue names no file at all.
        record = records.get(file_id)
        if record is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, detail="File not found")
        return FileResponse(
            path_of(record.id, record.content_type),
            media_type=record.content_type,
            filename=record.filename,  # sent as `attachment`, so a browser never renders it
            headers={"X-Content-Type-Options": "nosniff"},
        )

    return app

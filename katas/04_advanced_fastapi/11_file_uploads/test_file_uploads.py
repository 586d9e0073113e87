"""Tests for kata 4.11: sniffed types, clean names, size limits, all-or-nothing, downloads."""

import asyncio
import os
import re
import sys
import tracemalloc
import unicodedata
import urllib.parse
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from file_uploads import (
    MULTIPART_OVERHEAD,
    clean_filename,
    create_app,
    sniff_content_type,
)
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

LIMIT = 1024  # the conftest's app: create_app(upload_dir, max_file_size=1024, max_files=3)
MAX_FILES = 3
SECRET = b"TOP SECRET: the upload folder must never lead here"
SIGNATURES = {
    "png": b"\x89PNG\r\n\x1a\n",
    "jpeg": b"\xff\xd8\xff",
    "pdf": b"%PDF-",
}
TYPES = {"png": "image/png", "jpeg": "image/jpeg", "pdf": "application/pdf"}
EXTENSIONS = {"image/png": ".png", "image/jpeg": ".jpg", "application/pdf": ".pdf"}
STORED_NAME = re.compile(r"[0-9a-f]{32}\.(png|jpg|pdf)")
ID = re.compile(r"[0-9a-f]{32}")
BOUNDARY = "kata-4-11-boundary"
FUNCTION_FIXTURES = [HealthCheck.function_scoped_fixture]


def content(kind: str, size: int, seed: int = 0) -> bytes:
    """`size` bytes that start with the signature of `kind` ("gif" and "text" are refused)."""
    start = {**SIGNATURES, "gif": b"GIF89a", "text": b"plain text "}[kind]
    filler = bytes((seed + i) % 251 for i in range(size))
    return (start + filler)[:size]


def files(*items: tuple[str, bytes]) -> list[tuple[str, tuple[str, bytes, str]]]:
    """httpx `files=` for several files in the `files` field, each claiming to be a PNG."""
    return [("files", (name, data, "image/png")) for name, data in items]


def raw_multipart(*items: tuple[str, bytes]) -> tuple[bytes, dict[str, str]]:
    """A multipart body carrying each file name as it is (httpx would percent-encode NUL, quotes
    and newlines before they reach the server), and its Content-Type header."""
    parts = []
    for name, data in items:
        quoted = name.replace("\\", "\\\\").replace('"', '\\"')
        head = (
            f"--{BOUNDARY}\r\nContent-Disposition: form-data; "
            f'name="files"; filename="{quoted}"\r\nContent-Type: image/png\r\n\r\n'
        )
        parts.append(head.encode() + data + b"\r\n")
    body = b"".join(parts) + f"--{BOUNDARY}--\r\n".encode()
    return body, {"content-type": f"multipart/form-data; boundary={BOUNDARY}"}


def snapshot(root: Path) -> dict[Path, bytes]:
    """Every file below root, with its bytes."""
    return {path: path.read_bytes() for path in root.rglob("*") if path.is_file()}


def stored_names(upload_dir: Path) -> set[str]:
    return {path.name for path in upload_dir.iterdir()} if upload_dir.is_dir() else set()


def path_of(upload_dir: Path, record: dict[str, object]) -> Path:
    return upload_dir / f"{record['id']}{EXTENSIONS[str(record['content_type'])]}"


# One `; name=value` parameter of a header: a token, or a quoted-string with backslash escapes.
PARAMETER = re.compile(r';\s*([^\s;=]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;]*)')


def disposition_of(response: httpx.Response) -> tuple[str, dict[str, str]]:
    """The disposition type (lowercased) and the parameters of a Content-Disposition header."""
    header = response.headers["content-disposition"]
    disposition, _, rest = header.partition(";")
    parameters: dict[str, str] = {}
    for name, value in PARAMETER.findall(";" + rest):
        value = value.strip()
        if value.startswith('"'):
            value = re.sub(r"\\(.)", r"\1", value[1:-1])
        parameters.setdefault(name.lower(), value)
    return disposition.strip().lower(), parameters


def filename_of(response: httpx.Response) -> str | None:
    """The file name a recipient reads from Content-Disposition, as RFC 6266 section 4.3 says:
    `filename*=` (RFC 8187, `UTF-8''percent-encoded`) when present, else `filename=`. So the
    plain form, the extended form and both together (the RFC's recommendation) all pass."""
    _, parameters = disposition_of(response)
    if "filename*" in parameters:
        charset, _, rest = parameters["filename*"].partition("'")
        _, _, encoded = rest.partition("'")  # skip the language tag
        return urllib.parse.unquote(encoded, encoding=charset, errors="strict")
    return parameters.get("filename")


def url_for(file_id: str) -> str:
    """`/files/<id>` with every character but ASCII letters and digits percent-encoded, so that
    the client sends `.`, `/` and `%` as they are meant and the server decodes them once."""
    encoded = "".join(
        ch if ch.isascii() and ch.isalnum() else "".join(f"%{b:02X}" for b in ch.encode())
        for ch in file_id
    )
    return f"/files/{encoded}"


# Files under a watched folder opened (or renamed into it) by a thread that runs an event loop:
# blocking disk work done on the loop. An audit hook sees every `open`, whatever the API used.
WATCHED: list[str] = []
OPENED_ON_THE_LOOP: list[str] = []


def _watch_the_loop(event: str, args: tuple[object, ...]) -> None:
    if not WATCHED or event not in ("open", "os.rename"):
        return
    path = args[1] if event == "os.rename" else args[0]
    if not isinstance(path, str | bytes | os.PathLike):
        return  # a file descriptor
    name = os.path.abspath(os.fsdecode(path))
    if not name.startswith(WATCHED[0]):
        return
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return  # a worker thread: where blocking work belongs
    OPENED_ON_THE_LOOP.append(name)


sys.addaudithook(_watch_the_loop)  # audit hooks cannot be removed: it does nothing unwatched


# Task 1 -------------------------------------------------------------------------------------


@pytest.mark.task(1)
@pytest.mark.parametrize(
    ("head", "expected"),
    [
        pytest.param(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "image/png", id="png"),
        pytest.param(b"\x89PNG\r\n\x1a\n", "image/png", id="png-signature-only"),
        pytest.param(b"\xff\xd8\xff\xe0\x00\x10JFIF", "image/jpeg", id="jpeg-jfif"),
        pytest.param(b"\xff\xd8\xff\xe1\x00\x18Exif", "image/jpeg", id="jpeg-exif"),
        pytest.param(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3", "application/pdf", id="pdf"),
    ],
)
def test_known_signatures_are_recognised(head: bytes, expected: str) -> None:
    assert sniff_content_type(head) == expected


@pytest.mark.task(1)
@pytest.mark.parametrize(
    "head",
    [
        pytest.param(b"", id="empty"),
        pytest.param(b"GIF89a\x01\x00", id="gif"),
        pytest.param(b"<html><script>alert(1)</script>", id="html"),
        pytest.param(b'<svg xmlns="http://www.w3.org/2000/svg">', id="svg"),
        pytest.param(b"PK\x03\x04", id="zip"),
        pytest.param(b"MZ\x90\x00", id="windows-executable"),
        pytest.param(b"\x89PNG", id="png-signature-cut-short"),
        pytest.param(b"\x89PNG\r\n\x1a", id="png-signature-one-byte-short"),
        pytest.param(b"\xff\xd8", id="jpeg-signature-cut-short"),
        pytest.param(b"%PDF", id="pdf-without-dash"),
        pytest.param(b" \x89PNG\r\n\x1a\n", id="png-signature-not-at-the-start"),
        pytest.param(b"hello %PDF-1.7", id="pdf-signature-not-at-the-start"),
        pytest.param(b"image/png", id="a-type-name-is-not-a-signature"),
    ],
)
def test_anything_else_is_not_recognised(head: bytes) -> None:
    assert sniff_content_type(head) is None


@pytest.mark.task(1)
@settings(max_examples=30, deadline=None)
@given(kind=st.sampled_from(sorted(SIGNATURES)), rest=st.binary(max_size=64))
def test_a_signature_decides_whatever_follows(kind: str, rest: bytes) -> None:
    assert sniff_content_type(SIGNATURES[kind] + rest) == TYPES[kind]


@pytest.mark.task(1)
@settings(max_examples=50, deadline=None)
@given(head=st.binary(max_size=32))
def test_bytes_without_a_signature_at_the_start_are_refused(head: bytes) -> None:
    assume(not any(head.startswith(signature) for signature in SIGNATURES.values()))
    assert sniff_content_type(head) is None


# Task 2 -------------------------------------------------------------------------------------


@pytest.mark.task(2)
@pytest.mark.parametrize(
    ("name", "expected"),
    [
        pytest.param("report.pdf", "report.pdf", id="plain"),
        pytest.param("résumé.pdf", "résumé.pdf", id="accents-kept"),
        pytest.param("фото 2024.png", "фото 2024.png", id="cyrillic-and-space-kept"),
        pytest.param("../../etc/passwd", "passwd", id="traversal"),
        pytest.param("/etc/passwd", "passwd", id="absolute"),
        pytest.param("C:\\Users\\me\\photo.png", "photo.png", id="windows-path"),
        pytest.param("..\\..\\boot.ini", "boot.ini", id="backslash-traversal"),
        pytest.param("a/b\\c/d.png", "d.png", id="mixed-separators"),
        pytest.param("a\x00b.png", "ab.png", id="nul"),
        pytest.param("line\r\nbreak.png", "linebreak.png", id="crlf"),
        pytest.param("tab\there.png", "tabhere.png", id="tab"),
        pytest.param("\u202egnp.exe", "gnp.exe", id="right-to-left-override"),
        pytest.param("zero\u200bwidth.png", "zerowidth.png", id="zero-width-space"),
        pytest.param(".htaccess", "htaccess", id="hidden-file"),
        pytest.param("  spaced .pdf  ", "spaced .pdf", id="outer-spaces"),
        pytest.param("name.pdf...", "name.pdf", id="trailing-dots"),
        pytest.param("a" * 300 + ".png", "a" * 100, id="long-name-cut-to-100"),
        pytest.param("x" * 99 + " y", "x" * 99, id="cut-then-strip"),
    ],
)
def test_clean_filename_examples(name: str, expected: str) -> None:
    assert clean_filename(name) == expected


@pytest.mark.task(2)
@pytest.mark.parametrize(
    "name",
    [
        pytest.param(None, id="none"),
        pytest.param("", id="empty"),
        pytest.param(".", id="dot"),
        pytest.param("..", id="dot-dot"),
        pytest.param("....", id="dots"),
        pytest.param("   ", id="spaces"),
        pytest.param("uploads/", id="trailing-slash"),
        pytest.param("..\\", id="trailing-backslash"),
        pytest.param("\x00\x01\x1f", id="control-characters"),
        pytest.param("\u202e\u200b", id="format-characters"),
    ],
)
def test_a_name_with_nothing_left_becomes_upload(name: str | None) -> None:
    assert clean_filename(name) == "upload"


# Separators, dots, controls, format characters (RLO, zero-width, BOM), look-alike slashes
# (fullwidth solidus and reverse solidus, division slash), encodings, a tag and a private-use
# character.
HOSTILE_CHARACTERS = st.sampled_from(
    [
        *("/", "\\", ".", "..", " ", "\x00", "\r", "\n", "\t", "\u202e", "\u200b", "\ufeff"),
        *("\uff0f", "\uff3c", "\u2215", "~", ":", "%2f", "%00", "é", "日本", "🙂", "\U000e0001"),
        "\ue000",
    ]
)
HOSTILE_NAMES = st.one_of(
    st.lists(st.one_of(HOSTILE_CHARACTERS, st.text(max_size=6)), max_size=12).map("".join),
    st.text(max_size=300),
)


@pytest.mark.task(2)
@settings(max_examples=80, deadline=None)
@given(name=HOSTILE_NAMES)
def test_a_clean_name_is_always_safe(name: str) -> None:
    cleaned = clean_filename(name)
    assert 1 <= len(cleaned) <= 100
    assert "/" not in cleaned
    assert "\\" not in cleaned
    assert not [ch for ch in cleaned if unicodedata.category(ch).startswith("C")]
    assert cleaned[0] not in " ."
    assert cleaned[-1] not in " ."
    assert clean_filename(cleaned) == cleaned


@pytest.mark.task(2)
@settings(max_examples=25, deadline=None)
@given(
    folders=st.text(max_size=30),
    separator=st.sampled_from(["/", "\\"]),
    name=st.from_regex(r"[A-Za-z0-9_-]{1,40}\.(png|jpg|pdf)", fullmatch=True),
)
def test_only_the_last_path_segment_is_kept(folders: str, separator: str, name: str) -> None:
    assert clean_filename(name) == name
    assert clean_filename(folders + separator + name) == name


# Task 3 -------------------------------------------------------------------------------------


@pytest.mark.task(3)
def test_create_app_creates_a_missing_upload_folder(upload_dir: Path) -> None:
    assert not upload_dir.exists()
    create_app(upload_dir)
    assert upload_dir.is_dir()


@pytest.mark.task(3)
def test_a_new_app_lists_no_files(client: TestClient) -> None:
    response = client.get("/files")
    assert response.status_code == 200, response.text
    assert response.json() == []


@pytest.mark.task(3)
def test_an_upload_is_stored_under_a_generated_name(client: TestClient, upload_dir: Path) -> None:
    data = content("png", 300)
    response = client.post("/files", files=files(("holiday.png", data)))
    assert response.status_code == 201, response.text
    [record] = response.json()
    assert ID.fullmatch(record["id"]), record
    assert record == {
        "id": record["id"],
        "filename": "holiday.png",
        "content_type": "image/png",
        "size": 300,
    }
    assert stored_names(upload_dir) == {f"{record['id']}.png"}
    assert path_of(upload_dir, record).read_bytes() == data
    assert client.get("/files").json() == [record]


@pytest.mark.task(3)
@pytest.mark.parametrize(
    ("name", "claimed", "kind"),
    [
        pytest.param("photo.pdf", "application/pdf", "png", id="png-claiming-pdf"),
        pytest.param("notes.txt", "text/plain", "pdf", id="pdf-claiming-text"),
        pytest.param("scan.png", "image/png", "jpeg", id="jpeg-claiming-png"),
        pytest.param("noextension", "application/octet-stream", "jpeg", id="jpeg-unnamed-type"),
    ],
)
def test_the_type_comes_from_the_bytes_not_the_header_or_the_name(
    client: TestClient, upload_dir: Path, name: str, claimed: str, kind: str
) -> None:
    data = content(kind, 200)
    response = client.post("/files", files=[("files", (name, data, claimed))])
    assert response.status_code == 201, response.text
    [record] = response.json()
    assert record["content_type"] == TYPES[kind]
    assert record["filename"] == name
    assert stored_names(upload_dir) == {f"{record['id']}{EXTENSIONS[TYPES[kind]]}"}


@pytest.mark.task(3)
@pytest.mark.parametrize(
    ("name", "claimed", "data"),
    [
        pytest.param("page.png", "image/png", b"<html><script>alert(1)</script>", id="html-as-png"),
        pytest.param("anim.gif", "image/gif", content("gif", 100), id="gif"),
        pytest.param("doc.pdf", "application/pdf", b"MZ\x90\x00" * 20, id="exe-as-pdf"),
        pytest.param("logo.png", "image/svg+xml", b"<svg onload=alert(1)>", id="svg"),
        pytest.param("empty.png", "image/png", b"", id="empty-file"),
    ],
)
def test_a_file_of_another_type_is_415_whatever_it_claims(
    client: TestClient, upload_dir: Path, name: str, claimed: str, data: bytes
) -> None:
    response = client.post("/files", files=[("files", (name, data, claimed))])
    assert response.status_code == 415, response.text
    assert response.json() == {"detail": f"{name} is not a PNG, JPEG or PDF file"}
    assert stored_names(upload_dir) == set()
    assert client.get("/files").json() == []


# Names a client controls: markup, path parts, terminal escapes and log-forging controls.
HOSTILE_ERROR_NAMES = [
    pytest.param("<script>alert(1)</script>.png", id="markup"),
    pytest.param("../../<img src=x onerror=alert(1)>.png", id="traversal-and-markup"),
    pytest.param("..\\..\\windows\\evil.png", id="windows-traversal"),
    pytest.param("\x1b[2J\x1b[31mred.png", id="terminal-escapes"),
    pytest.param("ok.png\x00\x08\x7f.exe", id="nul-backspace-delete"),
    pytest.param("\u202egnp.exe", id="right-to-left-override"),
    pytest.param("x" * 500 + ".png", id="very-long"),
]


@pytest.mark.task(3)
@pytest.mark.parametrize("name", HOSTILE_ERROR_NAMES)
def test_a_refused_file_is_named_by_its_clean_name_only(
    client: TestClient, upload_dir: Path, name: str
) -> None:
    # A client's name is untrusted: echoed raw, it carries markup into a page and controls into
    # logs and terminals. The error names the file by clean_filename, as the record would.
    body, headers = raw_multipart((name, content("gif", 40)))
    response = client.post("/files", content=body, headers=headers)
    assert response.status_code == 415, response.text
    detail = response.json()["detail"]
    assert detail == f"{clean_filename(name)} is not a PNG, JPEG or PDF file"
    assert name not in detail
    assert stored_names(upload_dir) == set()


@pytest.mark.task(3)
def test_several_files_in_one_request_are_stored_in_order(
    client: TestClient, upload_dir: Path
) -> None:
    sent = [("a.png", content("png", 64)), ("b.jpg", content("jpeg", 65)), ("c.pdf", b"%PDF-")]
    response = client.post("/files", files=files(*sent))
    assert response.status_code == 201, response.text
    records = response.json()
    assert [(r["filename"], r["content_type"], r["size"]) for r in records] == [
        ("a.png", "image/png", 64),
        ("b.jpg", "image/jpeg", 65),
        ("c.pdf", "application/pdf", 5),
    ]
    assert len({r["id"] for r in records}) == 3
    for record, (_, data) in zip(records, sent, strict=True):
        assert path_of(upload_dir, record).read_bytes() == data
    assert stored_names(upload_dir) == {path_of(upload_dir, r).name for r in records}
    assert client.get("/files").json() == records


@pytest.mark.task(3)
def test_two_files_with_the_same_name_are_both_kept(client: TestClient, upload_dir: Path) -> None:
    first = client.post("/files", files=files(("same.png", content("png", 50, seed=1))))
    second = client.post("/files", files=files(("same.png", content("png", 50, seed=2))))
    assert first.status_code == second.status_code == 201, (first.text, second.text)
    ids = {first.json()[0]["id"], second.json()[0]["id"]}
    assert len(ids) == 2
    assert stored_names(upload_dir) == {f"{file_id}.png" for file_id in ids}


@pytest.mark.task(3)
def test_files_are_written_off_the_event_loop(client: TestClient, upload_dir: Path) -> None:
    WATCHED[:] = [str(upload_dir)]
    OPENED_ON_THE_LOOP.clear()
    try:
        response = client.post(
            "/files", files=files(("a.png", content("png", 500)), ("b.pdf", content("pdf", 700)))
        )
    finally:
        WATCHED.clear()
    assert response.status_code == 201, response.text
    assert OPENED_ON_THE_LOOP == [], "opened on the event loop's thread: blocks every request"


@pytest.mark.task(3)
@pytest.mark.parametrize(
    ("request_kwargs"),
    [
        pytest.param({}, id="no-body"),
        pytest.param({"data": {"files": "not a file"}}, id="text-field-instead-of-a-file"),
        pytest.param(
            {"files": [("upload", ("a.png", content("png", 20), "image/png"))]},
            id="file-in-another-field",
        ),
        pytest.param({"json": {"files": ["a.png"]}}, id="json-body"),
    ],
)
def test_a_request_without_files_is_422_and_stores_nothing(
    client: TestClient, upload_dir: Path, request_kwargs: dict[str, object]
) -> None:
    response = client.post("/files", **request_kwargs)  # type: ignore[arg-type]
    assert response.status_code == 422, response.text
    assert stored_names(upload_dir) == set()
    assert client.get("/files").json() == []


@pytest.mark.task(3)
@pytest.mark.parametrize(
    ("name", "expected"),
    [
        pytest.param("../../escaped.png", "escaped.png", id="traversal"),
        pytest.param("../../../../escaped.png", "escaped.png", id="deep-traversal"),
        pytest.param("{tmp}/escaped.png", "escaped.png", id="absolute-path"),
        pytest.param("..\\..\\escaped.png", "escaped.png", id="windows-traversal"),
        pytest.param("a\x00b.png", "ab.png", id="nul"),
        pytest.param('say "cheese".png', 'say "cheese".png', id="quotes"),
        pytest.param("", "upload", id="empty"),
        pytest.param("..", "upload", id="dot-dot"),
        pytest.param("\u202egnp.exe", "gnp.exe", id="right-to-left-override"),
        pytest.param("日本語の名前.png", "日本語の名前.png", id="unicode"),
        pytest.param("n" * 1000, "n" * 100, id="very-long"),
    ],
)
def test_a_hostile_name_is_only_metadata(
    client: TestClient, upload_dir: Path, tmp_path: Path, name: str, expected: str
) -> None:
    before = snapshot(tmp_path)
    data = content("png", 40)
    body, headers = raw_multipart((name.replace("{tmp}", str(tmp_path)), data))
    response = client.post("/files", content=body, headers=headers)
    assert response.status_code == 201, response.text
    [record] = response.json()
    assert record["filename"] == expected
    stored = path_of(upload_dir, record)
    assert snapshot(tmp_path) == {**before, stored: data}


RELATIVE_HOSTILE = st.lists(
    st.tuples(
        st.one_of(
            st.sampled_from(["..", ".", "", "~", "escaped.png", "C:", "%2e%2e", "\x00", "CON"]),
            st.sampled_from(
                ["\u202egnp.exe", "..\uff0f..\uff0fx", " ", "....", "日本.pdf", '"', ";"]
            ),
            st.text(
                alphabet=st.characters(exclude_characters="/\\\r\n", exclude_categories=["Cs"]),
                max_size=10,
            ),
        ),
        st.sampled_from(["/", "\\"]),
    ),
    min_size=1,
    max_size=4,  # at most four ".." segments: the upload folder is four levels below tmp_path
).map(lambda parts: "".join(segment + separator for segment, separator in parts)[:-1])
HOSTILE_UPLOAD_NAMES = st.one_of(
    # Never a name that starts with "/": a wrong solution would write at the file system's root.
    RELATIVE_HOSTILE.filter(lambda name: not name.startswith("/")),
    st.sampled_from(["{tmp}/escaped.png", "{tmp}/srv/../escaped.png", "{uploads}/../x.png"]),
    st.text(
        alphabet=st.characters(exclude_characters="/\\\r\n", exclude_categories=["Cs"]),
        min_size=101,
        max_size=400,
    ),
)


@pytest.mark.task(3)
@settings(max_examples=30, deadline=None, suppress_health_check=FUNCTION_FIXTURES)
@given(name=HOSTILE_UPLOAD_NAMES)
def test_no_name_ever_writes_outside_the_upload_folder(
    client: TestClient, upload_dir: Path, tmp_path: Path, name: str
) -> None:
    # One app for every example: each one checks what its own upload changed.
    name = name.replace("{tmp}", str(tmp_path)).replace("{uploads}", str(upload_dir))
    before = snapshot(tmp_path)
    data = content("pdf", 33)
    body, headers = raw_multipart((name, data))
    response = client.post("/files", content=body, headers=headers)
    assert response.status_code == 201, response.text
    [record] = response.json()
    assert ID.fullmatch(record["id"]), record
    assert record["filename"] == clean_filename(name)
    assert snapshot(tmp_path) == {**before, path_of(upload_dir, record): data}
    assert all(STORED_NAME.fullmatch(stored) for stored in stored_names(upload_dir))


@pytest.mark.task(3)
async def test_concurrent_uploads_each_keep_their_own_file(
    async_client: httpx.AsyncClient, upload_dir: Path
) -> None:
    payloads = [content("png", 100 + 50 * i, seed=i) for i in range(10)]
    responses = await asyncio.gather(
        *(async_client.post("/files", files=files(("same.png", data))) for data in payloads)
    )
    assert [r.status_code for r in responses] == [201] * 10, [r.text for r in responses]
    records = [r.json()[0] for r in responses]
    assert len({record["id"] for record in records}) == 10
    for record, data in zip(records, payloads, strict=True):
        assert path_of(upload_dir, record).read_bytes() == data
    listed = (await async_client.get("/files")).json()
    assert sorted(listed, key=lambda r: r["id"]) == sorted(records, key=lambda r: r["id"])


# Task 4 -------------------------------------------------------------------------------------


@pytest.fixture
def stored(client: TestClient) -> tuple[dict[str, object], bytes]:
    """One stored PDF, named `Quarterly report.pdf` by its client: its record and its bytes."""
    data = content("pdf", 700)
    response = client.post("/files", files=files(("Quarterly report.pdf", data)))
    assert response.status_code == 201, response.text
    return response.json()[0], data


@pytest.mark.task(4)
def test_a_stored_file_downloads_as_an_attachment(
    client: TestClient, stored: tuple[dict[str, object], bytes]
) -> None:
    record, data = stored
    response = client.get(f"/files/{record['id']}")
    assert response.status_code == 200, response.text
    assert response.content == data
    assert response.headers["content-type"] == "application/pdf"
    assert disposition_of(response)[0] == "attachment"
    assert filename_of(response) == "Quarterly report.pdf"
    assert response.headers["x-content-type-options"] == "nosniff"


@pytest.mark.task(4)
@pytest.mark.parametrize(
    ("name", "expected"),
    [
        pytest.param("résumé.png", "résumé.png", id="non-ascii"),
        pytest.param('a"b;c=d.png', 'a"b;c=d.png', id="quote-semicolon-equals"),
        pytest.param("../../x.png", "x.png", id="traversal"),
        pytest.param("\u202egnp.exe", "gnp.exe", id="right-to-left-override"),
        pytest.param("", "upload", id="empty"),
    ],
)
def test_the_download_carries_the_clean_name(client: TestClient, name: str, expected: str) -> None:
    body, headers = raw_multipart((name, content("png", 20)))
    response = client.post("/files", content=body, headers=headers)
    assert response.status_code == 201, response.text
    download = client.get(f"/files/{response.json()[0]['id']}")
    assert download.status_code == 200, download.text
    assert filename_of(download) == expected


@pytest.mark.task(4)
@pytest.mark.parametrize(
    "file_id",
    [
        pytest.param("0" * 32, id="well-formed-but-unknown"),
        pytest.param("nope", id="not-an-id"),
        pytest.param("planted", id="a-file-nobody-uploaded"),
        pytest.param("planted.png", id="its-file-name"),
    ],
)
def test_an_unknown_id_is_404(client: TestClient, upload_dir: Path, file_id: str) -> None:
    (upload_dir / "planted.png").write_bytes(content("png", 30))
    response = client.get(f"/files/{file_id}")
    assert response.status_code == 404, response.text
    assert response.json() == {"detail": "File not found"}


@pytest.mark.task(4)
def test_the_stored_file_name_is_not_an_id(
    client: TestClient, stored: tuple[dict[str, object], bytes]
) -> None:
    record, _ = stored
    response = client.get(f"/files/{record['id']}.pdf")
    assert response.status_code == 404, response.text


HOSTILE_IDS = st.one_of(
    st.sampled_from(
        [
            *("../secret.txt", "..\\secret.txt", "../../app/secret.txt", "....//secret.txt"),
            *("{secret}", "{uploads}/{id}.pdf", "..", ".", "~", "*", "?", "**", "[0-9a-f]*"),
            *("{id}*", "{id}?", "{id}.*", "{id}.pdf", "../{id}.pdf", "{id}/../../secret.txt"),
            *("{id}\x00", " {id}", "{id} ", "%2e%2e%2fsecret.txt", "planted", "planted.png"),
            *("secret.txt", "/secret.txt", "\x00", "%00", "{prefix}*"),
        ]
    ),
    st.text(min_size=1, max_size=40),
)


@pytest.mark.task(4)
@settings(max_examples=40, deadline=None, suppress_health_check=FUNCTION_FIXTURES)
@given(template=HOSTILE_IDS)
async def test_no_id_reads_a_file_outside_the_store(
    async_client: httpx.AsyncClient, upload_dir: Path, secret: Path, template: str
) -> None:
    # One app for every example, holding one upload and a file planted in its folder.
    if not (upload_dir / "planted.png").exists():
        response = await async_client.post("/files", files=files(("a.pdf", content("pdf", 90))))
        assert response.status_code == 201, response.text
        (upload_dir / "planted.png").write_bytes(SECRET)
    [record] = (await async_client.get("/files")).json()
    file_id = (
        template.replace("{secret}", str(secret))
        .replace("{uploads}", str(upload_dir))
        .replace("{prefix}", record["id"][:8])
        .replace("{id}", record["id"])
    )
    # An id that ends with "/" gets Starlette's trailing-slash redirect, before any route.
    assume(file_id != record["id"] and not file_id.endswith("/"))
    response = await async_client.get(url_for(file_id), follow_redirects=False)
    assert response.status_code == 404, response.text
    assert SECRET not in response.content
    assert b"%PDF-" not in response.content


@pytest.mark.task(4)
def test_each_app_serves_only_its_own_files(
    upload_dir: Path, stored: tuple[dict[str, object], bytes]
) -> None:
    record, _ = stored
    with TestClient(create_app(upload_dir)) as other:
        response = other.get(f"/files/{record['id']}")
        assert response.status_code == 404, response.text
        assert other.get("/files").json() == []


@pytest.mark.task(4)
def test_list_and_download_agree(client: TestClient) -> None:
    sent = [("one.png", content("png", 11)), ("two.jpg", content("jpeg", 22))]
    assert client.post("/files", files=files(*sent)).status_code == 201
    for record, (_, data) in zip(client.get("/files").json(), sent, strict=True):
        response = client.get(f"/files/{record['id']}")
        assert response.status_code == 200, response.text
        assert response.content == data
        assert response.headers["content-type"] == record["content_type"]


# Task 5 -------------------------------------------------------------------------------------


@pytest.mark.task(5)
@pytest.mark.stretch
def test_a_file_of_exactly_the_limit_is_accepted(client: TestClient, upload_dir: Path) -> None:
    response = client.post("/files", files=files(("full.png", content("png", LIMIT))))
    assert response.status_code == 201, response.text
    assert response.json()[0]["size"] == LIMIT
    assert path_of(upload_dir, response.json()[0]).stat().st_size == LIMIT


@pytest.mark.task(5)
@pytest.mark.stretch
@pytest.mark.parametrize(
    "size",
    [
        pytest.param(LIMIT + 1, id="one-byte-over"),
        pytest.param(3 * LIMIT, id="three-times-the-limit"),
        pytest.param(40 * LIMIT, id="forty-times-the-limit"),
    ],
)
def test_a_file_over_the_limit_is_413_and_leaves_nothing(
    client: TestClient, upload_dir: Path, size: int
) -> None:
    response = client.post("/files", files=files(("big.png", content("png", size))))
    assert response.status_code == 413, response.text
    assert response.json() == {"detail": f"big.png is larger than {LIMIT} bytes"}
    assert stored_names(upload_dir) == set()
    assert client.get("/files").json() == []


@pytest.mark.task(5)
@pytest.mark.stretch
@pytest.mark.parametrize("name", HOSTILE_ERROR_NAMES)
def test_a_file_too_large_is_named_by_its_clean_name_only(
    client: TestClient, upload_dir: Path, name: str
) -> None:
    body, headers = raw_multipart((name, content("png", LIMIT + 1)))
    response = client.post("/files", content=body, headers=headers)
    assert response.status_code == 413, response.text
    detail = response.json()["detail"]
    assert detail == f"{clean_filename(name)} is larger than {LIMIT} bytes"
    assert name not in detail
    assert stored_names(upload_dir) == set()


@pytest.mark.task(5)
@pytest.mark.stretch
def test_the_maximum_number_of_full_files_with_long_names_fits(
    client: TestClient, upload_dir: Path
) -> None:
    sent = [("é" * 300 + f"{i}.png", content("png", LIMIT, seed=i)) for i in range(MAX_FILES)]
    response = client.post("/files", files=files(*sent))
    assert response.status_code == 201, response.text
    assert len(stored_names(upload_dir)) == MAX_FILES


@pytest.mark.task(5)
@pytest.mark.stretch
def test_more_files_than_allowed_is_400_and_stores_nothing(
    client: TestClient, upload_dir: Path
) -> None:
    sent = [(f"{i}.png", content("png", 10)) for i in range(MAX_FILES + 1)]
    response = client.post("/files", files=files(*sent))
    assert response.status_code == 400, response.text
    assert str(MAX_FILES) in response.json()["detail"]
    assert stored_names(upload_dir) == set()
    assert client.get("/files").json() == []


@pytest.mark.task(5)
@pytest.mark.stretch
def test_a_body_declared_over_the_cap_is_413_and_stores_nothing(
    client: TestClient, upload_dir: Path
) -> None:
    cap = MAX_FILES * LIMIT + MULTIPART_OVERHEAD
    response = client.post("/files", files=files(("huge.png", content("png", cap + 1))))
    assert response.status_code == 413, response.text
    assert stored_names(upload_dir) == set()
    assert client.get("/files").json() == []


@pytest.mark.task(5)
@pytest.mark.stretch
async def test_a_streamed_body_over_the_cap_is_refused_before_it_is_all_read(
    async_client: httpx.AsyncClient, upload_dir: Path
) -> None:
    chunk, count = 16 * 1024, 64  # 1 MiB, about fifteen times the cap of this app
    pulled: list[int] = []

    async def body() -> AsyncIterator[bytes]:
        yield (
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="files"; '
            f'filename="endless.png"\r\nContent-Type: image/png\r\n\r\n'
        ).encode() + SIGNATURES["png"]
        for index in range(count):
            pulled.append(index)
            yield b"\x00" * chunk
        yield f"\r\n--{BOUNDARY}--\r\n".encode()

    response = await async_client.post(
        "/files",
        content=body(),
        headers={"content-type": f"multipart/form-data; boundary={BOUNDARY}"},
    )
    assert response.status_code == 413, response.text
    # The cap is MAX_FILES * LIMIT + MULTIPART_OVERHEAD bytes, about 4 chunks: a server that
    # stops reading at the cap pulls a handful of chunks, not the whole megabyte.
    assert len(pulled) < count // 2, f"{len(pulled)} chunks of {count} were read"
    assert stored_names(upload_dir) == set()


@pytest.mark.task(5)
@pytest.mark.stretch
def test_the_default_limits_are_one_mebibyte_and_ten_files(tmp_path: Path) -> None:
    mebibyte = 1_048_576
    with TestClient(create_app(tmp_path / "uploads")) as client:
        full = client.post("/files", files=files(("full.png", content("png", mebibyte))))
        assert full.status_code == 201, full.text
        over = client.post("/files", files=files(("over.png", content("png", mebibyte + 1))))
        assert over.status_code == 413, over.text
        ten = client.post("/files", files=files(*[(f"{i}.png", b"%PDF-") for i in range(10)]))
        assert ten.status_code == 201, ten.text
        eleven = client.post("/files", files=files(*[(f"{i}.png", b"%PDF-") for i in range(11)]))
        assert eleven.status_code == 400, eleven.text


@pytest.mark.task(5)
@pytest.mark.stretch
async def test_a_large_file_is_never_held_in_memory_whole(tmp_path: Path) -> None:
    # Starlette spools a part to disk past 1 MiB; an app that copies CHUNK_SIZE at a time (or
    # trusts UploadFile.size) stays far below the file's size. `await upload.read()` does not.
    size = 8 * 1024 * 1024
    app = create_app(tmp_path / "uploads", max_file_size=size, max_files=1)
    block = bytes(64 * 1024)

    async def body() -> AsyncIterator[bytes]:
        yield (
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="files"; '
            f'filename="large.png"\r\nContent-Type: image/png\r\n\r\n'
        ).encode() + SIGNATURES["png"]
        left = size - len(SIGNATURES["png"])
        while left >= len(block):
            yield block
            left -= len(block)
        yield block[:left]
        yield f"\r\n--{BOUNDARY}--\r\n".encode()

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        tracemalloc.start()
        try:
            response = await client.post(
                "/files",
                content=body(),
                headers={"content-type": f"multipart/form-data; boundary={BOUNDARY}"},
            )
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert response.status_code == 201, response.text
    assert response.json()[0]["size"] == size
    assert peak < size // 2, f"{peak} bytes held at once while storing a file of {size} bytes"


# Task 6 -------------------------------------------------------------------------------------


@pytest.mark.task(6)
@pytest.mark.stretch
@pytest.mark.parametrize(
    ("kinds", "status", "bad"),
    [
        pytest.param(["png", "big", "pdf"], 413, 1, id="second-too-large"),
        pytest.param(["png", "jpeg", "gif"], 415, 2, id="third-wrong-type"),
        pytest.param(["gif", "png", "png"], 415, 0, id="first-wrong-type"),
        pytest.param(["png", "big", "gif"], 413, 1, id="too-large-before-wrong-type"),
        pytest.param(["pdf", "gif", "big"], 415, 1, id="wrong-type-before-too-large"),
    ],
)
def test_one_bad_file_stores_none_and_the_first_bad_file_decides(
    client: TestClient, upload_dir: Path, kinds: list[str], status: int, bad: int
) -> None:
    sizes = {"big": LIMIT + 1}
    sent = [
        (f"f{i}.{kind}", content("png" if kind == "big" else kind, sizes.get(kind, 500)))
        for i, kind in enumerate(kinds)
    ]
    response = client.post("/files", files=files(*sent))
    assert response.status_code == status, response.text
    reason = f"larger than {LIMIT} bytes" if status == 413 else "not a PNG, JPEG or PDF file"
    assert response.json() == {"detail": f"{sent[bad][0]} is {reason}"}
    assert stored_names(upload_dir) == set()
    assert client.get("/files").json() == []


@pytest.mark.task(6)
@pytest.mark.stretch
def test_a_failed_request_leaves_earlier_uploads_alone(
    client: TestClient, upload_dir: Path
) -> None:
    kept = client.post("/files", files=files(("kept.png", content("png", 99))))
    assert kept.status_code == 201, kept.text
    failed = client.post(
        "/files", files=files(("ok.png", content("png", 10)), ("bad.gif", content("gif", 10)))
    )
    assert failed.status_code == 415, failed.text
    assert client.get("/files").json() == kept.json()
    assert stored_names(upload_dir) == {path_of(upload_dir, kept.json()[0]).name}


FILE_SPECS = st.lists(
    st.one_of(
        st.tuples(st.sampled_from(["png", "jpeg", "pdf"]), st.integers(8, LIMIT)),
        st.tuples(st.just("big"), st.integers(LIMIT + 1, 4 * LIMIT)),
        st.tuples(st.sampled_from(["gif", "text"]), st.integers(0, LIMIT)),
    ),
    min_size=1,
    max_size=MAX_FILES,
)


@pytest.mark.task(6)
@pytest.mark.stretch
@settings(max_examples=20, deadline=None, suppress_health_check=FUNCTION_FIXTURES)
@given(specs=FILE_SPECS)
def test_a_request_is_stored_whole_or_not_at_all(
    client: TestClient, upload_dir: Path, specs: list[tuple[str, int]]
) -> None:
    # One app for every example: the store grows with each accepted request, and only then.
    before_files = stored_names(upload_dir)
    before_records = client.get("/files").json()
    sent = [
        (f"f{i}.bin", content("png" if kind == "big" else kind, size, seed=i))
        for i, (kind, size) in enumerate(specs)
    ]
    response = client.post("/files", files=files(*sent))
    # The kind of the first refused file ("big", "gif" or "text"), if any.
    first_bad = next((kind for kind, _ in specs if kind not in SIGNATURES), None)
    if first_bad is None:
        assert response.status_code == 201, response.text
        records = response.json()
        assert [r["size"] for r in records] == [size for _, size in specs]
        assert client.get("/files").json() == before_records + records
        assert stored_names(upload_dir) == before_files | {
            path_of(upload_dir, r).name for r in records
        }
    else:
        assert response.status_code == (413 if first_bad == "big" else 415), response.text
        assert client.get("/files").json() == before_records
        assert stored_names(upload_dir) == before_files


@pytest.mark.task(6)
@pytest.mark.stretch
async def test_concurrent_good_and_bad_requests_store_only_the_good(
    async_client: httpx.AsyncClient, upload_dir: Path
) -> None:
    good = [files((f"good{i}.png", content("png", 300, seed=i))) for i in range(5)]
    bad = [
        files((f"ok{i}.png", content("png", 300, seed=i)), (f"bad{i}.png", content("png", 2000)))
        for i in range(5)
    ]
    requests = [item for pair in zip(good, bad, strict=True) for item in pair]
    responses = await asyncio.gather(*(async_client.post("/files", files=f) for f in requests))
    assert [r.status_code for r in responses] == [201, 413] * 5, [r.text for r in responses]
    records = [r.json()[0] for r in responses[::2]]
    assert stored_names(upload_dir) == {path_of(upload_dir, r).name for r in records}
    assert len((await async_client.get("/files")).json()) == 5

"""Recordings: every answer a client (or the conformance suite) received, saved for ``mock-server --replay``
in ``DIR/recording.jsonl``, one JSON object per answer, appended in arrival order (docs/harness.md):

    {"recording": 1, "recorded_at": "2026-05-02T10:11:12Z",
     "request": {"method": "GET", "path": "/communication-preferences/<version>/statuses/alice%40example.com",
                 "query": "channel=EMAIL&businessUnitId=0", "with_token": true},
     "response": {"status": 200, "headers": {"content-type": "application/json;charset=utf-8", ...},
                  "body": "{\\"status\\":\\"COMPLETE\\", ...}", "base64": false}}

``path`` and ``query`` are as sent; ``headers`` keeps those that matter to a client (``KEPT_HEADERS`` and
``x-hubspot-ratelimit-*``); ``body`` is the decoded body, as text when UTF-8, else base64. The token is never
written: where the server echoed it, it becomes ``[redacted]`` (``scrub``). Each line is one ``O_APPEND``
write under a per-file lock; a line cut short by a crash is skipped when read; a failed write never changes
what the call does (one warning per recorder, counted in ``failed``).
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from hubspot_commprefs._logging import MIN_SECRET_LENGTH, REDACTED, logger, scrub, secret_of
from hubspot_commprefs.client._options import HEADER_NAME

if TYPE_CHECKING:
    from collections.abc import Iterable

RECORDING_FILE = "recording.jsonl"
FORMAT_VERSION = 1
KEPT_HEADERS = frozenset({"content-type", "retry-after", "x-hubspot-correlation-id"})
KEPT_HEADER_PREFIX = "x-hubspot-ratelimit-"
MAX_LINE_BYTES = 64 * 1024 * 1024
"""A longer line is skipped when read: a 10 MiB body (the client's cap) written as escaped JSON fits."""

_HEADER_VALUE = re.compile(r"[\t\x20-\x7e\x80-\xff]*")
_LOCKS: dict[Path, threading.Lock] = {}  # one per recording file (dict.setdefault is atomic)


class RecordingError(ValueError):
    """A recording directory that cannot be written or read; the message names it and says why."""


RecordingError.__module__ = "hubspot_commprefs"  # shown under its public name (see the package's __init__)


def _as_path(directory: object, option: str) -> Path:
    if isinstance(directory, bool) or not isinstance(directory, str | os.PathLike):
        raise TypeError(f"{option} must be a path (str or os.PathLike), not {type(directory).__name__}")
    text = os.fspath(directory)
    if not isinstance(text, str) or not text.strip():
        raise RecordingError(f"{option}: the directory name is empty")
    return Path(text)


def prepare_recording_dir(directory: object, option: str = "record_to") -> Path:
    """The recording file in ``directory`` (created if missing; ``RecordingError`` naming ``option`` when it
    cannot be); a last line cut short by a crash is ended, so that the next answer starts a line."""
    path = _as_path(directory, option)
    if path.exists() and not path.is_dir():
        raise RecordingError(f"{option}: {str(path)!r} is not a directory")
    try:
        path.mkdir(parents=True, exist_ok=True)
        target = path / RECORDING_FILE
        with _LOCKS.setdefault(target.resolve(), threading.Lock()), target.open("a+b") as file:
            if file.tell() > 0:
                file.seek(-1, os.SEEK_END)
                if file.read(1) != b"\n":
                    file.write(b"\n")
    except OSError as exc:
        raise RecordingError(
            f"{option}: cannot write a recording in {str(path)!r}: {exc.strerror or exc}"
        ) from None
    return target


def kept_headers(headers: Iterable[tuple[str, str]], secret: str | None) -> dict[str, str]:
    """The headers that matter to a client, names in lower case, the token scrubbed from each value."""
    kept: dict[str, str] = {}
    for name, value in headers:
        lower = name.lower()
        if lower in KEPT_HEADERS or lower.startswith(KEPT_HEADER_PREFIX):
            clean = scrub(value, secret)
            kept[lower] = f"{kept[lower]}, {clean}" if lower in kept else clean
    return kept


def _body_fields(body: bytes, secret: str | None) -> dict[str, Any]:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        if secret and len(secret) >= MIN_SECRET_LENGTH:  # as ``scrub`` does for text
            body = body.replace(secret.encode("utf-8"), REDACTED.encode())
        return {"body": base64.b64encode(body).decode("ascii"), "base64": True}
    return {"body": scrub(text, secret), "base64": False}


class Recorder:
    """Appends answers to ``DIR/recording.jsonl``; ``failed`` counts the answers that could not be written."""

    def __init__(self, directory: str | os.PathLike[str], *, option: str = "record_to") -> None:
        self.path = prepare_recording_dir(directory, option)
        self._lock = _LOCKS.setdefault(self.path.resolve(), threading.Lock())
        self.failed = 0

    def __repr__(self) -> str:
        return f"Recorder({str(self.path.parent)!r})"

    def record(
        self,
        *,
        method: str,
        path: str,
        query: str,
        with_token: bool,
        status: int,
        headers: Iterable[tuple[str, str]],
        body: bytes,
        secret: str | None,
    ) -> None:
        """Append one answer; never raises for the file (see ``failed``)."""
        try:
            record = {
                "recording": FORMAT_VERSION,
                "recorded_at": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "request": {
                    "method": method.upper(),
                    "path": scrub(path, secret),
                    "query": scrub(query, secret),
                    "with_token": with_token,
                },
                "response": {
                    "status": status,
                    "headers": kept_headers(headers, secret),
                    **_body_fields(body, secret),
                },
            }
            line = json.dumps(record, ensure_ascii=False).encode("utf-8") + b"\n"
            with self._lock, self.path.open("ab") as file:  # O_APPEND: one line, at the end
                file.write(line)
        except (OSError, ValueError, TypeError) as exc:  # recording must never change what a call does
            self.failed += 1
            if self.failed == 1:
                logger.warning(
                    "could not record an answer in %s: %s",
                    self.path,
                    scrub(str(getattr(exc, "strerror", None) or exc), secret),
                )

    def record_response(self, request: httpx.Request, response: httpx.Response) -> None:
        """Record the answer to one of the client's requests (its body already read and decoded)."""
        secret = secret_of(request)
        try:
            body = response.content
        except httpx.ResponseNotRead:  # nothing to record
            return
        url = request.url
        self.record(
            method=request.method,
            path=url.raw_path.split(b"?", 1)[0].decode("latin-1"),
            query=url.query.decode("latin-1"),
            with_token=True,  # the client sends its token with every request
            status=response.status_code,
            headers=((k.decode("latin-1"), v.decode("latin-1")) for k, v in response.headers.raw),
            body=body,
            secret=secret,
        )


@dataclass(frozen=True, slots=True)
class RecordedAnswer:
    """One line of a recording, read back."""

    line: int
    method: str
    path: str
    query: str
    with_token: bool
    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes

    @property
    def request_text(self) -> str:
        """``GET /path?query``, for messages."""
        return f"{self.method} {self.path}" + (f"?{self.query}" if self.query else "")


class _BadLineError(Exception):
    """The line is skipped for this reason."""


def _field(mapping: Any, name: str, kind: type | tuple[type, ...], where: str) -> Any:
    if not isinstance(mapping, dict):
        raise _BadLineError(f"{where} is not an object")
    if name not in mapping:
        raise _BadLineError(f"{where}.{name} is missing")
    value = mapping[name]
    if isinstance(value, bool) and kind is not bool:
        raise _BadLineError(f"{where}.{name} has the wrong type (bool)")
    if not isinstance(value, kind):
        raise _BadLineError(f"{where}.{name} has the wrong type ({type(value).__name__})")
    return value


def parse_line(raw: bytes, number: int) -> RecordedAnswer:
    """One line read back; ``_BadLineError`` says why it cannot be."""
    try:
        record = json.loads(raw)
    except (ValueError, RecursionError):
        raise _BadLineError("not a complete JSON object (cut short by a crash?)") from None
    version = _field(record, "recording", int, "the line")
    if version != FORMAT_VERSION:
        raise _BadLineError(f"recording format {version}, this version reads {FORMAT_VERSION}")
    request = _field(record, "request", dict, "the line")
    response = _field(record, "response", dict, "the line")
    status = _field(response, "status", int, "response")
    if not 100 <= status <= 599:
        raise _BadLineError(f"response.status {status} is not an HTTP status")
    headers = _field(response, "headers", dict, "response")
    for name, value in headers.items():
        if (
            not HEADER_NAME.fullmatch(name)
            or not isinstance(value, str)
            or not _HEADER_VALUE.fullmatch(value)
        ):
            raise _BadLineError(f"response.headers[{name!r}] is not a header a server can send")
    text = _field(response, "body", str, "response")
    if _field(response, "base64", bool, "response"):
        try:
            body = base64.b64decode(text, validate=True)
        except ValueError:  # binascii.Error is a ValueError
            raise _BadLineError("response.body is not valid base64") from None
    else:
        try:
            body = text.encode("utf-8")
        except UnicodeEncodeError:
            raise _BadLineError("response.body holds a lone surrogate, which UTF-8 cannot carry") from None
    method = _field(request, "method", str, "request")
    path = _field(request, "path", str, "request")
    if not path.startswith("/"):
        raise _BadLineError("request.path must start with /")
    return RecordedAnswer(
        line=number,
        method=method.upper(),
        path=path,
        query=_field(request, "query", str, "request"),
        with_token=_field(request, "with_token", bool, "request"),
        status=status,
        headers=tuple(headers.items()),
        body=body,
    )


def read_recording(directory: object, option: str = "replay") -> tuple[list[RecordedAnswer], list[str]]:
    """Every answer of the recording in ``directory``, in file order, and why each line that could not be read
    was skipped (``line 7: ...``); ``RecordingError`` naming ``option`` when there is no recording there."""
    path = _as_path(directory, option)
    if not path.exists():
        raise RecordingError(f"{option}: {str(path)!r} does not exist")
    if not path.is_dir():
        raise RecordingError(f"{option}: {str(path)!r} is not a directory")
    target = path / RECORDING_FILE
    if not target.is_file():
        raise RecordingError(
            f"{option}: {str(path)!r} holds no {RECORDING_FILE} (make one with --record DIR or record_to=DIR)"
        )
    answers: list[RecordedAnswer] = []
    skipped: list[str] = []
    try:
        with target.open("rb") as file:
            for number, raw in enumerate(iter(lambda: file.readline(MAX_LINE_BYTES + 1), b""), 1):
                if len(raw) > MAX_LINE_BYTES and not raw.endswith(b"\n"):  # not kept in memory
                    rest = raw
                    while rest and not rest.endswith(b"\n"):  # skip the rest, a bounded piece at a time
                        rest = file.readline(MAX_LINE_BYTES)
                    skipped.append(f"line {number}: longer than {MAX_LINE_BYTES:,} bytes")
                elif raw.strip():
                    try:
                        answers.append(parse_line(raw, number))
                    except _BadLineError as why:
                        skipped.append(f"line {number}: {why}")
    except OSError as exc:
        raise RecordingError(f"{option}: cannot read {str(target)!r}: {exc.strerror or exc}") from None
    return answers, skipped

"""Replay a recording: each recorded request gets its recorded answer, byte for byte, with its headers.

A request matches by method, path (percent-decoded segments) and query (decoded pairs, in any order); the
latest line wins. Not served: answers sent without the token or outside the spec (``Replay.ignored``),
unreadable lines (``Replay.unreadable``). Refused at load time, naming each line: what HTTP forbids sending
as recorded (``ReplayError``: framing headers, a 1xx, a 204/304 with a body, a ``content-encoding`` the
body does not decode with), and drift (``ReplayDriftError``), unless ``allow_drift`` (``Replay.drift``).
"""

from __future__ import annotations

import warnings
import zlib
from dataclasses import dataclass, field
from http import HTTPStatus
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, unquote

from hubspot_commprefs.client import RecordedAnswer, RecordingError, read_recording
from hubspot_commprefs.openapi import endpoints, load_spec

if TYPE_CHECKING:
    import os

RequestKey = tuple[str, tuple[str, ...], tuple[tuple[str, str], ...]]
MAX_LISTED = 50  # an error lists at most this many answers (and says how many more)
# Headers about the connection or the message's framing: the server sending the answer sets them.
HOP_BY_HOP_HEADERS = frozenset({"connection", "keep-alive", "proxy-connection", "te", "trailer", "upgrade"})
CONNECTION_HEADERS = HOP_BY_HOP_HEADERS | {"content-length", "transfer-encoding"}
BODILESS_STATUSES = frozenset({HTTPStatus.NO_CONTENT, HTTPStatus.NOT_MODIFIED})
MAX_DECODED_BODY = 64 * 1024 * 1024
_GZIP, _ZLIB, _RAW_DEFLATE = 31, 15, -15  # zlib's window bits for each wrapping


class ReplayError(ValueError):
    """A recording that cannot be replayed (none there, or answers HTTP forbids); names the option and path."""


class ReplayDriftError(ReplayError):
    """Recorded answers the spec does not allow; ``problems`` lists each (line, request, what is wrong)."""

    def __init__(self, message: str, problems: list[str]) -> None:
        super().__init__(message)
        self.problems = problems


class ReplayWarning(UserWarning):
    """Lines of a recording skipped as unreadable, or drifted answers served under ``allow_drift``."""


def request_key(method: str, raw_path: str, query: str) -> RequestKey:
    segments = tuple(unquote(segment, errors="surrogateescape") for segment in raw_path.split("/"))
    pairs = parse_qsl(query, keep_blank_values=True, errors="surrogateescape")
    return method.upper(), segments, tuple(sorted(pairs))


@dataclass(slots=True)
class Replay:
    """A recording loaded for replay: the latest answer of each recorded request, and what was left out."""

    directory: Path
    answers: dict[RequestKey, RecordedAnswer] = field(default_factory=dict)
    unreadable: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    drift: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.answers)

    def answer_for(self, method: str, raw_path: str, query: str) -> RecordedAnswer | None:
        return self.answers.get(request_key(method, raw_path, query))


def _endpoint_of(answer: RecordedAnswer) -> str | None:
    return next((e.path_template for e in endpoints() if e.match(answer.path) is not None), None)


def _drift(answers: list[RecordedAnswer]) -> list[str]:
    """One line per failure of the conformance suite's check of each (decoded) answer."""
    from hubspot_commprefs.conformance import Exchange, Kind, Severity, SpecChecker

    checker = SpecChecker(load_spec())
    problems = []
    for answer in answers:
        exchange = Exchange(
            endpoint=_endpoint_of(answer) or answer.path,  # every answer served is of an endpoint
            method=answer.method,
            url=answer.request_text,
            status=answer.status,
            content_type=next((v for k, v in answer.headers if k.lower() == "content-type"), None),
            body=_decoded_body(answer),
            source="replay",
        )
        problems += [
            f"line {answer.line}: {answer.request_text} -> {answer.status}: "
            + (f"{finding.field}: " if finding.field else "")
            + f"{finding.kind.value}: expected {finding.expected}, got {finding.actual}"
            for finding in checker.check(exchange)
            if finding.severity is Severity.FAILURE and finding.kind is not Kind.SERVER_ERROR
        ]
    return problems


def _inflated(data: bytes, coding: str) -> bytes:
    """``data`` decoded from gzip or deflate (zlib-wrapped or raw, as clients accept)."""
    for wbits in (_GZIP,) if coding in {"gzip", "x-gzip"} else (_ZLIB, _RAW_DEFLATE):
        decoder = zlib.decompressobj(wbits)
        try:
            decoded = decoder.decompress(data, MAX_DECODED_BODY + 1)
        except zlib.error:
            continue
        if len(decoded) > MAX_DECODED_BODY:
            raise ValueError(f"it decodes to more than {MAX_DECODED_BODY:,} bytes")
        if decoder.eof and not decoder.unused_data:
            return decoded
    raise ValueError(f"the body is not {coding} data")


def _decoded_body(answer: RecordedAnswer) -> bytes:
    """The body as a client reads it, after the recorded ``content-encoding``."""
    body = answer.body
    encodings = [value for name, value in answer.headers if name.lower() == "content-encoding"]
    codings = [c.strip().lower() for value in encodings for c in value.split(",") if c.strip()]
    for coding in reversed(codings):  # the last coding listed was applied last
        if coding in {"gzip", "x-gzip", "deflate"}:
            body = _inflated(body, coding)
        elif coding != "identity":
            raise ValueError(f"{coding!r} is not a coding replay can check (gzip, deflate, identity)")
    return body


def _unsendable(answer: RecordedAnswer) -> str | None:
    """Why HTTP forbids sending ``answer`` as recorded, or None."""
    framing = sorted({name.lower() for name, _ in answer.headers} & CONNECTION_HEADERS)
    if framing:
        return (
            f"recorded header{'s' if len(framing) > 1 else ''} {', '.join(framing)}: the fake server frames "
            f"each answer itself (remove {'them' if len(framing) > 1 else 'it'} from the line)"
        )
    if answer.status < HTTPStatus.OK:
        return f"status {answer.status} is not a final answer (1xx): it cannot be replayed"
    if answer.status in BODILESS_STATUSES and answer.body:
        size = len(answer.body)
        return (
            f"a {answer.status} answer has no body, but the line holds one ({size:,} byte{'s' * (size > 1)})"
        )
    try:
        _decoded_body(answer)
    except ValueError as why:
        return f"its content-encoding does not match the body: {why}"
    return None


def _listed(problems: list[str], separator: str) -> str:
    shown = problems[:MAX_LISTED]
    more = len(problems) - len(shown)
    return separator.join(shown) + (f"{separator}... and {more} more" if more else "")


def load_replay(
    directory: str | os.PathLike[str], *, allow_drift: bool = False, option: str = "replay"
) -> Replay:
    """Load the recording in ``directory``; ``ReplayError`` (naming ``option``) or ``ReplayDriftError``."""
    try:
        recorded, unreadable = read_recording(directory, option)
    except RecordingError as exc:
        raise ReplayError(str(exc)) from None
    replay = Replay(Path(directory), unreadable=unreadable)
    recording = f"the recording in {str(directory)!r}"
    for answer in recorded:
        if not answer.with_token:
            replay.ignored.append(
                f"line {answer.line}: {answer.request_text}: sent without the token "
                "(the fake server's own token check answers such requests)"
            )
        elif _endpoint_of(answer) is None:
            replay.ignored.append(f"line {answer.line}: {answer.request_text}: not an endpoint of the spec")
        else:
            replay.answers[request_key(answer.method, answer.path, answer.query)] = answer  # the latest wins
    if unreadable:
        warnings.warn(
            f"{option}: skipped {len(unreadable)} unreadable line(s) of {recording}: "
            + _listed(unreadable, "; "),
            ReplayWarning,
            stacklevel=2,
        )
    answers = sorted(replay.answers.values(), key=lambda a: a.line)
    unsendable = [
        f"line {answer.line}: {answer.request_text} -> {answer.status}: {why}"
        for answer in answers
        if (why := _unsendable(answer)) is not None
    ]
    if unsendable:
        raise ReplayError(
            f"{option}: {recording} holds answers that HTTP does not let the fake server send as recorded:\n  "
            + _listed(unsendable, "\n  ")
        )
    replay.drift = _drift(answers) if answers else []
    if replay.drift and not allow_drift:
        raise ReplayDriftError(
            f"{option}: {recording} holds answers the spec does not allow "
            "(drift; serve them anyway with --replay-allow-drift or replay_allow_drift=True):\n  "
            + _listed(replay.drift, "\n  "),
            replay.drift,
        )
    if replay.drift:
        warnings.warn(
            f"{option}: serving answers the spec does not allow, as recorded: " + _listed(replay.drift, "; "),
            ReplayWarning,
            stacklevel=2,
        )
    return replay

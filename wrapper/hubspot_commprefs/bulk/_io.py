"""Reading the subscribers of a bulk lookup, and writing one output row per input row, crash-safe.

Input: a CSV file (its email column found by name, or given), a file of one id per line, or ``-`` (standard
input), told apart by its first line. Output: CSV or JSON Lines, one record per input row, in input order,
on disk at once: in OUTPUT when every row before it is written, else in ``OUTPUT.journal``, which
``--resume`` takes back once ``load_resume`` has proven both this tool's and the input's. Cells are written
as they are, line breaks included: a CSV record ends at a ``\n`` outside quotes, a JSON Lines one at a
``\n`` (JSON leaves ``\x85``, ``\u2028``, ``\u2029`` unescaped).
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import difflib
import io
import json
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Literal, Self

from hubspot_commprefs._errors import InvalidSubscriberIdError
from hubspot_commprefs._logging import escape_surrogates, scrub_value
from hubspot_commprefs.bulk._dedup import SeenIds
from hubspot_commprefs.client import MAX_ID_LENGTH, normalise_subscriber_id

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

OutputFormat = Literal["csv", "jsonl"]

# The check's columns: the input row's number (from 1) and id, then what a server's answer fills.
COLUMNS = (
    "row",
    "subscriber",
    "outcome",
    "unsubscribed_from_all",
    "wide_status_type",
    "subscribed",
    "unsubscribed",
    "statuses",
    "error",
)
ANSWER_COLUMNS = COLUMNS[2:]
# Header names that hold the subscriber's id, compared case-insensitively without spaces, '-' and '_'.
EMAIL_COLUMN_NAMES = (
    "email",
    "emailaddress",
    "e-mail",
    "mail",
    "subscriber",
    "subscriberid",
    "subscriberidstring",
    "contactemail",
)
_CSV_SUFFIXES = (".csv", ".tsv")
_EMAIL_LIKE = re.compile(r"[^@\s,;]+@[^@\s,;]+\.[^@\s,;]+")
_RETRIED_OUTCOMES = ("error", "cannot-tell")  # what --retry-errors looks up again


class BulkInputError(ValueError):
    """The input cannot be read as a list of subscribers (the message says why)."""


class ResumeError(ValueError):
    """The output to resume does not belong to this input, or cannot be read."""


@dataclass(frozen=True)
class InputRow:
    """One input row: its number (from 1), its id, why it is not looked up (if so), its ``--keep`` cells."""

    number: int
    subscriber: str
    problem: str | None = None
    duplicate_of: int | None = None
    kept: tuple[str, ...] = ()


def _normalise_header(name: str) -> str:
    return "".join(ch for ch in name.strip().lower() if ch not in " -_")


def _not_a_str(number: int, raw: object) -> InputRow:
    try:
        shown = "" if raw is None else repr(raw) if isinstance(raw, (bytes, bytearray)) else str(raw)
    except Exception:  # noqa: BLE001 - an object that cannot be shown is still only a bad row
        shown = f"<{type(raw).__name__}>"
    if len(shown) > MAX_ID_LENGTH:
        shown = shown[:MAX_ID_LENGTH] + "..."
    return InputRow(number, shown, f"the subscriber id must be a str, not {type(raw).__name__}")


def iter_rows_from_ids(ids: Iterable[object]) -> Iterator[InputRow]:
    """Number ``ids`` lazily, marking the invalid ones (an item that is not a str too) and the repeated ones
    (without case, with ``SeenIds``: a few bytes per id); what is not an iterable of ids is refused at once."""
    if isinstance(ids, (str, bytes, bytearray)):
        raise TypeError("subscriber_ids must be an iterable of subscriber ids, not one string")
    try:
        items = iter(ids)
    except TypeError:
        raise TypeError(
            f"subscriber_ids must be an iterable of subscriber ids, not {type(ids).__name__}"
        ) from None
    return _numbered((raw, ()) for raw in items)


def _numbered(items: Iterable[tuple[object, tuple[str, ...]]]) -> Iterator[InputRow]:
    """``iter_rows_from_ids`` of ``(id, kept cells)`` pairs."""
    seen = SeenIds()
    for number, (raw, kept) in enumerate(items, start=1):
        if not isinstance(raw, str):
            yield _not_a_str(number, raw)
            continue
        try:
            subscriber = normalise_subscriber_id(raw)
        except InvalidSubscriberIdError as invalid:  # the client's own rule, with its message
            yield InputRow(number, raw.strip(), str(invalid), kept=kept)
            continue
        first = seen.first_row(subscriber, number)
        if first is not None:
            yield InputRow(number, subscriber, f"duplicate of row {first}", first, kept)
            continue
        yield InputRow(number, subscriber, kept=kept)


def _dialect(first_line: str, *, suffix: str) -> type[csv.Dialect] | csv.Dialect:
    if suffix == ".tsv" or ("\t" in first_line and "," not in first_line):
        return csv.excel_tab
    if ";" in first_line and "," not in first_line:
        dialect = csv.excel()
        dialect.delimiter = ";"
        return dialect
    return csv.excel


def _looks_like_email(cell: str) -> bool:
    return _EMAIL_LIKE.fullmatch(cell.strip()) is not None


def _column_index(column: str, header: list[str] | None, width: int, name: str) -> int:
    """The 0-based index of ``--column``: a header's name (compared as detection does), else a number from 1."""
    if header is not None:
        names = [_normalise_header(cell) for cell in header]
        if _normalise_header(column) in names:
            return names.index(_normalise_header(column))
    if column.strip().isdigit():
        number = int(column)
        if 1 <= number <= width:
            return number - 1
        if number == 0:
            raise BulkInputError(f"{name}: --column 0: columns are numbered from 1")
        raise BulkInputError(
            f"{name}: --column {column}: the first row has {width} column{'s' if width != 1 else ''} "
            "(columns are numbered from 1)"
        )
    if header is None:
        raise BulkInputError(f"{name}: --column {column!r}: with --no-header, name the column by its number")
    raise BulkInputError(
        f"{name}: no column named {column!r}; its columns are {', '.join(header)} "
        "(or give its number, from 1)"
    )


def _kept_columns(keep: str, header: list[str], name: str) -> tuple[int, ...]:
    """The indexes of the columns ``--keep`` names (``all``, or header names), in the header's order;
    BulkInputError for a name the header lacks or holds twice, or one the output has."""
    names = [cell.strip() for cell in header]
    wanted = names if keep.strip() == "all" else [part.strip() for part in keep.split(",")]
    for wanted_name in wanted:
        if wanted_name not in names:
            close = difflib.get_close_matches(wanted_name, names, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise BulkInputError(
                f"{name}: --keep: no column named {wanted_name!r}{hint}; its columns are {', '.join(names)}"
            )
        if names.count(wanted_name) > 1 or wanted_name in COLUMNS:
            where = "the header names it twice" if wanted_name not in COLUMNS else "the output has one"
            raise BulkInputError(
                f"{name}: --keep: cannot keep the column {wanted_name!r}: {where}, and an output row never "
                f"holds two columns of one name ({', '.join(COLUMNS)} are the check's)"
            )
    return tuple(sorted({names.index(wanted_name) for wanted_name in wanted}))


@dataclass(frozen=True)
class _Layout:
    """How an input is read: a CSV (dialect, email column, kept columns and their names) or one id per line."""

    is_csv: bool
    dialect: Any = None
    index: int = 0
    header: bool = True
    keep: tuple[int, ...] = ()
    kept_names: tuple[str, ...] = ()


def _layout(
    head: str, *, column: str | None, suffix: str, name: str, header: bool, keep: str | None = None
) -> _Layout:
    """The layout of an input whose text starts with ``head`` (at least its first non-blank line)."""
    first = next((line for line in head.splitlines() if line.strip()), None)
    if first is None:  # no row at all
        return _Layout(is_csv=False)
    dialect = _dialect(first, suffix=suffix)
    try:  # the first record, whose quoted cells may hold line breaks
        first_row = next(csv.reader(io.StringIO(head[head.index(first) :], newline=""), dialect))
    except csv.Error:
        first_row = next(csv.reader([first], dialect))
    names = [_normalise_header(cell) for cell in first_row]
    is_csv = (
        suffix in _CSV_SUFFIXES
        or column is not None
        or len(first_row) > 1
        or (header and names[0] in EMAIL_COLUMN_NAMES)
    )
    if keep is not None and not (is_csv and header):
        what = "a first row that is data (--no-header)" if is_csv else "a plain list of ids, with no header"
        raise BulkInputError(f"{name}: --keep names columns of a CSV header, and this input is {what}")
    if not is_csv:
        return _Layout(is_csv=False)
    emails = [i for i, cell in enumerate(first_row) if _looks_like_email(cell)]
    found = [i for i, cell in enumerate(names) if cell in EMAIL_COLUMN_NAMES] if header else emails
    if column is not None:
        index = _column_index(column, first_row if header else None, len(first_row), name)
    elif found:
        index = found[0]
    elif not header:
        raise BulkInputError(
            f"{name}: no cell of the first row looks like an email address; give the column's "
            "number with --column N (from 1)"
        )
    elif emails:
        raise BulkInputError(
            f"{name}: the first row looks like data, not a header ({first_row[emails[0]]} is an email "
            f"address): add --no-header (and --column {emails[0] + 1} if the ids are not in the first such "
            "column)"
        )
    else:
        raise BulkInputError(f"{name}: no email column among {', '.join(first_row)}; name it with --column")
    kept = () if keep is None else _kept_columns(keep, first_row, name)
    return _Layout(
        is_csv=True,
        dialect=dialect,
        index=index,
        header=header,
        keep=kept,
        kept_names=tuple(first_row[i].strip() for i in kept),
    )


def _ids(stream: IO[str], layout: _Layout, name: str) -> Iterator[tuple[str, tuple[str, ...]]]:
    """The ids of ``stream`` (read with ``newline=""``), one per input row, each with its kept cells: one per
    non-blank line (as ``str.splitlines`` splits), or the email cell of each non-blank CSV record after the
    header."""
    if not layout.is_csv:
        for line in stream:
            for piece in line.splitlines():
                if piece.strip():
                    yield piece, ()
        return
    reader = csv.reader(stream, layout.dialect)
    index, skip_header, keep = layout.index, layout.header, layout.keep
    try:
        for record in reader:
            if not any(cell.strip() for cell in record):
                continue
            if skip_header:
                skip_header = False
                continue
            width = len(record)
            yield record[index] if index < width else "", tuple(record[i] if i < width else "" for i in keep)
    except csv.Error as error:
        raise BulkInputError(f"{name}: not a readable CSV file (line {reader.line_num}): {error}") from None


_HEAD_CHARS = 256 * 1024  # read beyond the first non-blank line for the layout: a record may span lines


def _read_head(stream: IO[str]) -> str:
    """The lines of ``stream`` up to the first non-blank one, and ``_HEAD_CHARS`` more (to a line's end)."""
    parts: list[str] = []
    for line in stream:
        parts.append(line)
        if any(piece.strip() for piece in line.splitlines()):
            parts.append(stream.read(_HEAD_CHARS))
            parts.append(stream.readline())
            break
    return "".join(parts)


DEFAULT_ENCODING = "utf-8-sig"  # UTF-8, with or without the byte-order mark Excel writes

SAVE_AS_UTF8 = (
    "save it as UTF-8 (Excel: File > Save As > 'CSV UTF-8 (Comma delimited)'; LibreOffice: Save As, "
    "'Edit filter settings', Character set 'Unicode (UTF-8)'), or name its encoding with --encoding"
)


def check_encoding(encoding: str | None) -> str:
    """The codec to read input with (UTF-8 strips a byte-order mark); BulkInputError naming an unknown one."""
    if encoding is None:
        return DEFAULT_ENCODING
    try:
        info = codecs.lookup(encoding)
    except LookupError:
        raise BulkInputError(
            f"--encoding {encoding!r}: unknown encoding (e.g. utf-8, cp1252, latin-1, utf-16)"
        ) from None
    return DEFAULT_ENCODING if info.name == "utf-8" else info.name


class InputSource:
    """The rows of the file ``source``, or of standard input (``-``: copied to a temporary file without a
    name, never left behind), read afresh by each ``rows()``; ``count()`` reads it through once, refusing
    an input that cannot be read. Once read, ``bom``, ``newline`` and ``kept_names`` say whether it starts
    with a UTF-8 byte-order mark, how its first line ends and which columns ``keep`` names."""

    def __init__(
        self,
        source: str,
        *,
        column: str | None = None,
        header: bool = True,
        encoding: str | None = None,
        keep: str | None = None,
    ) -> None:
        self.codec = check_encoding(encoding)  # an unknown one is refused before anything is read
        self.column = column
        self.header = header
        self.keep = keep
        self.bom = False
        self.newline = "\n"
        self._spool: IO[bytes] | None = None
        self.path: Path | None = None
        if source == "-":
            self.name, self.suffix = "standard input", ""
            if sys.stdin is None:  # the command was started with its standard input closed (``<&-``)
                raise BulkInputError(_STDIN_CLOSED)
            # The bytes, decoded as a file's are (a text stream without them: its text, in the codec).
            raw = getattr(sys.stdin, "buffer", None)
            self._spool = _spool(
                raw or io.BytesIO(_read_stdin(sys.stdin, -1).encode(self.codec.removesuffix("-sig")))
            )
        else:
            self.name, self.suffix = source, Path(source).suffix.lower()
            self.path = Path(source)
            try:
                with self.path.open("rb"):
                    pass
            except FileNotFoundError:
                raise BulkInputError(f"{source}: no such file") from None
            except IsADirectoryError:
                raise BulkInputError(f"{source}: is a directory, not a file") from None
            except OSError as error:
                raise BulkInputError(f"{source}: cannot be read ({error.strerror})") from None
        self._layout: _Layout | None = None  # once read

    @property
    def kept_names(self) -> tuple[str, ...]:
        return () if self._layout is None else self._layout.kept_names

    def close(self) -> None:
        if self._spool is not None:
            self._spool.close()
            self._spool = None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _bytes(self) -> IO[bytes]:
        """The input's bytes, from the start."""
        if self._spool is not None:  # its own handle, closed without closing the copy
            handle = os.fdopen(os.dup(self._spool.fileno()), "rb")
            handle.seek(0)
            return handle
        assert self.path is not None
        return self.path.open("rb")

    def _open(self) -> IO[str]:
        try:
            # No newline translation: a quoted cell keeps its "\r" or "\r\n" as written (as csv needs)
            return io.TextIOWrapper(self._bytes(), encoding=self.codec, newline="")
        except OSError as error:
            raise BulkInputError(f"{self.name}: cannot be read ({error.strerror})") from None

    def _undecodable(self, codec: str) -> tuple[int, bytes] | None:
        """The line (from 1) and the value of the input's first byte that is not ``codec`` text, or None."""
        decoder = codecs.getincrementaldecoder(codec)()
        line = 1
        with self._bytes() as handle:
            while True:
                chunk = handle.read(_SPOOL_CHUNK)
                try:
                    decoder.decode(chunk, final=not chunk)
                except UnicodeDecodeError as error:  # its object: the bytes held back, then the chunk
                    return line + error.object[: error.start].count(b"\n"), error.object[error.start :][:1]
                if not chunk:
                    return None
                line += chunk.count(b"\n")

    def _not_text(self) -> BulkInputError:
        """The error for a byte that is not text: its line, and how to save the file as UTF-8."""
        line, byte = self._undecodable(self.codec) or (0, b"")
        what = "UTF-8" if self.codec == DEFAULT_ENCODING else self.codec
        hint = SAVE_AS_UTF8
        if self.codec == DEFAULT_ENCODING and self._undecodable("cp1252") is None:
            hint += " (it reads as Windows' cp1252: --encoding cp1252)"  # what Excel writes on Windows
        return BulkInputError(f"{self.name}: line {line} is not {what} text (byte 0x{byte.hex()}): {hint}")

    def _ids(self) -> Iterator[tuple[str, tuple[str, ...]]]:
        with self._open() as stream:
            try:
                if self._layout is None:
                    head = _read_head(stream)
                    self._layout = _layout(
                        head,
                        column=self.column,
                        suffix=self.suffix,
                        name=self.name,
                        header=self.header,
                        keep=self.keep,
                    )
                    self.newline = "\r\n" if head.partition("\n")[0].endswith("\r") else "\n"
                    if self.codec == DEFAULT_ENCODING:
                        with self._bytes() as raw:
                            self.bom = raw.read(len(codecs.BOM_UTF8)) == codecs.BOM_UTF8
                    stream.seek(0)
                yield from _ids(stream, self._layout, self.name)
            except UnicodeDecodeError:
                raise self._not_text() from None

    def rows(self) -> Iterator[InputRow]:
        """One ``InputRow`` per input row, read as asked for (invalid and repeated ids marked)."""
        return _numbered(self._ids())

    def count(self) -> int:
        """How many rows the input holds, reading it through once (refusing an input that cannot be read)."""
        return sum(1 for _ in self._ids())


_SPOOL_CHUNK = 1024 * 1024
_STDIN_CLOSED = "standard input is closed: pipe the ids in, or name INPUT instead of -"


def _read_stdin(stream: IO[Any], size: int) -> Any:
    """``stream.read(size)``; BulkInputError, one sentence, when standard input cannot be read."""
    try:
        return stream.read(size)
    except ValueError:  # closed
        raise BulkInputError(_STDIN_CLOSED) from None
    except OSError as error:
        raise BulkInputError(f"standard input cannot be read ({error.strerror or error})") from None


def _spool(raw: IO[bytes]) -> IO[bytes]:
    """A copy of ``raw`` in a temporary file without a name; BulkInputError, one sentence, when it fails."""
    import tempfile

    with contextlib.ExitStack() as on_failure:  # the copy is closed on any failure
        try:
            spool = on_failure.enter_context(tempfile.TemporaryFile(prefix="hubspot-commprefs-bulk-"))
            while chunk := _read_stdin(raw, _SPOOL_CHUNK):
                spool.write(chunk)
            spool.flush()
        except OSError as error:
            raise BulkInputError(
                f"standard input cannot be copied to a temporary file ({error.strerror or error}): free "
                "space in the temporary directory (TMPDIR), or name INPUT instead of -"
            ) from None
        on_failure.pop_all()
    return spool


_JSONL_SUFFIXES = (".jsonl", ".ndjson", ".json")


def output_format_for(path: str | None, chosen: str | None) -> OutputFormat:
    """The output format: the one chosen, else from the output's suffix (.jsonl, .ndjson, .json; .csv or none
    for CSV; another is refused)."""
    if chosen is not None:
        return "jsonl" if chosen == "jsonl" else "csv"
    suffix = Path(path).suffix.lower() if path is not None and path != "-" else ""
    if suffix in _JSONL_SUFFIXES:
        return "jsonl"
    if suffix not in ("", ".csv"):
        raise BulkInputError(
            f"{path}: this tool writes CSV or JSON Lines, not {suffix}: name it .csv or .jsonl, "
            "or choose with --format"
        )
    return "csv"


def journal_path(output: Path) -> Path:
    return output.with_name(output.name + ".journal")


def _json(value: Any, *, compact: bool = False) -> str:
    """JSON text of ``value``: non-ASCII kept readable, lone surrogates escaped."""
    separators = (",", ":") if compact else None
    return escape_surrogates(json.dumps(value, ensure_ascii=False, separators=separators))


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, dict)):
        return _json(value, compact=True)
    return escape_surrogates(str(value))


class RecordWriter:
    """Writes records (dicts keyed by ``columns``) as CSV or JSON Lines, lines ending with ``newline``, each
    flushed; a CSV header starts with a byte-order mark when ``bom`` (JSON text never does: RFC 8259)."""

    def __init__(
        self,
        stream: IO[str],
        output_format: OutputFormat,
        *,
        write_header: bool,
        owns_stream: bool = False,
        columns: tuple[str, ...] = COLUMNS,
        newline: str = "\n",
        bom: bool = False,
    ) -> None:
        self.stream = stream
        self.owns_stream = owns_stream
        self.columns = columns
        self.newline = newline
        self._csv = csv.writer(stream, lineterminator=newline) if output_format == "csv" else None
        self._quoted = csv.writer(stream, lineterminator=newline, quoting=csv.QUOTE_ALL)
        if self._csv is not None and write_header:
            stream.write("\ufeff" if bom else "")
            self._csv.writerow(columns)
            stream.flush()

    def write(self, record: dict[str, Any]) -> None:
        if self._csv is not None:
            cells = [_csv_cell(record.get(name)) for name in self.columns]
            # csv's minimal quoting leaves a "\r" bare with a "\n" terminator (its reader would end the record
            # there): such a row is written fully quoted.
            (self._quoted if any("\r" in cell for cell in cells) else self._csv).writerow(cells)
        else:
            self.stream.write(_json({name: record.get(name) for name in self.columns}) + self.newline)
        self.stream.flush()

    def close(self) -> None:
        if self.owns_stream:
            self.stream.close()
        else:
            self.stream.flush()


def open_writer(output: Path, output_format: OutputFormat, *, resume: bool, **options: Any) -> RecordWriter:
    """A ``RecordWriter`` to ``output``, appending on ``resume`` (header and mark only when it is empty)."""
    exists = output.exists() and output.stat().st_size > 0
    stream = output.open("a" if resume else "w", encoding="utf-8", newline="")
    return RecordWriter(
        stream, output_format, write_header=not (exists and resume), owns_stream=True, **options
    )


@dataclass
class ResumeState:
    """What an earlier run left: rows 1..``written`` in the output (``records``), ``journaled`` rows beside
    it, and the ``--check`` of its ``ok`` rows."""

    written: int
    journaled: dict[int, dict[str, Any]]
    checks: frozenset[str] = frozenset()
    records: dict[int, dict[str, Any]] = field(default_factory=dict)

    def __contains__(self, number: object) -> bool:
        """Whether row ``number`` is done: in 1..``written`` or journaled (a container without a set)."""
        return isinstance(number, int) and (1 <= number <= self.written or number in self.journaled)

    def __len__(self) -> int:
        return self.written + sum(1 for number in self.journaled if number > self.written)

    def count(self, *outcomes: str) -> int:
        """The rows already done whose outcome is one of ``outcomes``."""
        rows = (*self.records.values(), *self.journaled.values())
        return sum(record.get("outcome") in outcomes for record in rows)


def _check_of(record: dict[str, Any]) -> str | None:
    """Which ``--check`` an ``ok`` record was made with, from the answers it holds (None: not an ok row)."""
    if record.get("outcome") != "ok":
        return None
    wide = record.get("unsubscribed_from_all") not in (None, "")
    statuses = record.get("statuses") not in (None, "")
    return "both" if wide and statuses else "unsubscribe-all" if wide else "statuses"


def _record_ends(data: bytes, *, quoted: bool) -> list[int]:
    """The offset after each complete record of ``data``: after each ``\n`` (for CSV, ``quoted``, outside
    quotes: the CSV this tool writes quotes every cell holding a ``"``, ``\n`` or ``\r``, so an even number
    of ``"`` comes before such a ``\n``)."""
    ends: list[int] = []
    offset = 0
    inside = False
    for line in data.split(b"\n")[:-1]:
        offset += len(line) + 1
        if quoted:
            inside ^= line.count(b'"') % 2 == 1
        if not inside:
            ends.append(offset)
    return ends


def _read_back(path: Path, columns: tuple[str, ...], *, as_csv: bool) -> tuple[list[Any], int, bytes]:
    """The complete records of ``path`` (read unchanged), where they end, and the ``tail`` a crash cut short;
    ResumeError when it is not UTF-8 text or not this tool's (its CSV header, its JSON lines)."""
    data = path.read_bytes()
    ends = _record_ends(data, quoted=as_csv)
    keep = ends[-1] if ends else 0
    tail = data[keep:]
    start = _json({columns[0]: 0})[:-2].encode()  # '{"row": ' for a record whose first key is row
    if not as_csv and not (tail.startswith(start) or start.startswith(tail)):
        raise ResumeError(f"{path}: not a JSON Lines file of this tool (its last line is not a record)")
    try:
        text = data[:keep].decode("utf-8-sig")  # a byte-order mark (a CSV OUTPUT of a CSV INPUT with one)
    except UnicodeDecodeError as error:
        raise ResumeError(f"{path}: not UTF-8 text (byte {error.start})") from None
    if not as_csv:
        try:
            return [json.loads(line) for line in text.split("\n") if line.strip()], keep, tail
        except json.JSONDecodeError as error:
            raise ResumeError(f"{path}: not a JSON Lines output of this tool ({error.msg})") from None
    records = list(csv.reader(io.StringIO(text, newline="")))
    # With no record complete, what the file holds must be the start of the header (a crash while writing
    # it); a file that holds other text is not this tool's.
    header = ",".join(columns).encode()
    if tuple(records[0]) != columns if records else not header.startswith(tail.removeprefix(codecs.BOM_UTF8)):
        raise ResumeError(
            f"{path}: not a CSV output of this tool with these columns (its header differs; was it made "
            "with another --keep?)"
        )
    return [dict(zip(columns, cells, strict=False)) for cells in records[1:]], keep, tail


def _row_of(path: Path, record: Any, expected: int | None, columns: tuple[str, ...]) -> int:
    """The row number of a record read back; ResumeError when it is not one of this tool's."""
    if not isinstance(record, dict):
        raise ResumeError(f"{path}: a line is not a record of this tool")
    if set(record) - set(columns) or any(name not in record for name in columns if name not in COLUMNS):
        raise ResumeError(f"{path}: its records hold other columns (was it made with another --keep?)")
    try:
        number = int(record["row"])
    except (KeyError, TypeError, ValueError):
        raise ResumeError(f"{path}: a record has no row number") from None
    if expected is not None and number != expected:
        raise ResumeError(f"{path}: row {expected} expected, found row {number}")
    return number


def _verify(checks: list[tuple[Path, int, Any, bool]], rows: Iterable[InputRow]) -> None:
    """Read ``rows`` through (keeping only the ids of the rows read back): each record's row must exist in
    the input and hold the same id (a CSV cell holds a lone surrogate escaped)."""
    wanted = {number for _, number, _, _ in checks}
    ids: dict[int, str] = {}
    count = 0
    for row in rows:
        count = row.number
        if row.number in wanted:
            ids[row.number] = row.subscriber
    for path, number, subscriber, as_csv in checks:
        if not 1 <= number <= count or subscriber != (_csv_cell(ids[number]) if as_csv else ids[number]):
            raise ResumeError(
                f"{path}: row {number} does not match the input (was the input changed since that run?)"
            )


def load_resume(
    output: Path, output_format: OutputFormat, rows: Iterable[InputRow], columns: tuple[str, ...] = COLUMNS
) -> ResumeState:
    """Read back an interrupted run's output and journal, checking both against ``rows`` (read through once)
    and ``columns``. Nothing is written before both are proven this tool's and the input's (a typo in
    ``-o`` is left as it was); then a record cut short by a crash is cut."""
    written = 0
    done: dict[int, dict[str, Any]] = {}
    journaled: dict[int, dict[str, Any]] = {}
    checks: list[tuple[Path, int, Any, bool]] = []
    cuts: list[tuple[Path, int, bytes]] = []
    for path, as_csv in ((output, output_format == "csv"), (journal_path(output), False)):
        if not path.exists():
            continue
        records, keep, tail = _read_back(path, columns, as_csv=as_csv)
        cuts.append((path, keep, tail))
        for expected, record in enumerate(records, start=1):
            number = _row_of(path, record, expected if path is output else None, columns)
            checks.append((path, number, record.get("subscriber"), as_csv))
            if path is output:
                written = number
                done[number] = record
            elif number > written:
                journaled[number] = record
    _verify(checks, rows)
    for path, keep, tail in cuts:
        if tail:
            with path.open("r+b") as handle:
                handle.truncate(keep)
    found = {_check_of(record) for record in (*done.values(), *journaled.values())}
    return ResumeState(written, journaled, frozenset(check for check in found if check is not None), done)


def retry_errors(output: Path, output_format: OutputFormat, state: ResumeState) -> ResumeState:
    """Make the ``error`` and ``cannot-tell`` rows undone: OUTPUT keeps the rows before the first such row,
    every later other row moves to the journal. Crash-safe: the new journal replaces the old one before
    OUTPUT is cut, and a journal row OUTPUT still holds is ignored on resume."""
    done = {**state.records, **state.journaled}
    errors = sorted(number for number, record in done.items() if record.get("outcome") in _RETRIED_OUTCOMES)
    if not errors:
        return state
    keep = min(errors[0] - 1, state.written)
    kept = {number: state.records[number] for number in range(1, keep + 1)}
    ready = {
        number: record
        for number, record in sorted(done.items())
        if number > keep and record.get("outcome") not in _RETRIED_OUTCOMES
    }
    journal = journal_path(output)
    fresh = journal.with_name(journal.name + ".new")
    with fresh.open("w", encoding="utf-8", newline="") as handle:
        handle.writelines(_json(record) + "\n" for record in ready.values())
        handle.flush()
        os.fsync(handle.fileno())
    fresh.replace(journal)
    if keep < state.written:
        header = 1 if output_format == "csv" else 0
        ends = _record_ends(output.read_bytes(), quoted=output_format == "csv")
        if len(ends) != header + state.written:  # changed since load_resume read it: never cut a row in two
            raise ResumeError(f"{output}: changed while being resumed; run again")
        with output.open("r+b") as handle:
            handle.truncate(ends[header + keep - 1] if header + keep else 0)
    return ResumeState(written=keep, journaled=ready, checks=state.checks, records=kept)


class OrderedSink:
    """Takes finished rows in any order; writes them in input order, journaling the early ones. The access
    token (``secret``) is replaced by ``[redacted]`` in ``ANSWER_COLUMNS``; ``redacted`` counts the rows
    where it was."""

    def __init__(
        self,
        writer: RecordWriter,
        *,
        journal: Path | None,
        next_row: int = 1,
        ready: dict[int, dict[str, Any]] | None = None,
        secret: str | None = None,
    ) -> None:
        self.writer = writer
        self.next_row = next_row
        self.redacted = 0
        self._secret = secret
        self._waiting: dict[int, dict[str, Any]] = dict(ready or {})
        self._journal_path = journal
        self._journal: IO[str] | None = None
        self._drain()

    def _scrubbed(self, record: dict[str, Any]) -> dict[str, Any]:
        answered = {name: value for name, value in record.items() if name in ANSWER_COLUMNS}
        clean = scrub_value(answered, self._secret)
        if clean is answered:
            return record
        self.redacted += 1
        return {**record, **clean}

    def finish(self, number: int, record: dict[str, Any]) -> None:
        if number < self.next_row or number in self._waiting:
            raise ValueError(f"row {number} finished twice")
        record = self._scrubbed(record)
        if number != self.next_row and self._journal_path is not None:
            if self._journal is None:
                self._journal = self._journal_path.open("a", encoding="utf-8", newline="")
            self._journal.write(_json(record) + "\n")
            self._journal.flush()
        self._waiting[number] = record
        self._drain()

    def _drain(self) -> None:
        while self.next_row in self._waiting:
            self.writer.write(self._waiting.pop(self.next_row))
            self.next_row += 1

    @property
    def pending(self) -> int:
        """Rows finished but not yet written in order (they are in the journal)."""
        return len(self._waiting)

    def close(self, *, complete: bool) -> None:
        """Close the files; when every row is written in order, the journal is no longer needed."""
        if self._journal is not None:
            self._journal.close()
        if complete and not self._waiting and self._journal_path is not None:
            self._journal_path.unlink(missing_ok=True)
        self.writer.close()

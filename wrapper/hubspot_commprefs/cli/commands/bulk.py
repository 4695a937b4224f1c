"""``hubspot-commprefs bulk INPUT``: look many contacts up at HubSpot's rate-limit ceiling, resumably (its
parser: ``cli._parsers.add_bulk``)."""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from hubspot_commprefs import CommPrefs, CommPrefsError, bulk
from hubspot_commprefs._errors import AuthenticationError, PermissionDeniedError
from hubspot_commprefs._logging import REDACTED, secret_from
from hubspot_commprefs.bulk import (
    COLUMNS,
    FAILED,
    NOT_CHECKED,
    InputSource,
    OrderedSink,
    Rate,
    RecordWriter,
    ResumeState,
    counted,
    journal_path,
    kind,
    load_resume,
    open_writer,
    output_format_for,
    retry_errors,
)
from hubspot_commprefs.cli.commands._common import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_STOPPED,
    EXIT_USAGE,
    TOKEN_ENV,
    client_options,
    fail,
    stdout_to_devnull,
    warn,
)
from hubspot_commprefs.client import MAX_SERVER_DELAY
from hubspot_commprefs.client._options import check_int64

if TYPE_CHECKING:
    import argparse
    from collections.abc import Iterator

    from hubspot_commprefs.bulk import InputRow


class _Plan(NamedTuple):
    rate: Rate
    source: InputSource  # the rows are read as the run needs them, never held
    total: int  # the input's rows, counted in a first pass that also refuses an unreadable input
    output: Path | None
    output_format: Any
    resume: ResumeState
    lock: _OutputLock  # held until the run ends: OUTPUT is this run's alone
    columns: tuple[str, ...]  # the kept columns of INPUT, then the check's


LOCK_ATTEMPTS = 5  # opening OUTPUT.lock again after the run that held it removed it: a race, not a wait


class _OutputLock:
    """``OUTPUT.lock``, held with ``fcntl.flock`` while the run reads and writes OUTPUT: a second run on it is
    refused at once. The kernel's lock ends with the process, so a file a killed run left never blocks the
    next; it holds the pid, for the refusal, and is removed (still locked) at the end. Windows: no lock."""

    def __init__(self, output: Path | None) -> None:
        self.output = output
        self.path = None if output is None else output.with_name(output.name + ".lock")
        self._fd: int | None = None

    def acquire(self) -> None:
        """Lock, or raise ValueError naming the holder; nothing to lock for standard output or a device."""
        output, path = self.output, self.path
        if output is None or path is None or (output.exists() and not output.is_file()):
            return
        try:
            import fcntl
        except ImportError:
            return
        output.parent.mkdir(parents=True, exist_ok=True)
        for _ in range(LOCK_ATTEMPTS):
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = _holder(fd)
                os.close(fd)
                raise ValueError(
                    f"OUTPUT {output} is being written by another run of this command ({holder}): "
                    "wait for it to end, or stop it, then run again"
                ) from None
            if _same_file(path, fd):
                self._fd = fd
                os.ftruncate(fd, 0)
                os.write(fd, f"{os.getpid()}\n".encode())
                return
            os.close(fd)  # the run that held it removed it as it ended: lock the file there now
        raise ValueError(f"OUTPUT {output}: other runs keep taking it over; run again when they end")

    def close(self) -> None:
        if self._fd is not None and self.path is not None:
            self.path.unlink(missing_ok=True)  # still locked: a run that opened it meanwhile tries again
            os.close(self._fd)
            self._fd = None


HOLDER_READS = 50  # reads, 10 ms apart, of the pid the holder writes just after taking the lock


def _holder(fd: int) -> str:
    """The run that holds the lock file ``fd``, for the refusal: its pid, once written there."""
    for _ in range(HOLDER_READS):
        pid = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
        if pid.isdigit() and _alive(int(pid)):
            return f"pid {pid}"
        time.sleep(0.01)
    return "its pid unknown"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)  # no signal sent: only whether the process exists
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's
        pass
    return True


def _same_file(path: Path, fd: int) -> bool:
    """Whether ``path`` still names the file open as ``fd``."""
    try:
        here = path.stat()
    except FileNotFoundError:
        return False
    held = os.fstat(fd)
    return (here.st_dev, here.st_ino) == (held.st_dev, held.st_ino)


def _check_output(output: Path) -> None:
    """Refuse up front an OUTPUT that cannot be a file: a directory, or a path under a file."""
    if output.is_dir():
        raise ValueError(f"OUTPUT {output} is a directory: name a file")
    for parent in output.parents:  # the nearest existing one must be a directory
        if parent.exists():
            if not parent.is_dir():
                raise ValueError(f"cannot write OUTPUT {output}: {parent} is not a directory")
            break


def _resume_state(args: argparse.Namespace, plan: _Plan) -> ResumeState:
    output, output_format, source = plan.output, plan.output_format, plan.source
    assert output is not None
    journal = journal_path(output)
    # A JSON Lines OUTPUT is empty until row 1 finishes, while later rows already wait in the journal.
    started = any(path.exists() and path.stat().st_size > 0 for path in (output, journal))
    if not started or (args.overwrite and not args.resume):
        return ResumeState(written=0, journaled={})
    if not args.resume:
        raise ValueError(f"{output} exists: --resume to continue it, or --overwrite to start it over")
    resume = load_resume(output, output_format, source.rows(), plan.columns)
    other = sorted(resume.checks - {args.check})
    if other:
        raise ValueError(
            f"{output} was made with --check {' and '.join(other)}, not {args.check}: resume it with the "
            "same --check, or --overwrite to start it over"
        )
    if args.retry_errors:
        resume = retry_errors(output, output_format, resume)
    return resume


def _check_options(args: argparse.Namespace) -> None:
    if args.concurrency < 1:
        raise ValueError(f"--concurrency must be at least 1, not {args.concurrency}")
    check_int64("--business-unit-id", args.business_unit_id)  # now: else every row would be refused alike
    if args.resume and args.overwrite:
        raise ValueError("--resume and --overwrite contradict each other")
    if args.retry_errors and not args.resume:
        raise ValueError(
            "--retry-errors goes with --resume: it looks up again the error and cannot-tell rows of OUTPUT"
        )
    if args.output in (None, "-") and args.resume:
        raise ValueError("--resume needs --output: there is nothing to resume on standard output")


def _plan(args: argparse.Namespace) -> _Plan:
    """Check the options and read the input; raise ValueError with the message for a usage error."""
    _check_options(args)
    output = Path(args.output) if args.output not in (None, "-") else None
    rate = Rate.parse(args.rate)
    output_format = output_format_for(args.output, args.format)
    if output is not None:
        if args.input != "-" and output.resolve() == Path(args.input).resolve():
            raise ValueError("OUTPUT is INPUT: choose another output file")
        _check_output(output)
    source = InputSource(
        args.input, column=args.column, header=not args.no_header, encoding=args.encoding, keep=args.keep
    )
    lock = _OutputLock(output)
    try:
        total = source.count()  # the whole input is read once, and refused now if it cannot be
        try:
            lock.acquire()  # before OUTPUT is read: no other run writes it from now on
        except OSError as error:
            raise ValueError(f"cannot write {_where(output)}: {error.strerror or error}") from None
        columns = (*source.kept_names, *COLUMNS)
        plan = _Plan(rate, source, total, output, output_format, ResumeState(0, {}), lock, columns)
        if output is not None:
            plan = plan._replace(resume=_resume_state(args, plan))
    except (ValueError, OSError) as error:  # BulkInputError and ResumeError are ValueErrors
        lock.close()
        source.close()
        if isinstance(error, ValueError):
            raise
        # e.g. OUTPUT's journal cannot be read or rewritten
        raise ValueError(f"cannot resume {output}: {error.strerror or error}") from None
    return plan


def _where(output: Path | None) -> str:
    return f"OUTPUT {output}" if output is not None else "standard output"


def _open_sink(args: argparse.Namespace, plan: _Plan) -> OrderedSink:
    """The sink the rows go to; OSError when OUTPUT cannot be created or its header written."""
    output, resume, source = plan.output, plan.resume, plan.source
    secret = secret_from(os.environ.get(TOKEN_ENV))  # never written, whatever a server echoes
    options: dict[str, Any] = {"columns": plan.columns, "newline": source.newline}
    if output is None:  # no byte-order mark on standard output
        writer = RecordWriter(sys.stdout, plan.output_format, write_header=True, **options)
        return OrderedSink(writer, journal=None, secret=secret)
    output.parent.mkdir(parents=True, exist_ok=True)
    if args.overwrite:  # the journal of the run being overwritten must not come back on a later --resume
        journal_path(output).unlink(missing_ok=True)
    writer = open_writer(output, plan.output_format, resume=args.resume, bom=source.bom, **options)
    try:
        return OrderedSink(
            writer,
            journal=journal_path(output),
            next_row=resume.written + 1,
            ready=resume.journaled,
            secret=secret,
        )
    except OSError:
        writer.close()
        raise


def run(args: argparse.Namespace) -> int:
    try:
        options = client_options(args)  # no token, a bad HUBSPOT_BASE_URL: before reading INPUT
        plan = _plan(args)
    except ValueError as error:  # a usage error: its message
        return fail(str(error), EXIT_USAGE)
    with plan.source, contextlib.closing(plan.lock):
        try:
            client = CommPrefs(**options)
        except (CommPrefsError, ValueError) as error:
            return fail(str(error), EXIT_USAGE)
        try:
            sink = _open_sink(args, plan)
        except OSError as error:  # before any lookup: nothing is done, nothing to resume
            client.close()
            if plan.output is None:
                stdout_to_devnull()
            return fail(f"cannot write {_where(plan.output)}: {error.strerror or error}", EXIT_USAGE)
        return _run(args, client, plan, sink)


def _run(args: argparse.Namespace, client: Any, plan: _Plan, sink: OrderedSink) -> int:
    rate, source, total, output, _, resume, _, columns = plan
    # Rows printed to the bar's terminal (no -o): the bar is erased before each row, drawn again below it.
    progress = bulk.ProgressBar(total, done=len(resume), enabled=args.progress, stream=sys.stderr)
    rows_on_terminal = output is None and progress.enabled and _isatty(sys.stdout)
    kept_names = columns[: len(columns) - len(COLUMNS)]
    kept: dict[int, tuple[str, ...]] = {}  # the --keep cells of the rows taken and not yet finished

    def rows() -> Iterator[InputRow]:
        for row in source.rows():
            if row.kept and row.number not in resume:
                kept[row.number] = row.kept
            yield row

    def record(outcome: Any) -> None:
        if rows_on_terminal:
            progress.clear()
        cells = dict(zip(kept_names, kept.pop(outcome.row, ()), strict=False))
        sink.finish(outcome.row, {**cells, **outcome.to_record()})
        progress.advance(outcome=kind(outcome))

    engine = bulk.ThreadedBulkLookup(
        bulk.sync_call(client, business_unit_id=args.business_unit_id),
        rate=rate,
        concurrency=args.concurrency,
        check=args.check,
        on_finish=record,
    )
    progress.waiting = engine.limiter.rate_wait
    started = time.monotonic()
    gentle_ctrl_c = _first_ctrl_c_finishes_the_rows_in_flight(engine)
    stopped: str | None = "interrupted"
    tick = progress.refresh if progress.enabled else None  # redrawn while the rate limit holds every row
    outcomes = engine.outcomes(rows(), skip=resume, total=total, tick=tick, tick_every=PROGRESS_REFRESH)
    try:
        stopped = _drain(outcomes, _where(output))
    finally:
        gentle_ctrl_c()
        client.close()
        complete = stopped is None and sink.next_row == total + 1
        try:
            sink.close(complete=complete)
        except OSError as error:
            complete = False
            stopped = stopped or f"cannot write {_where(output)}: {error.strerror or error}"
        if output is None and stopped is not None and "cannot write" in stopped:
            stdout_to_devnull()  # a closed pipe: the interpreter's last flush must not fail again
        progress.close()
        elapsed = time.monotonic() - started
        _print_summary(engine.stats, progress.outcomes, plan, sink, elapsed, args=args, complete=complete)
    if stopped is not None:
        return fail(f"stopped: {stopped}", EXIT_STOPPED)
    if not complete:  # never exit 0 with rows missing from the output
        return fail(f"stopped: {_rows(total - sink.next_row + 1)} not written", EXIT_STOPPED)
    counts = progress.outcomes
    errors = sum(counts[name] for name in FAILED) + resume.count("error", "cannot-tell")
    unchecked = sum(counts[name] for name in NOT_CHECKED) + resume.count("invalid", "duplicate")
    return EXIT_FAILED if errors or (args.strict and unchecked) else EXIT_OK


def _first_ctrl_c_finishes_the_rows_in_flight(engine: Any) -> Any:
    """The first Ctrl-C stops the run gently (no further request; the rows in flight end and are written; exit
    130), a second at once. Only from the main thread, over Python's own handler; returns what puts it
    back."""
    if (
        threading.current_thread() is not threading.main_thread()
        or signal.getsignal(signal.SIGINT) is not signal.default_int_handler
    ):
        return lambda: None

    def first(_signum: int, _frame: Any) -> None:
        engine.interrupt()  # a flag: no lock, no I/O in a signal handler
        signal.signal(signal.SIGINT, signal.default_int_handler)

    signal.signal(signal.SIGINT, first)
    return lambda: signal.signal(signal.SIGINT, signal.default_int_handler)


PROGRESS_REFRESH = 0.5  # seconds between two redraws of the bar while no row finishes


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # no such method, or closed
        return False


def _drain(outcomes: Any, where: str) -> str | None:
    """Run the lookups to the end: None when nothing stopped them, else why they stopped."""
    try:
        for _ in outcomes:
            pass  # each row was recorded by on_finish the moment it finished
    except CommPrefsError as error:
        wait: float | None = getattr(error, "retry_after", None)
        if wait is not None and wait > MAX_SERVER_DELAY:
            return (
                f"{type(error).__name__}: {error} (HubSpot asked to wait {wait:g} s; the most this tool "
                f"waits is {MAX_SERVER_DELAY:g} s)"
            )
        fix = ""
        if isinstance(error, AuthenticationError | PermissionDeniedError):
            fix = _FIX_FIRST[error.status_code]
        return f"{type(error).__name__}: {error}{fix}"
    except BrokenPipeError:  # the reader of standard output went away (``| head``)
        return f"cannot write {where}: it was closed"
    except OSError as error:  # writing a row failed (disk full...): that row and the rest are not done
        return f"cannot write {where}: {error.strerror or error}"
    except Exception as error:  # noqa: BLE001 - a bug; the rows finished before it are on disk
        return f"unexpected {type(error).__name__}: {error}"
    finally:
        outcomes.close()
    return None


# What to fix before --resume when HubSpot refused the token: running again as it is would stop the same way.
_FIX_FIRST = {
    401: f"; fix the token first (set {TOKEN_ENV} to a valid one), then run again with --resume",
    403: "; give the token's app the communication_preferences.read scope first, then run again with --resume",
}


def _rows(count: int) -> str:
    return f"{count} row" if count == 1 else f"{count} rows"


def _print_summary(
    stats: Any, counts: Any, plan: _Plan, sink: OrderedSink, elapsed: float, *, args: Any, complete: bool
) -> None:
    """One line on stderr: the rows done, each kind counted by name, the requests; then what to know."""
    output, resume, total = plan.output, plan.resume, plan.total
    where = f"{output}: " if output is not None else ""
    errors_before = resume.count("error", "cannot-tell")
    if args.resume and stats.rows == 0 and complete:
        print(
            f"hubspot-commprefs: {where}nothing to do: all {_rows(total)} were done already "
            f"({errors_before} errors or cannot tell; --retry-errors looks those up again)",
            file=sys.stderr,
        )
        return
    checked = counts["may email"] + counts["opted out"] + counts["checked"]
    split = f": {counted(counts, ('may email', 'opted out'), zeros=True)}" if args.check != "statuses" else ""
    before = ""
    if args.resume:
        unchecked_before = resume.count("invalid", "duplicate")
        before = (
            f"; {_rows(len(resume))} done before ({errors_before} errors or cannot tell, {unchecked_before} "
            f"not checked), {total} in all"
        )
    print(
        f"hubspot-commprefs: {where}{sum(counts.values())} of {_rows(stats.rows)} done in {elapsed:.1f} s: "
        f"{checked} checked{split}; not checked: {counted(counts, NOT_CHECKED, zeros=True)}; "
        f"{counted(counts, FAILED, zeros=True)}; {stats.requests} requests "
        f"({stats.requests / elapsed if elapsed else 0:.1f}/s), {stats.rate_limited} answered 429{before}",
        file=sys.stderr,
    )
    if counts["cannot tell"]:
        print(
            f"hubspot-commprefs: cannot tell for {_rows(counts['cannot tell'])} (outcome cannot-tell): HubSpot's "
            "answer was not COMPLETE, held errors or a status this client does not know; their "
            "unsubscribed_from_all is left empty, never false",
            file=sys.stderr,
        )
    if sink.redacted:
        warn(
            f"the answers of {_rows(sink.redacted)} hold the access token (echoed back): written as {REDACTED}"
        )
    if not complete and output is not None:
        journaled = f", {sink.pending} more in {journal_path(output).name}" if sink.pending else ""
        print(
            f"hubspot-commprefs: {_rows(sink.next_row - 1)} written in order{journaled}: "
            "run again with --resume to finish",
            file=sys.stderr,
        )

"""What the sync and async clients share: options, request building, and turning answers into results or
typed errors. Only sending (and sleeping between retries) differs between ``CommPrefs`` and
``AsyncCommPrefs``.
"""

from __future__ import annotations

import contextlib
import copy as _copy
import json
import logging
import os
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar
from urllib.parse import quote, urlencode, urlsplit

import httpx

from hubspot_commprefs._errors import (
    APIConnectionError,
    APIError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    CommPrefsError,
    InternalServerError,
    InvalidSubscriberIdError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ResponseTooLargeError,
    UnexpectedResponseError,
)
from hubspot_commprefs._logging import logger, redact_headers, scrub, secret_of, setup_logging
from hubspot_commprefs.client._operations import Operation, Operations, load_operations
from hubspot_commprefs.client._options import (
    DEFAULT_BASE_URL,
    DEFAULT_TIMEOUT,
    ENV_ACCESS_TOKEN,
    ENV_BASE_URL,
    MAX_TIMEOUT,
    USER_AGENT,
)
from hubspot_commprefs.client._paths import check_request_path
from hubspot_commprefs.client._rate_limit import RateLimitInfo
from hubspot_commprefs.client._subscriber_id import normalise_subscriber_id
from hubspot_commprefs.client._transport import (
    ACCEPT_ENCODING,
    DEFAULT_MAX_RESPONSE_BYTES,
    BadEncodingError,
    BodyTooLargeError,
    DeadlinePassedError,
    UnsupportedEncodingError,
    aread_body,
    attempt_seconds,
    deadline,
    read_body,
)
from hubspot_commprefs.schemas import INT64_MAX, INT64_MIN, BodyMismatch, build, check

if TYPE_CHECKING:
    from hubspot_commprefs.client._recording import Recorder
    from hubspot_commprefs.client._results import _ActionResult

ResultT = TypeVar("ResultT", bound="_ActionResult[Any]")
TimeoutTypes = httpx.Timeout | float | None

NOT_GIVEN: Any = object()
_SNIPPET = 200
_STATUS_ERRORS: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    429: RateLimitError,
}
_CORRELATION_HEADER = "X-HubSpot-Correlation-Id"
_USERINFO = re.compile(r"[^:/?#]*://[^/?#]*@")
_HEADER_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_HEADER_VALUE = re.compile(r"[\t\x20-\x7e]*")
_RESERVED_HEADERS = frozenset({"authorization", "proxy-authorization"})
_READING_ERRORS = (
    BodyTooLargeError,
    UnsupportedEncodingError,
    BadEncodingError,
    DeadlinePassedError,
    httpx.HTTPError,
)
MAX_URL_LENGTH = 65536
"""httpx refuses a longer URL (``httpx._urlparse.MAX_URL_LENGTH``)."""

setup_logging()


def _request_of(response: httpx.Response) -> httpx.Request | None:
    try:
        return response.request
    except RuntimeError:  # a response built by hand, never sent
        return None


def _snippet(text: str, secret: str | None) -> str:
    """The start of ``text``, the token scrubbed first (so that cutting cannot leave a piece of it)."""
    text = scrub(text, secret)
    return text if len(text) <= _SNIPPET else text[:_SNIPPET] + "..."


def _response_text(response: httpx.Response) -> str:
    try:
        return response.text
    except (httpx.ResponseNotRead, httpx.StreamError, UnicodeDecodeError, LookupError):
        return ""


def _resolve_token(access_token: str | None) -> str:
    token = access_token if access_token is not None else os.environ.get(ENV_ACCESS_TOKEN)
    if not token:
        raise CommPrefsError(
            f"no HubSpot access token: pass access_token=... or set the {ENV_ACCESS_TOKEN} environment variable"
        )
    if not isinstance(token, str):
        raise TypeError(f"access_token must be a str, not {type(token).__name__}")
    if not token.isascii() or not token.isprintable() or " " in token:
        # Never echo the token itself.
        raise ValueError("the access token holds spaces, control or non-ASCII characters")
    return token


def port_problem(url: str) -> str | None:
    """Why the port of ``url`` is not a port (out of range, not a number), or None. httpx accepts such a
    URL and fails only when it sends, so the client and the command line both check it up front."""
    try:
        urlsplit(url.strip()).port  # noqa: B018 - raises ValueError for a port out of range or not a number
    except ValueError as error:
        return str(error)
    return None


def _resolve_base_url(base_url: object) -> str:
    url = base_url if base_url is not None else (os.environ.get(ENV_BASE_URL) or DEFAULT_BASE_URL)
    if not isinstance(url, str):
        raise TypeError(f"base_url must be a str, not {type(url).__name__}")
    if _USERINFO.match(url):
        # Never echo it: the part before "@" may be a password.
        raise ValueError("base_url must not hold a user name or password (user:password@host)")
    shown = repr(url) if "@" not in url else "(not shown: it holds '@')"
    if "?" in url or "#" in url:
        raise ValueError(f"base_url {shown} must not have a query or a fragment ('?' or '#')")
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError) as exc:
        raise ValueError(f"base_url {shown} is not a valid URL: {type(exc).__name__}") from None
    if parsed.scheme not in {"http", "https"} or not parsed.host:
        raise ValueError(f"base_url {shown} must be an http(s) URL with a host")
    port = port_problem(url)
    if port is not None:
        raise ValueError(f"base_url {shown} has an invalid port ({port})")
    if parsed.userinfo:
        raise ValueError("base_url must not hold a user name or password (user:password@host)")
    return str(parsed).rstrip("/")


def _resolve_timeout(timeout: object) -> httpx.Timeout:
    """A positive number of seconds (at most ``MAX_TIMEOUT``), None for no limit, or an ``httpx.Timeout``
    whose every part is one of those."""
    if isinstance(timeout, httpx.Timeout):
        for part, value in timeout.as_dict().items():
            _check_seconds(f"timeout's {part}", value)
        return timeout
    if timeout is None:
        return httpx.Timeout(None)
    return httpx.Timeout(_check_seconds("timeout", timeout))


def _check_seconds(name: str, value: object) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(
            f"{name} must be a number of seconds, None (no limit) or an httpx.Timeout, "
            f"not {type(value).__name__}"
        )
    if not 0 < value <= MAX_TIMEOUT:  # also refuses NaN
        raise ValueError(
            f"{name} must be more than 0 and at most {MAX_TIMEOUT:g} seconds (None: no limit), not {value!r}"
        )
    return float(value)


def _check_max_response_bytes(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"max_response_bytes must be an int, not {type(value).__name__}")
    if value < 1:
        raise ValueError(f"max_response_bytes must be at least 1, not {value}")
    return int.__index__(value)


def _check_max_retries(max_retries: object) -> int:
    if isinstance(max_retries, bool) or not isinstance(max_retries, int):
        raise TypeError(f"max_retries must be an int, not {type(max_retries).__name__}")
    if max_retries < 0:
        raise ValueError(f"max_retries must be 0 or more, not {max_retries}")
    return int.__index__(max_retries)


def _check_headers(headers: object, option: str = "default_headers") -> dict[str, str]:
    """Check ``headers`` (the option named ``option``); never echo a value (it may be a credential)."""
    if headers is None:
        return {}
    if not isinstance(headers, Mapping):
        raise TypeError(f"{option} must be a mapping, not {type(headers).__name__}")
    checked: dict[str, str] = {}
    for name, value in headers.items():
        if not isinstance(name, str):
            raise TypeError(f"{option}: a header name must be a str, not {type(name).__name__}")
        if not _HEADER_NAME.fullmatch(name):
            raise ValueError(f"{option}: {name!r} is not a valid header name")
        if name.lower() in _RESERVED_HEADERS:
            raise ValueError(
                f"{option} must not set {name!r}: the client sends the access token itself "
                "(pass access_token=...)"
            )
        if not isinstance(value, str):
            raise TypeError(f"{option}[{name!r}] must be a str, not {type(value).__name__}")
        if not _HEADER_VALUE.fullmatch(value):
            raise ValueError(
                f"{option}[{name!r}] holds a character a header cannot carry "
                "(only printable ASCII, spaces and tabs; no CR or LF)"
            )
        checked[name] = value
    return checked


def _check_int64(name: str, value: object) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int or None, not {type(value).__name__}")
    # A plain int: an int subclass (an IntEnum, say) may write itself differently with str().
    number = int.__index__(value)
    if not INT64_MIN <= number <= INT64_MAX:
        raise ValueError(f"{name} {number} is out of the int64 range")
    return number


def _query_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _query(params: Mapping[str, object]) -> str:
    """The query string of the generated endpoint's params (booleans as true/false, as httpx writes them)."""
    return urlencode([(k, _query_value(v)) for k, v in params.items()], quote_via=quote, safe="")


def status_error(response: httpx.Response) -> APIStatusError:
    """The typed error for a 4xx or 5xx answer; every field of the body is optional."""
    code = response.status_code
    secret = secret_of(_request_of(response))
    text = _response_text(response)
    try:
        body: Any = json.loads(response.content)
    except (ValueError, RecursionError, httpx.ResponseNotRead):
        body = None
    fields: Mapping[str, Any] = body if isinstance(body, dict) else {}

    def text_field(name: str) -> str | None:
        value = fields.get(name)
        return scrub(value, secret) if isinstance(value, str) else None

    reason = scrub(response.reason_phrase, secret) or "error"
    message = text_field("message")
    if not message or not message.strip():
        message = (
            f"{reason} (the body is not a JSON error object: {_snippet(text, secret)!r})"
            if text.strip() and not fields
            else reason
        )
    cls = _STATUS_ERRORS.get(code) or (InternalServerError if code >= 500 else APIStatusError)  # noqa: PLR2004
    error = cls(
        message,
        status_code=code,
        category=text_field("category"),
        sub_category=text_field("subCategory"),
        correlation_id=text_field("correlationId")
        or scrub(response.headers.get(_CORRELATION_HEADER) or "", secret)
        or None,
        body=body if body is not None else text,
        headers=response.headers,
        rate_limit=RateLimitInfo.from_headers(response.headers),
    )
    if isinstance(error, PermissionDeniedError):
        error.missing_scopes = tuple(scrub(scope, secret) for scope in _scopes(fields))
    if isinstance(error, RateLimitError):
        error.policy_name = text_field("policyName")
    return error


def _scopes(fields: Mapping[str, Any]) -> tuple[str, ...]:
    """Scope names from the error body's contexts (HubSpot puts them under ``requiredGranularScopes``)."""
    contexts = [fields.get("context")]
    details = fields.get("errors")
    if isinstance(details, list):
        contexts += [d.get("context") for d in details if isinstance(d, dict)]
    found: dict[str, None] = {}
    for context in contexts:
        if isinstance(context, dict):
            for key, values in context.items():
                if "scope" in str(key).lower() and isinstance(values, list):
                    found.update((v, None) for v in values if isinstance(v, str))
    return tuple(found)


def unexpected(response: httpx.Response, message: str) -> UnexpectedResponseError:
    """An ``UnexpectedResponseError`` for ``response``: the token scrubbed from the message and ``text``."""
    secret = secret_of(_request_of(response))
    try:
        content = response.content
    except httpx.ResponseNotRead:
        content = b""
    return UnexpectedResponseError(
        scrub(message, secret),
        status_code=response.status_code,
        text=scrub(_response_text(response), secret),
        headers=response.headers,
        content=content,
    )


def _decode(content: bytes) -> tuple[Any, bool]:
    """The decoded JSON, and whether it holds a number with a fraction part (``json.loads`` calls back
    only for those, so looking costs nothing when there is none)."""
    fractions: list[str] = []

    def number(text: str) -> float:
        fractions.append(text)
        return float(text)

    return json.loads(content, parse_float=number), bool(fractions)


def _model_builder(response: httpx.Response, operation: Operation, body: Any) -> Any:
    """Builds the generated model of a checked 200 body when the result first needs it (see
    ``_validation``: once checked, building does not fail; were it to, the error is the same as for a
    body that fails the check)."""

    def build_model() -> Any:
        try:
            return build(operation.model, body, nulls=b"null" in response.content)
        except (KeyError, TypeError, ValueError, AttributeError, RecursionError) as exc:
            raise unexpected(response, f"HTTP 200 with a body the spec does not allow: {exc}") from None

    return build_model


def parse_response(response: httpx.Response, operation: Operation, result_type: type[ResultT]) -> ResultT:
    """The typed result of a 200 answer, or the typed error of any other."""
    code = response.status_code
    if code == 200:  # noqa: PLR2004
        try:
            body, fractions = _decode(response.content)
        except (ValueError, RecursionError) as exc:
            secret = secret_of(_request_of(response))
            content_type = response.headers.get("content-type", "no content type")
            if isinstance(exc, ValueError) and not isinstance(exc, json.JSONDecodeError):
                # Python's own limits: an integer of over 4300 digits, say (nesting is a RecursionError)
                why = f"JSON that cannot be read ({str(exc).split(';', 1)[0]})"
            elif isinstance(exc, RecursionError):
                why = "JSON nested too deeply to read"
            else:
                why = f"a body that is not JSON ({content_type})"
            raise unexpected(
                response, f"HTTP 200 with {why}: {_snippet(_response_text(response), secret)!r}"
            ) from None
        try:
            check(operation.model, body, whole_integers=fractions)
        except BodyMismatch as exc:
            secret = secret_of(_request_of(response))
            raise unexpected(
                response, f"HTTP 200 with a body the spec does not allow: {exc.describe(secret)}"
            ) from None
        except (ValueError, RecursionError) as exc:  # jsonschema-rs' own limits, if a body ever meets them
            raise unexpected(
                response, f"HTTP 200 with a body that cannot be checked ({type(exc).__name__})"
            ) from None
        return result_type(
            build=_model_builder(response, operation, body),
            rate_limit=RateLimitInfo.from_headers(response.headers),
            headers=response.headers,
            request=_request_of(response),
            body=body,
        )
    if 400 <= code <= 599:  # noqa: PLR2004
        raise status_error(response)
    raise unexpected(
        response, f"HTTP {code}: the API answers 200 or an error (4xx/5xx); {code} is not expected here"
    )


def transport_error(exc: httpx.HTTPError, request: httpx.Request) -> APIError:
    """The typed error for an httpx failure: no answer (``APIConnectionError``, retried), or an answer
    whose body could not be decoded, or that a response hook of the caller's client raised for."""
    if isinstance(exc, httpx.HTTPStatusError):
        return hook_error(exc)
    if isinstance(exc, httpx.DecodingError):
        # Without the response (``send`` keeps it; this path does not): the status is unknown, 0.
        return UnexpectedResponseError(
            f"an answer whose body cannot be decoded: {type(exc).__name__}",
            status_code=0,
            text="",
            headers=None,
        )
    secret = secret_of(request)
    where = _where(request)
    if isinstance(exc, httpx.TimeoutException):
        return APITimeoutError(f"no answer in time from {where}: {type(exc).__name__}")
    return APIConnectionError(scrub(f"no answer from {where}: {type(exc).__name__}: {exc}", secret))


def hook_error(exc: httpx.HTTPStatusError) -> APIError:
    """The typed error for the answer a response hook of the caller's client raised for (typically
    ``raise_for_status``): the same error as if the hook had not been there."""
    response = exc.response
    code = response.status_code
    if 400 <= code <= 599:  # noqa: PLR2004
        return status_error(response)
    return unexpected(
        response, f"HTTP {code}: the API answers 200 or an error (4xx/5xx); {code} is not expected here"
    )


def undecodable(response: httpx.Response, exc: httpx.DecodingError) -> UnexpectedResponseError:
    encoding = response.headers.get("content-encoding", "none")
    return unexpected(
        response,
        f"HTTP {response.status_code} with a body that cannot be decoded (Content-Encoding: {encoding}): "
        f"{type(exc).__name__}",
    )


def closed_error(client: object) -> CommPrefsError:
    return CommPrefsError(
        f"this {type(client).__name__} is closed (its HTTP client was closed): create a new one"
    )


def _where(request: httpx.Request) -> str:
    return f"{request.method} {request.url.copy_with(query=None)}"


def _reading_error(
    client: BaseClient,
    response: httpx.Response,
    request: httpx.Request,
    error: Exception,
    seconds: float | None,
) -> APIError:
    """The typed error for a failure while the body of ``response`` was read (see ``_transport``)."""
    if isinstance(error, BodyTooLargeError):
        limit = client.max_response_bytes
        return ResponseTooLargeError(
            f"HTTP {response.status_code} with a body over the client's limit of {limit:,} bytes "
            f"(max_response_bytes): reading stopped after {error.read:,} bytes "
            f"(Content-Encoding: {response.headers.get('content-encoding', 'none')})",
            status_code=response.status_code,
            headers=response.headers,
            limit=limit,
        )
    if isinstance(error, UnsupportedEncodingError):
        return unexpected(
            response,
            f"HTTP {response.status_code} with Content-Encoding {str(error)!r}, which the client did not ask "
            f"for (it accepts {ACCEPT_ENCODING})",
        )
    if isinstance(error, BadEncodingError):
        return unexpected(
            response, f"HTTP {response.status_code} with a body that cannot be decoded ({error})"
        )
    if isinstance(error, (DeadlinePassedError, TimeoutError)):
        return APITimeoutError(
            f"no complete answer in time from {_where(request)}: the attempt's limit of {seconds:g} s passed"
        )
    if isinstance(error, httpx.HTTPError):
        return transport_error(error, request)
    raise error


def _keep(response: httpx.Response, content: bytes) -> None:
    # httpx keeps a body read through ``read()`` in ``_content``; this one was read and decoded here, with
    # the bounds of ``_transport``, so that ``response.content`` and ``response.text`` still work.
    response._content = content  # noqa: SLF001


def _already_read(response: httpx.Response, limit: int) -> bytes | None:
    """The body when an event hook of the caller's client read it already (httpx decoded it, unbounded)."""
    if not response.is_stream_consumed:
        return None
    content = response.content
    if len(content) > limit:
        raise BodyTooLargeError(len(content))
    return content


def send(client: BaseClient, http: httpx.Client, request: httpx.Request) -> httpx.Response:
    """Send ``request`` and read the answer within the attempt's deadline and size cap, or raise a typed
    error (``client`` names the error of a closed client). Redirects are never followed, whatever the
    caller's client says."""
    if http.is_closed:
        raise closed_error(client)
    seconds = client.attempt_seconds(http, request)
    with deadline(seconds) as at:
        try:
            response = http.send(request, stream=True, follow_redirects=False)
        except httpx.HTTPStatusError as exc:
            with contextlib.suppress(httpx.HTTPError, httpx.StreamError, RuntimeError):
                exc.response.read()
                if client.recorder is not None:  # an answer, which the caller's own hook raised for
                    client.recorder.record_response(request, exc.response)
            raise hook_error(exc) from exc
        except httpx.HTTPError as exc:
            raise transport_error(exc, request) from exc
        except RuntimeError:
            if http.is_closed:  # closed by another thread meanwhile
                raise closed_error(client) from None
            raise
        try:
            content = _already_read(response, client.max_response_bytes)
            if content is None:
                _keep(response, read_body(response, client.max_response_bytes, at))
        except _READING_ERRORS as exc:
            raise _reading_error(client, response, request, exc, seconds) from exc
        finally:
            response.close()
    if client.recorder is not None:  # the body as received, decoded: after the reading above
        client.recorder.record_response(request, response)
    return response


async def asend(client: BaseClient, http: httpx.AsyncClient, request: httpx.Request) -> httpx.Response:
    """``send`` for an ``httpx.AsyncClient``; the deadline also bounds the whole attempt (``anyio``)."""
    if http.is_closed:
        raise closed_error(client)
    import anyio  # noqa: PLC0415 - httpx's own dependency, loaded on the first async call

    seconds = client.attempt_seconds(http, request)
    response: httpx.Response | None = None
    with deadline(seconds) as at:
        try:
            with anyio.fail_after(seconds):
                response = await _asend_and_read(client, http, request, at)
        except TimeoutError as exc:
            if response is None:
                raise APITimeoutError(
                    f"no answer in time from {_where(request)}: the attempt's limit of {seconds:g} s passed"
                ) from exc
            raise
    if client.recorder is not None:  # the body as received, decoded: after the reading above
        client.recorder.record_response(request, response)
    return response


async def _asend_and_read(
    client: BaseClient, http: httpx.AsyncClient, request: httpx.Request, at: float | None
) -> httpx.Response:
    try:
        response = await http.send(request, stream=True, follow_redirects=False)
    except httpx.HTTPStatusError as exc:
        with contextlib.suppress(httpx.HTTPError, httpx.StreamError, RuntimeError):
            await exc.response.aread()
            if client.recorder is not None:  # an answer, which the caller's own hook raised for
                client.recorder.record_response(request, exc.response)
        raise hook_error(exc) from exc
    except httpx.HTTPError as exc:
        raise transport_error(exc, request) from exc
    except RuntimeError:
        if http.is_closed:
            raise closed_error(client) from None
        raise
    try:
        content = _already_read(response, client.max_response_bytes)
        if content is None:
            _keep(response, await aread_body(response, client.max_response_bytes, at))
    except _READING_ERRORS as exc:
        raise _reading_error(client, response, request, exc, client.attempt_seconds(http, request)) from exc
    finally:
        await response.aclose()
    return response


def log_request(request: httpx.Request) -> None:
    if logger.isEnabledFor(logging.DEBUG):
        logger.debug(
            "request: %s %s headers=%s",
            request.method,
            request.url,
            redact_headers(request.headers.items(), secret_of(request)),
        )


def log_response(request: httpx.Request, response: httpx.Response) -> None:
    if logger.isEnabledFor(logging.INFO):
        logger.info("%s %s -> %s", request.method, request.url, response.status_code)
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug("response headers=%s", redact_headers(response.headers.items(), secret_of(request)))


class BaseClient:
    """Options and request building shared by the sync and async clients."""

    max_retries: int
    base_url: str
    _owns_http: bool

    def __init__(
        self,
        *,
        access_token: str | None,
        base_url: str | None,
        timeout: TimeoutTypes,
        max_retries: int,
        default_headers: Mapping[str, str] | None,
        own_client: bool,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        record_to: str | os.PathLike[str] | None = None,
    ) -> None:
        token = _resolve_token(access_token)
        self.base_url = _resolve_base_url(base_url)
        self.max_retries = _check_max_retries(max_retries)
        self.max_response_bytes = _check_max_response_bytes(max_response_bytes)
        if timeout is NOT_GIVEN:
            self.timeout: TimeoutTypes | Any = DEFAULT_TIMEOUT if own_client else httpx.USE_CLIENT_DEFAULT
        else:
            self.timeout = _resolve_timeout(timeout)
        # httpx.Headers hides the Authorization value in its repr, and replaces names ignoring case.
        headers = httpx.Headers(
            {"User-Agent": USER_AGENT, "Accept": "application/json", "Accept-Encoding": ACCEPT_ENCODING}
        )
        for name, value in _check_headers(default_headers).items():
            headers[name] = value
        headers["Authorization"] = f"Bearer {token}"
        self._headers = headers
        self.recorder: Recorder | None = None
        if record_to is not None:
            from hubspot_commprefs.client._recording import Recorder  # noqa: PLC0415 - only when recording

            self.recorder = Recorder(record_to)

    @property
    def _ops(self) -> Operations:
        """The generated endpoints and models, loaded with the first request rather than with the client:
        a client is ready to use as soon as it is made (the generated package and attrs cost about 15 ms)."""
        return load_operations()

    def _build(
        self,
        http: httpx.Client | httpx.AsyncClient,
        operation: Operation,
        subscriber_id: str,
        channel: object,
        business_unit_id: object,
        *,
        timeout: TimeoutTypes | Any = NOT_GIVEN,
        extra_headers: Mapping[str, str] | None = None,
        **extra: Any,
    ) -> httpx.Request:
        """Check the arguments and build the request; raises TypeError/ValueError before any I/O (and
        CommPrefsError when this client cannot send: closed, or, async, used in another event loop).
        ``timeout`` and ``extra_headers`` are this call's own, checked as the constructor checks its
        ``timeout`` and ``default_headers``; the timeout travels in the request (``attempt_seconds``)."""
        call_timeout = self.timeout if timeout is NOT_GIVEN else _resolve_timeout(timeout)
        headers = self._headers
        if extra_headers is not None:
            headers = httpx.Headers(headers)
            for name, value in _check_headers(extra_headers, "extra_headers").items():
                headers[name] = value
        self._check_usable(http)
        given = subscriber_id
        subscriber_id = normalise_subscriber_id(subscriber_id)
        if not isinstance(channel, str):
            raise TypeError(f"channel must be a str, not {type(channel).__name__}")
        kwargs = operation.get_kwargs(
            subscriber_id,
            channel=self._ops.channel(channel),
            business_unit_id=_check_int64("business_unit_id", business_unit_id),
            **extra,
        )
        path: str = kwargs["url"]
        # The query is written into the URL here: httpx's params= would parse the URL a second time.
        url = (
            f"{self.base_url}{path}?{_query(kwargs['params'])}" if kwargs["params"] else self.base_url + path
        )
        if len(url) > MAX_URL_LENGTH:
            raise InvalidSubscriberIdError(
                f"subscriber id of {len(subscriber_id)} characters is too long: the request URL would be "
                f"{len(url)} characters, over httpx's limit of {MAX_URL_LENGTH}",
                subscriber_id=given,
            )
        try:
            request = http.build_request("GET", url, headers=headers, timeout=call_timeout)
        except httpx.InvalidURL as exc:
            raise InvalidSubscriberIdError(
                f"subscriber id makes an invalid request URL: {exc}", subscriber_id=given
            ) from None
        check_request_path(request.url.raw_path, path)
        return request

    def _check_usable(self, http: httpx.Client | httpx.AsyncClient) -> None:
        if http.is_closed:
            raise closed_error(self)

    def attempt_seconds(
        self, http: httpx.Client | httpx.AsyncClient, request: httpx.Request | None = None
    ) -> float | None:
        """How long one attempt may take in all (``_transport.attempt_seconds``), None for no limit: from
        the timeout ``request`` carries (httpx writes the one it applies into every request it builds,
        a per-call ``timeout`` included), else from this client's."""
        parts = request.extensions.get("timeout") if request is not None else None
        if isinstance(parts, dict):
            return attempt_seconds(httpx.Timeout(**parts))
        timeout = self.timeout if isinstance(self.timeout, httpx.Timeout) else http.timeout
        return attempt_seconds(timeout)

    def with_options(
        self,
        *,
        access_token: str | None = None,
        base_url: str | None = None,
        timeout: TimeoutTypes = NOT_GIVEN,
        max_retries: int | None = None,
        default_headers: Mapping[str, str] | None = None,
        max_response_bytes: int | None = None,
    ) -> Self:
        """A copy of this client with some options changed (an option not given, or None, is kept; ``timeout``
        may be None for no limit), checked as the constructor checks them. ``default_headers`` are merged
        over this client's. The copy shares this client's HTTP client and so its connection pool; it does
        not own it: closing the copy closes nothing, and once this client (or the owner of the HTTP client
        passed in) closes it, the copy is closed too."""
        copy = _copy.copy(self)
        copy._owns_http = False  # noqa: SLF001 - a copy of this very class
        if base_url is not None:
            copy.base_url = _resolve_base_url(base_url)
        if timeout is not NOT_GIVEN:
            copy.timeout = _resolve_timeout(timeout)
        if max_retries is not None:
            copy.max_retries = _check_max_retries(max_retries)
        if max_response_bytes is not None:
            copy.max_response_bytes = _check_max_response_bytes(max_response_bytes)
        headers = httpx.Headers(self._headers)
        for name, value in _check_headers(default_headers).items():
            headers[name] = value
        if access_token is not None:
            headers["Authorization"] = f"Bearer {_resolve_token(access_token)}"
        copy._headers = headers  # noqa: SLF001 - a copy of this very class
        return copy

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.base_url!r}, max_retries={self.max_retries})"

"""An answer turned into the typed result of a 200 or the typed error of anything else; and the typed
error of an httpx failure (no answer, an undecodable body, a response hook of the caller's client). Pure:
no I/O, shared by both clients and the bulk engine.

A 200 is read once (``_decode``), refused when an object of it holds a key twice (``DuplicateKeyError``:
which of the two counts is anyone's guess) and checked against the spec; each step's cost is bounded
by the body's size, never by how many problems it holds (see ``hubspot_commprefs.schemas``)."""

from __future__ import annotations

import json
import logging
import threading
from typing import TYPE_CHECKING, Any, TypeVar

import httpx

from hubspot_commprefs._errors import (
    APIConnectionError,
    APIError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    CommPrefsError,
    DuplicateKeyError,
    InternalServerError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    UnexpectedResponseError,
)
from hubspot_commprefs._logging import logger, redact_headers, scrub, secret_of
from hubspot_commprefs.client._rate_limit import RateLimitInfo
from hubspot_commprefs.schemas import BodyMismatch, build, check, duplicate_key, field_path

if TYPE_CHECKING:
    from collections.abc import Mapping

    from hubspot_commprefs.client._operations import Operation
    from hubspot_commprefs.client._results import _ActionResult

ResultT = TypeVar("ResultT", bound="_ActionResult[Any]")


_SNIPPET = 200


_STATUS_ERRORS: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    429: RateLimitError,
}


_CORRELATION_HEADER = "X-HubSpot-Correlation-Id"


def request_of(response: httpx.Response) -> httpx.Request | None:
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


def status_error(response: httpx.Response) -> APIStatusError:
    """The typed error for a 4xx or 5xx answer; every field of the body is optional."""
    code = response.status_code
    secret = secret_of(request_of(response))
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
    secret = secret_of(request_of(response))
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


class _Fractions(threading.local):
    seen = False


_FRACTIONS = _Fractions()


def _fraction(text: str) -> float:
    _FRACTIONS.seen = True
    return float(text)


_DECODER = json.JSONDecoder(parse_float=_fraction)
"""One decoder for every answer (``json.loads`` with an argument makes one per call)."""


def _decode(content: bytes) -> tuple[Any, bool]:
    """The decoded JSON (read as ``json.loads`` reads bytes), and whether it holds a number with a
    fraction part (the decoder calls back only for those, so looking costs nothing when there is none;
    the flag is the thread's own, and a decoding never yields to another task)."""
    _FRACTIONS.seen = False
    body = _DECODER.decode(content.decode(json.detect_encoding(content), "surrogatepass"))
    return body, _FRACTIONS.seen


def _duplicated(response: httpx.Response, path: tuple[str | int, ...]) -> DuplicateKeyError:
    secret = secret_of(request_of(response))
    where = _snippet(field_path(path), secret)
    return DuplicateKeyError(
        f"HTTP 200 with a body that holds a key twice in one object, {where}: which one counts is not "
        "known, so the answer is not read",
        key=scrub(str(path[-1]), secret),
        path=where,
        status_code=response.status_code,
        text=scrub(_response_text(response), secret),
        headers=response.headers,
        content=response.content,
    )


def _model_builder(response: httpx.Response, operation: Operation[Any], body: Any) -> Any:
    """Builds the generated model of a checked 200 body when the result first needs it (see
    ``hubspot_commprefs.schemas``: once checked, building does not fail; were it to, the error is the same as for a
    body that fails the check)."""

    def build_model() -> Any:
        try:
            return build(operation.model, body, nulls=b"null" in response.content)
        except (KeyError, TypeError, ValueError, AttributeError, RecursionError) as exc:
            raise unexpected(response, f"HTTP 200 with a body the spec does not allow: {exc}") from None

    return build_model


def parse_response(response: httpx.Response, operation: Operation[ResultT]) -> ResultT:
    """The typed result of a 200 answer, or the typed error of any other."""
    code = response.status_code
    if code == 200:  # noqa: PLR2004
        try:
            body, fractions = _decode(response.content)
        except (ValueError, RecursionError) as exc:
            secret = secret_of(request_of(response))
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
        repeated = duplicate_key(response.content, body)
        if repeated is not None:
            raise _duplicated(response, repeated)
        try:
            check(operation.model, body, whole_integers=fractions)
        except BodyMismatch as exc:
            secret = secret_of(request_of(response))
            raise unexpected(
                response, f"HTTP 200 with a body the spec does not allow: {exc.describe(secret)}"
            ) from None
        except (ValueError, RecursionError) as exc:  # jsonschema-rs' own limits, if a body ever meets them
            raise unexpected(
                response, f"HTTP 200 with a body that cannot be checked ({type(exc).__name__})"
            ) from None
        return operation.result_type(
            build=_model_builder(response, operation, body),
            rate_limit=RateLimitInfo.from_headers(response.headers),
            headers=response.headers,
            request=request_of(response),
            body=body,
            content=response.content,
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
    where = request_line(request)
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


def request_line(request: httpx.Request) -> str:
    return f"{request.method} {request.url.copy_with(query=None)}"


def log_response(request: httpx.Request, response: httpx.Response) -> None:
    if logger.isEnabledFor(logging.INFO):
        logger.info("%s %s -> %s", request.method, request.url, response.status_code)
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug("response headers=%s", redact_headers(response.headers.items(), secret_of(request)))

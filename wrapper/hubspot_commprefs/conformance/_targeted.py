"""Targeted cases: known subscribers, so that on a live portal the valid requests hit real contacts.

For each subscriber and business unit: both endpoints, and unsubscribe-all with ``verbose=true``. Once per
run: no token, an unsupported channel, a ``verbose`` that is not a boolean. Every answer is also checked
against the spec like any other.

What each case expects comes from the spec, never from what HubSpot happens to answer: a valid request gets
one of the operation's declared 2xx (or a 429, which the spec declares for a rate limit and says nothing
about the request); a request without a token gets the declared 401 (any 4xx if the spec declared none);
invalid input gets any 4xx the spec documents (400 is declared for a validation error, ``default`` for any
other error, so a server answering 422 keeps the spec too).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

import httpx

from hubspot_commprefs.client import bounded_http_client, deadline
from hubspot_commprefs.conformance._answer_limits import (
    AnswerTooLargeError,
    AnswerTooSlowError,
    read_within_limits,
)
from hubspot_commprefs.conformance._findings import Exchange, Finding, Kind
from hubspot_commprefs.conformance._guard import ServerNotAnsweringError

if TYPE_CHECKING:
    from hubspot_commprefs.client import Recorder
    from hubspot_commprefs.conformance._guard import RequestGuard
    from hubspot_commprefs.openapi import SpecEndpoints

SOURCE = "targeted"
RATE_LIMITED = 429


@dataclass(frozen=True, slots=True)
class Expected:
    """The statuses the spec allows for one case, and how the report says it."""

    statuses: frozenset[int]
    text: str

    def allows(self, status: int) -> bool:
        return status in self.statuses


def _declared(spec: dict[str, Any], endpoint: str) -> tuple[list[int], bool]:
    """The operation's explicitly declared statuses (``4XX`` ranges expanded), and whether it has ``default``."""
    responses = spec["paths"][endpoint]["get"]["responses"]
    codes: list[int] = []
    for key in responses:
        if key.isdigit():
            codes.append(int(key))
        elif len(key) == 3 and key[0].isdigit() and key[1:].upper() == "XX":
            codes += range(int(key[0]) * 100, int(key[0]) * 100 + 100)
    return codes, "default" in responses


def expected_for_valid(spec: dict[str, Any], endpoint: str) -> Expected:
    codes, _ = _declared(spec, endpoint)
    success = sorted(c for c in codes if 200 <= c < 300)
    allowed = set(success) | ({RATE_LIMITED} if RATE_LIMITED in codes else set())
    shown = " or ".join(map(str, success))
    return Expected(frozenset(allowed), f"{shown} for a valid request")


def expected_for_no_token(spec: dict[str, Any], endpoint: str) -> Expected:
    codes, default = _declared(spec, endpoint)
    if 401 in codes:
        return Expected(frozenset({401}), "401 for a request without a token")
    return _any_documented_4xx(codes, default, "a request without a token")


def expected_for_invalid(spec: dict[str, Any], endpoint: str, why: str) -> Expected:
    codes, default = _declared(spec, endpoint)
    return _any_documented_4xx(codes, default, why)


def _any_documented_4xx(codes: list[int], default: bool, why: str) -> Expected:
    allowed = set(range(400, 500)) if default else {c for c in codes if 400 <= c < 500}
    listed = sorted(c for c in codes if 400 <= c < 500)
    where = ", ".join(map(str, listed)) + (" or any other 4xx (default)" if default else "")
    return Expected(frozenset(allowed), f"a 4xx the spec documents ({where}) for {why}")


@dataclass(frozen=True, slots=True)
class TargetedCase:
    endpoint: str
    subscriber: str
    query: dict[str, str]
    expected: Expected
    with_token: bool = True

    def url(self, base_url: str) -> str:
        path = self.endpoint.replace("{subscriberIdString}", quote(self.subscriber, safe=""))
        return f"{base_url.rstrip('/')}{path}?{urlencode(self.query)}"


def plan(
    spec: dict[str, Any],
    endpoints: SpecEndpoints,
    subscribers: list[str],
    business_unit_ids: list[int | None],
) -> list[TargetedCase]:
    statuses = endpoints.statuses.path_template
    wide = endpoints.unsubscribe_all.path_template
    cases = []
    for subscriber in subscribers:
        for unit in business_unit_ids:
            query = {"channel": "EMAIL"} | ({} if unit is None else {"businessUnitId": str(unit)})
            cases.append(TargetedCase(statuses, subscriber, query, expected_for_valid(spec, statuses)))
            cases.append(TargetedCase(wide, subscriber, query, expected_for_valid(spec, wide)))
        verbose = {"channel": "EMAIL", "verbose": "true"}
        cases.append(TargetedCase(wide, subscriber, verbose, expected_for_valid(spec, wide)))
    if subscribers:
        first = subscribers[0]
        cases += [
            TargetedCase(
                statuses, first, {"channel": "EMAIL"}, expected_for_no_token(spec, statuses), with_token=False
            ),
            TargetedCase(
                statuses,
                first,
                {"channel": "SMS"},
                expected_for_invalid(spec, statuses, "an unsupported channel"),
            ),
            TargetedCase(
                wide,
                first,
                {"channel": "EMAIL", "verbose": "maybe"},
                expected_for_invalid(spec, wide, "a verbose that is not a boolean"),
            ),
        ]
    return cases


def run_targeted(
    cases: list[TargetedCase],
    *,
    base_url: str,
    token: str,
    guard: RequestGuard,
    timeout: float,
    recorder: Recorder | None = None,
) -> tuple[list[Exchange], list[Finding], list[str]]:
    """Send the cases; returns the exchanges, the unexpected statuses, and transport errors. Stops when the
    guard says the server does not answer."""
    exchanges: list[Exchange] = []
    findings: list[Finding] = []
    errors: list[str] = []
    # Every socket operation bounded by the request's deadline, every body by the suite's size limit.
    with bounded_http_client() as client:
        for case in cases:
            url = case.url(base_url)
            headers = {"Authorization": f"Bearer {token}"} if case.with_token else {}
            try:
                guard.admit("GET", phase=SOURCE)
            except ServerNotAnsweringError:
                break
            try:
                with deadline(timeout):
                    response = client.send(
                        client.build_request("GET", url, headers=headers, timeout=timeout), stream=True
                    )
                    try:
                        response._content = read_within_limits(response, timeout)
                    finally:
                        response.close()
            except (httpx.HTTPError, AnswerTooSlowError) as exc:
                if isinstance(exc, httpx.TransportError | AnswerTooSlowError):
                    guard.unanswered(f"{type(exc).__name__}")
                errors.append(f"GET {url}: {type(exc).__name__}")
                continue
            except AnswerTooLargeError as exc:
                guard.answered()
                errors.append(f"GET {url}: {exc}")
                continue
            guard.answered()
            if recorder is not None:
                recorder.record(
                    method="GET",
                    path=response.request.url.raw_path.split(b"?", 1)[0].decode("latin-1"),
                    query=response.request.url.query.decode("latin-1"),
                    with_token=case.with_token,
                    status=response.status_code,
                    headers=[(k.decode("latin-1"), v.decode("latin-1")) for k, v in response.headers.raw],
                    body=response.content,
                    secret=token,
                )
            exchange = Exchange(
                endpoint=case.endpoint,
                method="GET",
                url=url,
                status=response.status_code,
                content_type=response.headers.get("content-type"),
                body=response.content,
                source=SOURCE,
                authorized=case.with_token,
            )
            exchanges.append(exchange)
            if not case.expected.allows(response.status_code):
                findings.append(
                    Finding(
                        Kind.UNEXPECTED_STATUS,
                        case.endpoint,
                        "",
                        case.expected.text,
                        f"status {response.status_code}",
                        exchange,
                    )
                )
    return exchanges, findings, errors

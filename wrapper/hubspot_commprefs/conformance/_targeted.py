"""Targeted cases: known subscribers, so that on a live portal the valid requests hit real contacts.

For each subscriber and business unit both endpoints, and unsubscribe-all with ``verbose=true``; once per
run, no token, an unsupported channel and a ``verbose`` that is not a boolean. Every answer is also checked
against the spec like any other. What each case expects comes from the spec, never from what HubSpot
happens to answer: a valid request, one of the operation's declared 2xx (or a declared 429, which says
nothing about the request); no token, the declared 401 (else any documented 4xx); invalid input, any 4xx
the spec documents (400 is declared for a validation error, ``default`` for any other, so a 422 keeps the
spec too).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

import httpx

from hubspot_commprefs.client import (
    BadEncodingError,
    BodyTooLargeError,
    DeadlinePassedError,
    UnsupportedEncodingError,
    bounded_http_client,
    deadline,
    read_body,
)
from hubspot_commprefs.conformance._checks import Exchange, Finding, Kind
from hubspot_commprefs.conformance._guard import MAX_ANSWER_BYTES, ServerNotAnsweringError, unreadable

if TYPE_CHECKING:
    from hubspot_commprefs.client import Recorder
    from hubspot_commprefs.conformance._guard import RequestGuard
    from hubspot_commprefs.conformance._runner import ConformanceOptions
    from hubspot_commprefs.openapi import SpecEndpoints

SOURCE = "targeted"
RATE_LIMITED = 429
ANONYMOUS = "a request without a token"


@dataclass(frozen=True, slots=True)
class Expected:
    """The statuses the spec allows for one case, and how the report says it."""

    statuses: frozenset[int]
    text: str

    def allows(self, status: int) -> bool:
        return status in self.statuses


def _expected(spec: dict[str, Any], endpoint: str, invalid: str = "") -> Expected:
    """What the spec allows for a valid request to ``endpoint``, or for one that is ``invalid`` (says how)."""
    responses = spec["paths"][endpoint]["get"]["responses"]
    codes: list[int] = []
    for key in responses:  # `4XX` ranges expanded
        if key.isdigit():
            codes.append(int(key))
        elif len(key) == 3 and key[0].isdigit() and key[1:].upper() == "XX":
            codes += range(int(key[0]) * 100, int(key[0]) * 100 + 100)
    if not invalid:
        success = sorted(c for c in codes if 200 <= c < 300)
        allowed = {*success, *({RATE_LIMITED} & set(codes))}
        return Expected(frozenset(allowed), f"{' or '.join(map(str, success))} for a valid request")
    if invalid == ANONYMOUS and 401 in codes:
        return Expected(frozenset({401}), f"401 for {ANONYMOUS}")
    listed = sorted(c for c in codes if 400 <= c < 500)
    default = "default" in responses
    where = ", ".join(map(str, listed)) + (" or any other 4xx (default)" if default else "")
    allowed = set(range(400, 500)) if default else set(listed)
    return Expected(frozenset(allowed), f"a 4xx the spec documents ({where}) for {invalid}")


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
    statuses, wide = endpoints.statuses.path_template, endpoints.unsubscribe_all.path_template
    cases = []
    for subscriber in subscribers:
        for unit in business_unit_ids:
            query = {"channel": "EMAIL"} | ({} if unit is None else {"businessUnitId": str(unit)})
            cases += [
                TargetedCase(path, subscriber, query, _expected(spec, path)) for path in (statuses, wide)
            ]
        verbose = {"channel": "EMAIL", "verbose": "true"}
        cases.append(TargetedCase(wide, subscriber, verbose, _expected(spec, wide)))
    for first in subscribers[:1]:
        no_token = _expected(spec, statuses, ANONYMOUS)
        cases.append(TargetedCase(statuses, first, {"channel": "EMAIL"}, no_token, with_token=False))
        sms = _expected(spec, statuses, "an unsupported channel")
        cases.append(TargetedCase(statuses, first, {"channel": "SMS"}, sms))
        maybe = _expected(spec, wide, "a verbose that is not a boolean")
        cases.append(TargetedCase(wide, first, {"channel": "EMAIL", "verbose": "maybe"}, maybe))
    return cases


def run_targeted(
    cases: list[TargetedCase], options: ConformanceOptions, guard: RequestGuard, recorder: Recorder | None
) -> tuple[list[Exchange], list[Finding], list[str]]:
    """Send the cases; returns the exchanges, the unexpected statuses, and transport errors. Stops when the
    guard says the server does not answer."""
    exchanges: list[Exchange] = []
    findings: list[Finding] = []
    errors: list[str] = []
    # Every socket operation bounded by the request's deadline, every body by the suite's size limit.
    with bounded_http_client() as client:
        for case in cases:
            url = case.url(options.base_url)
            headers = {"Authorization": f"Bearer {options.token}"} if case.with_token else {}
            try:
                guard.admit("GET", phase=SOURCE)
            except ServerNotAnsweringError:
                break
            try:
                with deadline(options.timeout) as at:
                    request = client.build_request("GET", url, headers=headers, timeout=options.timeout)
                    response = client.send(request, stream=True)
                    try:
                        response._content = read_body(response, MAX_ANSWER_BYTES, at)
                    finally:
                        response.close()
            except (httpx.TransportError, DeadlinePassedError) as exc:
                problem = "ReadTimeout" if isinstance(exc, DeadlinePassedError) else type(exc).__name__
                guard.unanswered(problem)
                errors.append(f"GET {url}: {problem}")
                continue
            except httpx.HTTPError as exc:
                errors.append(f"GET {url}: {type(exc).__name__}")
                continue
            except (BodyTooLargeError, UnsupportedEncodingError, BadEncodingError) as exc:
                guard.answered()
                errors.append(f"GET {url}: {unreadable(exc)}")
                continue
            guard.answered()
            status, content_type = response.status_code, response.headers.get("content-type")
            body = response.content
            if recorder is not None:
                recorder.record(
                    method="GET",
                    path=response.request.url.raw_path.split(b"?", 1)[0].decode("latin-1"),
                    query=response.request.url.query.decode("latin-1"),
                    with_token=case.with_token,
                    status=status,
                    headers=[(k.decode("latin-1"), v.decode("latin-1")) for k, v in response.headers.raw],
                    body=body,
                    secret=options.token,
                )
            exchange = Exchange(
                case.endpoint, "GET", url, status, content_type, body, SOURCE, case.with_token
            )
            exchanges.append(exchange)
            if not case.expected.allows(status):
                actual = f"status {status}"
                findings.append(
                    Finding(Kind.UNEXPECTED_STATUS, case.endpoint, "", case.expected.text, actual, exchange)
                )
    return exchanges, findings, errors

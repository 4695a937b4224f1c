"""Targeted cases: known subscribers, so that on a live portal the valid requests hit real contacts.

For each subscriber and business unit: both endpoints, and unsubscribe-all with ``verbose=true`` (each must
answer 200). Once per run: no token (401), an unsupported channel (400), a ``verbose`` that is not a boolean
(400). Every answer is also checked against the spec like any other.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import quote, urlencode

import httpx

from hubspot_commprefs.conformance._findings import Exchange, Finding, Kind

if TYPE_CHECKING:
    from hubspot_commprefs.conformance._guard import RequestGuard
    from hubspot_commprefs.testing._spec import SpecEndpoints

SOURCE = "targeted"


@dataclass(frozen=True, slots=True)
class TargetedCase:
    endpoint: str
    subscriber: str
    query: dict[str, str]
    expected_status: int
    why: str
    with_token: bool = True

    def url(self, base_url: str) -> str:
        path = self.endpoint.replace("{subscriberIdString}", quote(self.subscriber, safe=""))
        return f"{base_url.rstrip('/')}{path}?{urlencode(self.query)}"


def plan(
    endpoints: SpecEndpoints, subscribers: list[str], business_unit_ids: list[int | None]
) -> list[TargetedCase]:
    cases = []
    for subscriber in subscribers:
        for unit in business_unit_ids:
            query = {"channel": "EMAIL"} | ({} if unit is None else {"businessUnitId": str(unit)})
            cases.append(
                TargetedCase(endpoints.statuses.path_template, subscriber, query, 200, "a valid request")
            )
            cases.append(
                TargetedCase(
                    endpoints.unsubscribe_all.path_template, subscriber, query, 200, "a valid request"
                )
            )
        cases.append(
            TargetedCase(
                endpoints.unsubscribe_all.path_template,
                subscriber,
                {"channel": "EMAIL", "verbose": "true"},
                200,
                "a valid request",
            )
        )
    if subscribers:
        first = subscribers[0]
        statuses = endpoints.statuses.path_template
        cases += [
            TargetedCase(
                statuses, first, {"channel": "EMAIL"}, 401, "a request without a token", with_token=False
            ),
            TargetedCase(statuses, first, {"channel": "SMS"}, 400, "an unsupported channel"),
            TargetedCase(
                endpoints.unsubscribe_all.path_template,
                first,
                {"channel": "EMAIL", "verbose": "maybe"},
                400,
                "a verbose that is not a boolean",
            ),
        ]
    return cases


def run_targeted(
    cases: list[TargetedCase], *, base_url: str, token: str, guard: RequestGuard, timeout: float
) -> tuple[list[Exchange], list[Finding], list[str]]:
    """Send the cases; returns the exchanges, the unexpected statuses, and transport errors."""
    exchanges: list[Exchange] = []
    findings: list[Finding] = []
    errors: list[str] = []
    with httpx.Client(timeout=timeout, follow_redirects=False) as client:
        for case in cases:
            url = case.url(base_url)
            headers = {"Authorization": f"Bearer {token}"} if case.with_token else {}
            guard.admit("GET")
            try:
                response = client.get(url, headers=headers)
            except httpx.HTTPError as exc:
                errors.append(f"GET {url}: {type(exc).__name__}")
                continue
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
            if response.status_code != case.expected_status:
                findings.append(
                    Finding(
                        Kind.UNEXPECTED_STATUS,
                        case.endpoint,
                        "",
                        f"{case.expected_status} for {case.why}",
                        f"status {response.status_code}",
                        exchange,
                    )
                )
    return exchanges, findings, errors

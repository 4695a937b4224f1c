"""The public API: ``__all__`` is pinned, every name in it resolves, and the import stays light."""

from __future__ import annotations

import json
import subprocess
import sys

import hubspot_commprefs

PUBLIC = [
    "DEFAULT_BASE_URL", "DEFAULT_CHANNEL", "DEFAULT_MAX_RESPONSE_BYTES", "DEFAULT_MAX_RETRIES", "DEFAULT_TIMEOUT",
    "APIConnectionError", "APIError", "APIStatusError", "APITimeoutError", "ActionResponseStatus",
    "AsyncCommPrefs", "AuthenticationError", "BadRequestError", "Channel", "CommPrefs", "CommPrefsError",
    "IncompleteResultError", "InternalServerError", "InvalidSubscriberIdError", "LegalBasis", "LookupOutcome", "NotFoundError",
    "PermissionDeniedError", "PublicStatus", "PublicWideStatus", "Rate", "RateLimitError", "RateLimitInfo", "ReportedError", "ResponseTooLargeError", "SetStatusSuccessReason",
    "StandardError", "SubscriptionStatus", "SubscriptionStatuses", "UnexpectedResponseError",
    "UnsubscribeAllStatus", "WideStatusType", "__version__",
]  # fmt: skip
HEAVY = ["yaml", "rich", "starlette", "uvicorn", "schemathesis", "hypothesis", "jsonschema", "typer"]


def test_all_is_pinned():
    assert hubspot_commprefs.__all__ == PUBLIC


def test_every_public_name_resolves():
    for name in PUBLIC:
        assert getattr(hubspot_commprefs, name) is not None
    assert "PublicStatus" in dir(hubspot_commprefs)


def test_the_generated_names_are_the_generated_classes():
    from hubspot_commprefs_client import models

    assert hubspot_commprefs.SubscriptionStatus is models.SubscriptionStatus
    assert hubspot_commprefs.PublicStatus is models.PublicStatus


def test_the_bulk_names_are_the_bulk_engine_types():
    from hubspot_commprefs import _bulk, _rate_limiter

    assert hubspot_commprefs.LookupOutcome is _bulk.LookupOutcome
    assert hubspot_commprefs.Rate is _rate_limiter.Rate


def test_defaults():
    assert hubspot_commprefs.DEFAULT_BASE_URL == "https://api.hubapi.com"
    assert hubspot_commprefs.DEFAULT_MAX_RETRIES == 2
    assert hubspot_commprefs.DEFAULT_CHANNEL == "EMAIL"


def _modules_after(statement: str) -> set[str]:
    code = f"import sys, json; {statement}; print(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    return set(json.loads(out.stdout))


def test_importing_the_package_stays_light():
    # httpx itself imports rich and click when they are installed (its command line): not counted here.
    added = _modules_after("import hubspot_commprefs") - _modules_after("import httpx")
    for module in [
        *HEAVY,
        "hubspot_commprefs.cli",
        "hubspot_commprefs_client",
        "hubspot_commprefs._bulk",
        "stamina",
        "attrs",
    ]:
        assert not any(m == module or m.startswith(f"{module}.") for m in added), module

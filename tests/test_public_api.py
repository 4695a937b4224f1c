"""The public API: ``__all__`` is pinned, every name in it resolves, and the import stays light."""

from __future__ import annotations

import json
import subprocess
import sys

import hubspot_commprefs
import pytest

PUBLIC = [
    "API_VERSION", "DEFAULT_BASE_URL", "DEFAULT_CHANNEL", "DEFAULT_MAX_RESPONSE_BYTES", "DEFAULT_MAX_RETRIES", "DEFAULT_TIMEOUT",
    "APIConnectionError", "APIError", "APIStatusError", "APITimeoutError", "ActionResponseStatus",
    "AsyncCommPrefs", "AuthenticationError", "BadRequestError", "Channel", "CommPrefs", "CommPrefsError",
    "DuplicateKeyError", "IncompleteResultError", "InternalServerError", "InvalidSubscriberIdError", "LegalBasis", "LookupOutcome", "MissingTokenError", "NotFoundError",
    "PermissionDeniedError", "PublicStatus", "PublicWideStatus", "Rate", "RateLimitError", "RateLimitInfo", "RecordingError", "ReportedError", "ResponseTooLargeError", "SetStatusSuccessReason",
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
    from hubspot_commprefs.bulk import _engine as _bulk
    from hubspot_commprefs.bulk import _limiter as _rate_limiter

    assert hubspot_commprefs.LookupOutcome is _bulk.LookupOutcome
    assert hubspot_commprefs.Rate is _rate_limiter.Rate


def test_the_recording_error_is_the_clients_and_loads_only_when_asked_for(tmp_path):
    from hubspot_commprefs.client import _recording

    assert hubspot_commprefs.RecordingError is _recording.RecordingError
    assert issubclass(hubspot_commprefs.RecordingError, ValueError)
    a_file = tmp_path / "a-file"
    a_file.write_text("")
    with pytest.raises(hubspot_commprefs.RecordingError, match=r"record_to: .*a-file' is not a directory"):
        hubspot_commprefs.CommPrefs(access_token="t", record_to=a_file)
    assert "hubspot_commprefs.client._recording" not in _modules_after("import hubspot_commprefs")


def test_the_api_version_is_the_specs():
    from tests.spec_helpers import load_spec

    assert load_spec()["info"]["version"] == hubspot_commprefs.API_VERSION


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
        "hubspot_commprefs.bulk",
        "stamina",
        "attrs",
    ]:
        assert not any(m == module or m.startswith(f"{module}.") for m in added), module


# --- public names -----------------------------------------------------------------------------------------


def _our_classes() -> list[type]:
    return [
        value
        for name in PUBLIC
        if isinstance(value := getattr(hubspot_commprefs, name), type)
        and not value.__module__.startswith("hubspot_commprefs_client")
    ]


def test_every_exported_class_of_ours_is_shown_under_the_packages_name():
    classes = _our_classes()
    assert {c.__name__ for c in classes} >= {"CommPrefs", "NotFoundError", "LookupOutcome", "Rate"}
    for cls in classes:
        assert cls.__module__ == "hubspot_commprefs", cls
        assert getattr(hubspot_commprefs, cls.__qualname__) is cls


def test_the_generated_classes_keep_their_own_module():
    assert hubspot_commprefs.PublicWideStatus.__module__.startswith("hubspot_commprefs_client.models.")


def test_a_traceback_names_the_public_exception():
    import traceback

    import httpx

    from tests.client_fixtures import sync_client

    client, _ = sync_client(httpx.Response(404, json={"message": "no such contact"}))
    with pytest.raises(hubspot_commprefs.NotFoundError) as caught:
        client.get_statuses("alice@example.com")
    shown = traceback.format_exception_only(caught.value)[-1]
    assert shown.startswith("hubspot_commprefs.NotFoundError: HTTP 404"), shown
    assert "hubspot_commprefs._errors" not in "".join(traceback.format_exception(caught.value))
    assert repr(hubspot_commprefs.CommPrefs) == "<class 'hubspot_commprefs.CommPrefs'>"


def test_the_lazily_loaded_classes_name_the_package_even_when_imported_directly():
    code = (
        "from hubspot_commprefs.bulk._engine import LookupOutcome; from hubspot_commprefs.bulk._limiter import Rate; "
        "print(LookupOutcome.__module__, Rate.__module__)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert out.stdout.split() == ["hubspot_commprefs", "hubspot_commprefs"]


def test_instances_still_pickle_under_the_public_name():
    import pickle

    rate = hubspot_commprefs.Rate(10, 1.0)
    assert pickle.loads(pickle.dumps(rate)) == rate
    limits = hubspot_commprefs.RateLimitInfo.from_headers({"X-HubSpot-RateLimit-Max": "100"})
    assert pickle.loads(pickle.dumps(limits)) == limits


def test_dir_lists_the_public_api_only():
    code = "import hubspot_commprefs, json; print(json.dumps(dir(hubspot_commprefs)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert json.loads(out.stdout) == sorted(PUBLIC)
    import hubspot_commprefs.spec_diff  # a public subpackage, once imported, is an attribute too

    shown = dir(hubspot_commprefs)
    assert "spec_diff" in shown
    assert set(shown) - set(PUBLIC) <= {
        "cli",
        "conformance",
        "pytest_plugin",
        "spec_diff",
        "testing",
    }
    for private in ("Any", "TYPE_CHECKING", "importlib", "types", "annotations", "_errors", "_LAZY"):
        assert private not in shown

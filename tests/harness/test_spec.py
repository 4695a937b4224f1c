"""The spec is valid OpenAPI, its examples validate, and it says every fact of HubSpot's API of its version."""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest
from openapi_spec_validator import validate

from tests.spec_helpers import SPEC_PATH, component_schema, load_spec, operations

SCHEMAS = load_spec()["components"]["schemas"]


def test_spec_is_valid_openapi() -> None:
    validate(load_spec())


def _examples() -> list[tuple[str, dict[str, Any], Any]]:
    found = []
    spec = load_spec()
    responses = [(f"components/{name}", r) for name, r in spec["components"]["responses"].items()]
    for op_id, (_, op) in operations().items():
        responses += [(f"{op_id}/{code}", r) for code, r in op["responses"].items() if "content" in r]
    for where, response in responses:
        for media in response["content"].values():
            for name, example in media.get("examples", {}).items():
                found.append((f"{where}/{name}", media["schema"], example["value"]))
    return found


@pytest.mark.parametrize(("where", "schema", "value"), _examples(), ids=[e[0] for e in _examples()])
def test_every_example_validates_against_its_schema(where: str, schema: dict[str, Any], value: Any) -> None:
    name = schema["$ref"].rsplit("/", 1)[-1]
    jsonschema.validate(
        value, component_schema(name), format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )


def test_each_response_has_an_example() -> None:
    for op_id, (_, op) in operations().items():
        media = op["responses"]["200"]["content"]["application/json"]
        assert media.get("examples"), op_id


# The facts of ../shared/api-facts.md, written out once more so that the spec cannot lose one silently.
REQUIRED = {
    "ActionResponseWithResultsPublicStatus": {"completedAt", "results", "startedAt", "status"},
    "ActionResponseWithResultsPublicWideStatus": {"completedAt", "results", "startedAt", "status"},
    "PublicStatus": {"channel", "source", "status", "subscriberIdString", "subscriptionId", "timestamp"},
    "PublicWideStatus": {"channel", "status", "subscriberIdString", "timestamp", "wideStatusType"},
    "StandardError": {"category", "context", "errors", "links", "message", "status"},
    "ErrorDetail": {"message"},
    "Error": {"category", "correlationId", "message"},
    "RateLimitExceeded": {"correlationId", "errorType", "message", "policyName"},
}
PROPERTIES = {
    "ActionResponseWithResultsPublicStatus": REQUIRED["ActionResponseWithResultsPublicStatus"]
    | {"errors", "links", "numErrors", "requestedAt"},
    "PublicStatus": REQUIRED["PublicStatus"]
    | {"businessUnitId", "legalBasis", "legalBasisExplanation", "setStatusSuccessReason", "subscriptionName"},
    "PublicWideStatus": REQUIRED["PublicWideStatus"] | {"businessUnitId"},
    "StandardError": REQUIRED["StandardError"] | {"id", "subCategory"},
    "ErrorDetail": {"message", "code", "context", "in", "subCategory"},
    "Error": REQUIRED["Error"] | {"status", "context", "errors", "links", "subCategory"},
    # HubSpot's real 429 body (../shared/api-facts.md): no `category`.
    "RateLimitExceeded": REQUIRED["RateLimitExceeded"] | {"status", "groupName"},
}
ENUMS = {
    "Channel": ["EMAIL"],
    "ActionResponseStatus": ["CANCELED", "COMPLETE", "PENDING", "PROCESSING"],
    "SubscriptionStatus": ["NOT_SPECIFIED", "SUBSCRIBED", "UNSUBSCRIBED"],
    "WideStatusType": ["BUSINESS_UNIT_WIDE", "PORTAL_WIDE"],
    "LegalBasis": [
        "CONSENT_WITH_NOTICE", "LEGITIMATE_INTEREST_CLIENT", "LEGITIMATE_INTEREST_OTHER",
        "LEGITIMATE_INTEREST_PQL", "NON_GDPR", "PERFORMANCE_OF_CONTRACT", "PROCESS_AND_STORE",
    ],
    "SetStatusSuccessReason": [
        "NO_STATUS_CHANGE", "REQUESTED_CHANGE_OCCURRED", "RESUBSCRIBE_OCCURRED", "UNSUBSCRIBE_FROM_ALL_OCCURRED",
    ],
}  # fmt: skip
FORMATS = {
    ("PublicStatus", "subscriptionId"): ("integer", "int64"),
    ("PublicStatus", "businessUnitId"): ("integer", "int64"),
    ("PublicWideStatus", "businessUnitId"): ("integer", "int64"),
    ("ActionResponseWithResultsPublicStatus", "numErrors"): ("integer", "int32"),
    ("ActionResponseWithResultsPublicWideStatus", "numErrors"): ("integer", "int32"),
    ("PublicStatus", "timestamp"): ("string", "date-time"),
    ("PublicWideStatus", "timestamp"): ("string", "date-time"),
    ("Error", "correlationId"): ("string", "uuid"),
    ("RateLimitExceeded", "correlationId"): ("string", "uuid"),
    **{
        (schema, field): ("string", "date-time")
        for schema in ("ActionResponseWithResultsPublicStatus", "ActionResponseWithResultsPublicWideStatus")
        for field in ("completedAt", "startedAt", "requestedAt")
    },
}


@pytest.mark.parametrize("name", sorted(REQUIRED))
def test_required_fields_are_as_documented(name: str) -> None:
    assert set(SCHEMAS[name].get("required", [])) == REQUIRED[name]


@pytest.mark.parametrize("name", sorted(PROPERTIES))
def test_fields_are_as_documented(name: str) -> None:
    assert set(SCHEMAS[name]["properties"]) == PROPERTIES[name]


@pytest.mark.parametrize("name", sorted(ENUMS))
def test_enums_list_every_documented_value(name: str) -> None:
    assert SCHEMAS[name]["enum"] == ENUMS[name]


@pytest.mark.parametrize(("where", "expected"), sorted(FORMATS.items()))
def test_types_and_formats_are_as_documented(where: tuple[str, str], expected: tuple[str, str]) -> None:
    schema, field = where
    prop = SCHEMAS[schema]["properties"][field]
    assert (prop["type"], prop["format"]) == expected


def test_source_is_free_text_and_error_subcategories_differ() -> None:
    assert SCHEMAS["PublicStatus"]["properties"]["source"] == {
        "type": "string",
        "description": SCHEMAS["PublicStatus"]["properties"]["source"]["description"],
    }
    assert SCHEMAS["StandardError"]["properties"]["subCategory"]["type"] == "object"
    assert SCHEMAS["ErrorDetail"]["properties"]["subCategory"]["type"] == "string"


def test_parameters_are_as_documented() -> None:
    spec = load_spec()
    params = spec["components"]["parameters"]
    assert params["SubscriberIdString"] | {"description": None, "example": None} == {
        "name": "subscriberIdString", "in": "path", "required": True, "schema": {"type": "string"},
        "description": None, "example": None,
    }  # fmt: skip
    assert params["Channel"]["required"] is True
    assert params["Channel"]["schema"] == {"$ref": "#/components/schemas/Channel"}
    assert params["BusinessUnitId"]["required"] is False
    assert params["BusinessUnitId"]["schema"] == {"type": "integer", "format": "int64"}
    ops = operations()
    assert set(ops) == {"getStatuses", "getUnsubscribeAllStatus"}
    version = spec["info"]["version"]
    assert ops["getStatuses"][0] == f"/communication-preferences/{version}/statuses/{{subscriberIdString}}"
    assert ops["getUnsubscribeAllStatus"][0] == ops["getStatuses"][0] + "/unsubscribe-all"
    verbose = [p for p in ops["getUnsubscribeAllStatus"][1]["parameters"] if p.get("name") == "verbose"]
    assert verbose == [verbose[0]]
    assert verbose[0]["schema"] == {"type": "boolean", "default": False}
    assert verbose[0]["in"] == "query"
    for _, op in ops.values():
        assert op["responses"] | {"200": None} == {
            "200": None,
            "400": {"$ref": "#/components/responses/BadRequest"},
            "401": {"$ref": "#/components/responses/Unauthorized"},
            "403": {"$ref": "#/components/responses/Forbidden"},
            "429": {"$ref": "#/components/responses/TooManyRequests"},
            "default": {"$ref": "#/components/responses/Error"},
        }


def test_security_is_bearer_with_either_scope() -> None:
    spec = load_spec()
    assert spec["components"]["securitySchemes"]["bearerAuth"] | {"description": ""} == {
        "type": "http",
        "scheme": "bearer",
        "description": "",
    }
    assert spec["security"] == [
        {"bearerAuth": ["communication_preferences.read"]},
        {"bearerAuth": ["communication_preferences.read_write"]},
    ]


def test_spec_file_is_named_after_its_version() -> None:
    assert SPEC_PATH.name == f"communication-preferences-{load_spec()['info']['version']}.yaml"


RATE_LIMIT_HEADERS = {
    "X-HubSpot-RateLimit-Max",
    "X-HubSpot-RateLimit-Remaining",
    "X-HubSpot-RateLimit-Interval-Milliseconds",
    "X-HubSpot-RateLimit-Daily",
    "X-HubSpot-RateLimit-Daily-Remaining",
}


def test_rate_limit_headers_are_documented_on_every_answer() -> None:
    spec = load_spec()
    responses = spec["components"]["responses"]
    for name in ("Error", "TooManyRequests"):
        assert set(responses[name]["headers"]) == RATE_LIMIT_HEADERS | {"Retry-After"}, name
    for name in ("BadRequest", "Forbidden"):
        assert set(responses[name]["headers"]) == RATE_LIMIT_HEADERS, name
    assert "headers" not in responses["Unauthorized"]  # no app is known: HubSpot sends no rate-limit headers
    for op_id, (_, op) in operations().items():
        assert set(op["responses"]["200"]["headers"]) == RATE_LIMIT_HEADERS, op_id
    for name, header in spec["components"]["headers"].items():
        assert header["schema"]["type"] == "integer", name
        assert header["schema"]["minimum"] in {0, 1}, name
        assert not header.get("required", False)


def _deliberate_differences(node: Any, where: str = "") -> list[tuple[str, str]]:
    found = []
    if isinstance(node, dict):
        if "x-deliberate-difference" in node:
            found.append((where, node["x-deliberate-difference"]["reason"]))  # its `theirs` is spec-diff's
        for key, value in node.items():
            found += _deliberate_differences(value, f"{where}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _deliberate_differences(value, f"{where}/{index}")
    return found


def test_every_deliberate_difference_from_hubspots_definitions_is_declared_where_it_is() -> None:
    """The spec marks each node that knowingly differs from HubSpot's published definitions with
    x-deliberate-difference (a tool reads the key): here, that list is pinned, and each says what and why."""
    found = dict(_deliberate_differences(load_spec()))
    assert set(found) == {
        "/components/headers/RateLimitMax",
        "/components/headers/RateLimitRemaining",
        "/components/headers/RateLimitIntervalMilliseconds",
        "/components/headers/RateLimitDaily",
        "/components/headers/RateLimitDailyRemaining",
        "/components/headers/RetryAfter",
        "/components/responses/BadRequest",
        "/components/responses/Unauthorized",
        "/components/responses/Forbidden",
        "/components/responses/TooManyRequests",
        "/components/responses/Error",
        "/components/schemas/Error/properties/status",
        "/components/schemas/RateLimitExceeded",
    }
    for where, text in found.items():
        assert isinstance(text, str), where
        assert "HubSpot" in text, where
        assert len(text) > 60, where  # says what differs and why, not a bare flag
    for name in ("BadRequest", "Unauthorized", "Forbidden", "TooManyRequests", "Error"):
        assert "*/*" in found[f"/components/responses/{name}"], name  # the content type, on every error
    assert "category" in found["/components/responses/TooManyRequests"]


def test_every_error_response_has_a_valid_example() -> None:
    responses = load_spec()["components"]["responses"]
    for name in ("BadRequest", "Unauthorized", "Forbidden", "TooManyRequests", "Error"):
        assert responses[name]["content"]["application/json"]["examples"], name
    for example in responses["TooManyRequests"]["content"]["application/json"]["examples"].values():
        assert "category" not in example["value"]  # HubSpot's real 429 body has none

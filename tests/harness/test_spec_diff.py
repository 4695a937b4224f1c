"""spec-diff: which differences it finds between our spec and another document, and how it classifies them.

Every document is built here from the bundled spec (``tests/spec_diff_documents.py``), never taken from
HubSpot.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pytest
import yaml
from hubspot_commprefs.spec_diff import Difference, SpecDocumentError, diff_specs, load_document
from openapi_spec_validator import validate

from tests.spec_diff_documents import (
    RENAMED_SCOPES,
    STATUSES,
    UNSUBSCRIBE_ALL,
    drifted_hubspot_document,
    hubspot_shaped,
    ours,
    schema,
    write_json,
)

if TYPE_CHECKING:
    from pathlib import Path

GET_STATUSES = f"GET {STATUSES}"
GET_UNSUBSCRIBE_ALL = f"GET {UNSUBSCRIBE_ALL}"


# The error answers the spec declares besides ``default``, each with the Error schema.
ERROR_STATUSES = ("400", "401", "403")


def found(
    differences: tuple[Difference, ...], *, operation: str = GET_STATUSES, **fields: Any
) -> list[Difference]:
    return [
        d
        for d in differences
        if d.operation == operation and all(getattr(d, key) == value for key, value in fields.items())
    ]


def only(differences: tuple[Difference, ...], **fields: Any) -> Difference:
    matching = found(differences, **fields)
    assert len(matching) == 1, (fields, differences)
    return matching[0]


def not_cosmetic(differences: tuple[Difference, ...]) -> list[Difference]:
    return [d for d in differences if d.severity != "cosmetic"]


# -- identical in substance ---------------------------------------------------------------------------


@pytest.mark.parametrize("inline", [False, True], ids=["renamed-schemas", "inlined-refs"])
def test_the_spec_as_hubspot_would_publish_it_needs_no_edit(tmp_path: Path, inline: bool) -> None:
    theirs = hubspot_shaped(inline=inline)
    validate(theirs)  # a valid OpenAPI 3.0.1 document, so the test is of a realistic one
    diff = diff_specs(ours(), write_json(theirs, tmp_path / "hubspot.json"))
    assert not_cosmetic(diff.differences) == []
    assert diff.exit_code == 0
    assert {m.theirs_path for m in diff.operations} == {STATUSES, UNSUBSCRIBE_ALL}
    names = found(diff.differences, kind="schema-name", location="response 200: results[]")
    assert [(d.ours, d.theirs) for d in names] == [("PublicStatus", None if inline else "PublicStatusV4")]


def test_3_1_type_arrays_and_3_0_nullable_are_the_same() -> None:
    spec = ours()
    schema(spec, "PublicStatus")["properties"]["subscriptionName"]["type"] = ["string", "null"]
    theirs = hubspot_shaped(spec)
    assert schema(theirs, "PublicStatusV4")["properties"]["subscriptionName"] == {
        "type": "string",
        "nullable": True,
        "description": "The subscription type's name.",
    }
    assert not_cosmetic(diff_specs(spec, theirs).differences) == []


def test_allof_wrapping_a_ref_and_a_null_branch_are_unwrapped() -> None:
    theirs = hubspot_shaped()
    props = schema(theirs, "PublicStatusV4")["properties"]
    props["status"] = {"allOf": [props["status"]], "description": "wrapped, as 3.0 documents do"}
    spec = ours()
    legal = schema(spec, "PublicStatus")["properties"]
    legal["legalBasis"] = {"anyOf": [{"$ref": "#/components/schemas/LegalBasis"}, {"type": "null"}]}
    props["legalBasis"] = {**props["legalBasis"], "nullable": True}
    assert not_cosmetic(diff_specs(spec, theirs).differences) == []


# -- the done-when document ---------------------------------------------------------------------------


def test_a_drifted_hubspot_document_names_and_classifies_each_difference(tmp_path: Path) -> None:
    diff = diff_specs(ours(), write_json(drifted_hubspot_document(), tmp_path / "hubspot.json"))
    int32 = only(diff.differences, kind="format")
    assert (int32.location, int32.ours, int32.theirs) == (
        "response 200: results[].subscriptionId",
        "int64",
        "int32",
    )
    assert int32.severity == "tolerated"  # narrower in an answer: every value they send fits
    for operation in (GET_STATUSES, GET_UNSUBSCRIBE_ALL):
        scopes = found(diff.differences, operation=operation, kind="scope")
        assert {(d.severity, d.ours if d.severity == "breaking" else d.theirs) for d in scopes} == {
            ("breaking", "communication_preferences.read"),
            ("breaking", "communication_preferences.read_write"),
            ("tolerated", RENAMED_SCOPES[0]),
            ("tolerated", RENAMED_SCOPES[1]),
        }
        added = only(diff.differences, operation=operation, kind="enum")
        assert (added.location, added.theirs, added.severity) == (
            "response 200: results[].status",
            "OPTED_OUT",
            "tolerated",
        )
    assert diff.exit_code == 1
    assert [d for d in not_cosmetic(diff.differences) if d.kind not in {"format", "scope", "enum"}] == []


# -- direction: what they send vs what we send --------------------------------------------------------


def test_a_response_format_that_widens_is_breaking() -> None:
    spec = ours()
    schema(spec, "PublicStatus")["properties"]["subscriptionId"]["format"] = "int32"
    diff = diff_specs(spec, hubspot_shaped())
    widened = only(diff.differences, kind="format")
    assert (widened.ours, widened.theirs, widened.severity) == ("int32", "int64", "breaking")


def test_a_parameter_format_that_narrows_is_breaking_and_one_that_widens_is_tolerated() -> None:
    theirs = hubspot_shaped()
    theirs["components"]["parameters"]["BusinessUnitId"]["schema"]["format"] = "int32"
    narrowed = only(diff_specs(ours(), theirs).differences, kind="format")
    assert (narrowed.location, narrowed.severity) == ("parameter businessUnitId (query)", "breaking")
    spec = ours()
    spec["components"]["parameters"]["BusinessUnitId"]["schema"]["format"] = "int32"
    widened = only(diff_specs(spec, hubspot_shaped()).differences, kind="format")
    assert widened.severity == "tolerated"


def test_an_enum_value_removed_breaks_a_parameter_but_not_a_response() -> None:
    spec = ours()
    schema(spec, "Channel")["enum"] = ["EMAIL", "SMS"]  # as HubSpot's v4 definitions had it
    diff = diff_specs(spec, hubspot_shaped())
    removed = {d.location: d.severity for d in found(diff.differences, kind="enum", ours="SMS")}
    assert removed == {
        "parameter channel (query)": "breaking",
        "response 200: results[].channel": "tolerated",
    }


def test_a_dropped_date_time_format_in_an_answer_is_breaking() -> None:
    theirs = hubspot_shaped()
    del schema(theirs, "PublicStatusV4")["properties"]["timestamp"]["format"]
    assert only(diff_specs(ours(), theirs).differences, kind="format").severity == "breaking"


# -- fields, parameters, responses, operations ---------------------------------------------------------


def test_a_removed_required_field_is_breaking_and_names_its_path() -> None:
    theirs = hubspot_shaped()
    public_status = schema(theirs, "PublicStatusV4")
    del public_status["properties"]["subscriptionId"]
    public_status["required"].remove("subscriptionId")
    gone = only(diff_specs(ours(), theirs).differences, kind="field")
    assert (gone.location, gone.severity) == ("response 200: results[].subscriptionId", "breaking")
    assert "subscriptionId" in gone.message


def test_a_required_field_become_optional_is_breaking_and_an_added_field_is_tolerated() -> None:
    theirs = hubspot_shaped()
    wide = schema(theirs, "PublicWideStatusV4")
    wide["required"].remove("timestamp")
    wide["properties"]["optedOutAt"] = {"type": "string", "format": "date-time"}
    differences = diff_specs(ours(), theirs).differences
    optional = only(differences, operation=GET_UNSUBSCRIBE_ALL, kind="required")
    assert (optional.location, optional.severity) == ("response 200: results[].timestamp", "breaking")
    added = only(differences, operation=GET_UNSUBSCRIBE_ALL, kind="field")
    assert (added.location, added.theirs, added.severity) == (
        "response 200: results[].optedOutAt",
        "optional",
        "tolerated",
    )


def test_null_in_a_field_ours_requires_is_breaking_in_an_optional_one_tolerated() -> None:
    theirs = hubspot_shaped()
    props = schema(theirs, "PublicStatusV4")["properties"]
    props["source"]["nullable"] = True
    props["subscriptionName"]["nullable"] = True
    nulls = {d.location: d.severity for d in found(diff_specs(ours(), theirs).differences, kind="nullable")}
    assert nulls == {
        "response 200: results[].source": "breaking",
        "response 200: results[].subscriptionName": "tolerated",
    }


def test_error_bodies_are_read_tolerantly() -> None:
    theirs = hubspot_shaped()
    theirs["components"]["responses"]["Error"]["content"] = {
        "*/*": theirs["components"]["responses"]["Error"]["content"]["application/json"]
    }
    schema(theirs, "Error")["required"] = ["message"]
    differences = diff_specs(ours(), theirs).differences
    # The spec marks its error answers as deliberately different (JSON, not */*), so they show as
    # deliberate; what they would be without the marker is their effect.
    assert {d.effect for d in not_cosmetic(differences)} == {"tolerated"}
    assert {d.severity for d in not_cosmetic(differences)} <= {"tolerated", "deliberate"}
    assert {d.location for d in found(differences, kind="required")} == {
        f"response {status}: {field}"
        for status in ("default", *ERROR_STATUSES)
        for field in ("category", "correlationId")
    }


def test_a_new_required_parameter_is_breaking_a_new_optional_one_tolerated() -> None:
    theirs = hubspot_shaped()
    theirs["paths"][STATUSES]["get"]["parameters"].append(
        {"name": "portalId", "in": "query", "required": True, "schema": {"type": "integer"}}
    )
    theirs["paths"][UNSUBSCRIBE_ALL]["get"]["parameters"].append(
        {"name": "includeHistory", "in": "query", "schema": {"type": "boolean"}}
    )
    differences = diff_specs(ours(), theirs).differences
    assert only(differences, kind="parameter").severity == "breaking"
    assert only(differences, operation=GET_UNSUBSCRIBE_ALL, kind="parameter").severity == "tolerated"


def test_a_success_status_or_content_type_the_client_cannot_take_is_breaking() -> None:
    theirs = hubspot_shaped()
    responses = theirs["paths"][STATUSES]["get"]["responses"]
    responses["204"] = {"description": "no statuses"}
    responses["200"]["content"]["text/plain"] = {"schema": {"type": "string"}}
    differences = diff_specs(ours(), theirs).differences
    assert only(differences, kind="status").severity == "breaking"
    assert only(differences, kind="content-type").severity == "breaking"


def test_an_operation_missing_from_theirs_is_breaking() -> None:
    theirs = hubspot_shaped()
    del theirs["paths"][UNSUBSCRIBE_ALL]
    diff = diff_specs(ours(), theirs)
    missing = only(diff.differences, operation=GET_UNSUBSCRIBE_ALL, kind="operation")
    assert missing.severity == "breaking"
    assert found(diff.differences, operation=GET_STATUSES, kind="operation") == []
    assert diff.exit_code == 1


def test_another_version_segment_is_matched_and_reported_and_path_parameter_names_do_not_matter() -> None:
    theirs = hubspot_shaped()
    theirs["paths"] = {
        path.replace("2026-03", "2026-09").replace("{subscriberIdString}", "{emailAddress}"): item
        for path, item in theirs["paths"].items()
    }
    for item in theirs["paths"].values():
        for operation in item.values():
            for parameter in operation.get("parameters", []):
                if parameter.get("in") == "path":
                    parameter["name"] = "emailAddress"
    theirs["components"]["parameters"]["SubscriberIdString"]["name"] = "emailAddress"
    diff = diff_specs(ours(), theirs)
    version = only(diff.differences, kind="version", location="path")
    assert (version.ours, version.theirs) == (
        STATUSES,
        "/communication-preferences/2026-09/statuses/{emailAddress}",
    )
    assert version.severity == "tolerated"
    assert "2026-09" in version.message
    renamed = only(diff.differences, kind="parameter-name")
    assert (renamed.ours, renamed.theirs, renamed.severity) == (
        "subscriberIdString",
        "emailAddress",
        "cosmetic",
    )
    assert {d.kind for d in not_cosmetic(diff.differences)} == {"version"}


def test_the_same_version_is_preferred_when_theirs_has_several() -> None:
    theirs = hubspot_shaped()
    theirs["paths"]["/communication-preferences/2025-09/statuses/{subscriberIdString}"] = {
        "get": {"responses": {}}
    }
    diff = diff_specs(ours(), theirs)
    assert [m.theirs_path for m in diff.operations] == [STATUSES, UNSUBSCRIBE_ALL]


# -- deliberate differences ----------------------------------------------------------------------------


def test_a_marked_response_makes_every_difference_under_it_deliberate() -> None:
    spec = ours()
    spec["components"]["responses"]["Error"]["x-deliberate-difference"] = (
        "HubSpot documents */*; it always sends JSON"
    )
    theirs = hubspot_shaped(spec)
    theirs["components"]["responses"]["Error"]["content"] = {
        "*/*": theirs["components"]["responses"]["Error"]["content"].pop("application/json")
    }
    schema(theirs, "Error")["properties"]["subCategory"]["type"] = "integer"  # under the marked response
    diff = diff_specs(spec, theirs)
    marked = [d for d in not_cosmetic(diff.differences) if d.location.startswith("response default")]
    assert {d.severity for d in not_cosmetic(diff.differences)} == {"deliberate"}
    assert {(d.kind, d.severity, d.effect) for d in marked} == {
        ("content-type", "deliberate", "tolerated"),
        ("type", "deliberate", "breaking"),
    }
    assert all(d.reason == "HubSpot documents */*; it always sends JSON" for d in marked)
    assert diff.exit_code == 0


def test_a_marked_schema_property_and_operation() -> None:
    spec = ours()
    props = schema(spec, "PublicStatus")["properties"]
    props["subscriptionId"]["x-deliberate-difference"] = "HubSpot widened it to int64 in April 2026"
    spec["paths"][UNSUBSCRIBE_ALL]["get"]["x-deliberate-difference"] = "we keep the old scope names"
    theirs = drifted_hubspot_document()
    diff = diff_specs(spec, theirs)
    assert only(diff.differences, kind="format").severity == "deliberate"
    assert {d.severity for d in found(diff.differences, operation=GET_UNSUBSCRIBE_ALL)} <= {
        "deliberate",
        "cosmetic",
    }
    assert {d.severity for d in found(diff.differences, kind="scope")} == {"breaking", "tolerated"}
    assert diff.exit_code == 1


def test_a_marker_on_a_schema_reached_through_a_ref_covers_it() -> None:
    spec = ours()
    schema(spec, "SubscriptionStatus")["x-deliberate-difference"] = "OPTED_OUT is not released yet"
    diff = diff_specs(spec, drifted_hubspot_document())
    assert {d.severity for d in found(diff.differences, kind="enum")} == {"deliberate"}


# -- documents that cannot be compared -----------------------------------------------------------------


def test_yaml_and_3_1_documents_are_read(tmp_path: Path) -> None:
    path = tmp_path / "next.yaml"
    path.write_text(yaml.safe_dump(ours()), encoding="utf-8")
    assert diff_specs(ours(), path).differences == ()


@pytest.mark.parametrize(
    ("name", "content", "problem"),
    [
        ("missing.json", None, "cannot read it"),
        ("broken.json", "{", "not valid JSON"),
        ("broken.yaml", "a: [", "not valid JSON or YAML"),
        ("latin1.yaml", b"openapi: \xe9", "not UTF-8"),
        ("list.json", "[1, 2]", "not an OpenAPI document"),
        ("swagger.json", '{"swagger": "2.0", "paths": {}}', "Swagger 2.0"),
        ("future.json", '{"openapi": "4.0.0", "paths": {}}', "OpenAPI 4.0.0 is not supported"),
    ],
)
def test_a_document_that_cannot_be_read_is_a_one_line_error(
    tmp_path: Path, name: str, content: str | bytes | None, problem: str
) -> None:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(SpecDocumentError, match=problem) as error:
        load_document(path)
    assert str(path) in str(error.value)
    assert "\n" not in str(error.value)


def test_a_remote_or_dangling_ref_is_refused_naming_it() -> None:
    theirs = hubspot_shaped()
    theirs["paths"][STATUSES]["get"]["responses"]["200"]["content"]["application/json"]["schema"] = {
        "$ref": "https://example.com/hubspot.json#/components/schemas/Statuses"
    }
    with pytest.raises(SpecDocumentError, match=r"remote \$ref 'https://example.com/hubspot.json#/"):
        diff_specs(ours(), theirs)
    theirs = hubspot_shaped()
    schema(theirs, "PublicStatusV4")["properties"]["status"] = {"$ref": "#/components/schemas/Nowhere"}
    with pytest.raises(SpecDocumentError, match="points at nothing"):
        diff_specs(ours(), theirs)


def test_a_remote_ref_in_an_operation_we_do_not_have_is_ignored() -> None:
    theirs = hubspot_shaped()
    theirs["paths"]["/crm/v3/objects/contacts"] = {"get": {"responses": {"200": {"$ref": "other.json#/x"}}}}
    assert not_cosmetic(diff_specs(ours(), theirs).differences) == []


def test_a_ref_cycle_is_refused_and_a_recursive_schema_is_compared() -> None:
    theirs = hubspot_shaped()
    schemas = theirs["components"]["schemas"]
    schemas["A"] = {"$ref": "#/components/schemas/B"}
    schemas["B"] = {"$ref": "#/components/schemas/A"}
    schema(theirs, "PublicStatusV4")["properties"]["status"] = {"$ref": "#/components/schemas/A"}
    with pytest.raises(SpecDocumentError, match=r"\$ref cycle"):
        diff_specs(ours(), theirs)
    # ErrorDetail holding a list of ErrorDetails, in both documents: compared, no endless walk.
    spec = ours()
    tree = {"type": "array", "items": {"$ref": "#/components/schemas/ErrorDetail"}}
    schema(spec, "ErrorDetail")["properties"]["errors"] = tree
    theirs = hubspot_shaped(spec)
    schema(theirs, "ErrorDetail")["properties"]["code"]["type"] = "integer"
    differences = diff_specs(spec, theirs).differences
    assert {d.location for d in found(differences, kind="type")} == {
        "response 200: errors[].errors[].code",
        *(f"response {status}: errors[].code" for status in ("default", *ERROR_STATUSES)),
    }


def test_json_output_has_a_stable_schema() -> None:
    diff = diff_specs(ours(), drifted_hubspot_document())
    data = json.loads(diff.to_json())
    assert set(data) == {
        "schema_version",
        "ours",
        "theirs",
        "needs_edit",
        "counts",
        "operations",
        "differences",
    }
    assert data["needs_edit"] is True
    assert data["counts"] == {"breaking": 4, "tolerated": 7, "deliberate": 0, "cosmetic": 3}
    keys = {"kind", "severity", "effect", "operation", "location", "ours", "theirs", "message", "reason"}
    assert all(set(d) == keys for d in data["differences"])

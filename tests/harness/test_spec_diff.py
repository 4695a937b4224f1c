"""spec-diff: which differences it finds between our spec and another document, and how it classifies them.

Every document is built here from the bundled spec (``tests/spec_diff_documents.py``), never taken from
HubSpot; no version is spelled (each is computed from the spec's ``info.version``).
"""

from __future__ import annotations

import copy
import json
import re
from typing import TYPE_CHECKING, Any

import pytest
import yaml
from hubspot_commprefs import _refs
from hubspot_commprefs.spec_diff import (
    MAX_NESTING,
    Difference,
    SpecDocumentError,
    _load,
    diff_specs,
    load_document,
)
from hubspot_commprefs.spec_diff._compare import MAX_SCHEMA_DEPTH
from hypothesis import given
from hypothesis import strategies as st
from openapi_spec_validator import validate

from tests.spec_diff_documents import (
    MARKER,
    PRIVATE_APPS,
    RENAMED_SCOPES,
    STATUSES,
    UNSUBSCRIBE_ALL,
    VERSION,
    another_version,
    at_version,
    drifted_hubspot_document,
    hubspot_published,
    hubspot_shaped,
    ours,
    schema,
    write_json,
)
from tests.strategies import JSON_VALUES

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


def marked(theirs: Any, reason: str = "a reason that says why") -> dict[str, Any]:
    return {"theirs": theirs, "reason": reason}


def subscription_id(doc: dict[str, Any], name: str = "PublicStatusV4") -> dict[str, Any]:
    found_schema: dict[str, Any] = schema(doc, name)["properties"]["subscriptionId"]
    return found_schema


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
    scheme = only(diff.differences, kind="schema-name", location="security")
    assert (scheme.ours, scheme.theirs) == ("bearerAuth", "oauth2")  # both send a bearer token


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


# -- HubSpot's documents, as published ----------------------------------------------------------------


def test_the_current_hubspot_document_differs_only_where_the_spec_says_it_does() -> None:
    theirs = hubspot_published()
    validate(theirs)
    diff = diff_specs(ours(), theirs)
    assert diff.exit_code == 0
    assert {d.severity for d in diff.differences} == {"deliberate", "cosmetic"}
    headers = ours()["components"]["headers"]
    for operation in (GET_STATUSES, GET_UNSUBSCRIBE_ALL):
        for status in ("200", "default"):
            shown = found(diff.differences, operation=operation, kind="header")
            here = [
                d for d in shown if d.location.startswith(f"response {status}: header X-HubSpot-RateLimit-")
            ]
            assert len(here) == 5, (operation, status)
            # Each header is accepted by its own marker, not by its response's (the content type's).
            assert {d.reason for d in here} == {headers["RateLimitMax"][MARKER]["reason"]}
    content = only(diff.differences, kind="content-type")
    assert content.reason == ours()["components"]["responses"]["Error"][MARKER]["reason"]


def test_each_markers_reason_is_printed_once() -> None:
    spec = ours()
    text = diff_specs(spec, hubspot_published()).to_text()
    notes = [line.split("] ", 1)[1] for line in text.splitlines() if re.match(r"  \[\d+\] ", line)]
    markers = [*spec["components"]["headers"].values(), *spec["components"]["responses"].values()]
    markers.append(schema(spec, "Error")["properties"]["status"])
    assert sorted(notes) == sorted({node[MARKER]["reason"] for node in markers})
    assert "[would be tolerated; see [1]]" in text
    assert text.count("HubSpot's published definitions declare no response headers") == 1


def test_old_scopes_in_the_current_document_are_breaking() -> None:
    theirs = hubspot_published()
    theirs["security"] = [{"oauth2": [scope]} for scope in RENAMED_SCOPES]
    diff = diff_specs(ours(), theirs)
    assert {d.severity for d in found(diff.differences, kind="scope")} == {"breaking", "tolerated"}
    assert diff.exit_code == 1


@pytest.mark.parametrize("version", ["v4", another_version()])
def test_another_version_segment_is_reported(version: str) -> None:
    diff = diff_specs(ours(), at_version(hubspot_published(), version))
    moved = only(diff.differences, kind="version", location="path")
    assert (moved.ours, moved.theirs, moved.severity) == (
        STATUSES,
        STATUSES.replace(VERSION, version),
        "tolerated",
    )
    assert version in moved.message
    assert {d.kind for d in diff.differences if d.severity in {"breaking", "tolerated"}} == {"version"}
    assert diff.exit_code == 1


def test_the_next_hubspot_document_says_keep_ours_for_a_narrower_id_and_reports_its_new_scheme() -> None:
    theirs = at_version(hubspot_published(), another_version())
    subscription_id(theirs)["format"] = "int32"
    theirs["components"]["securitySchemes"]["private_apps"] = PRIVATE_APPS
    theirs["security"].append({"private_apps": []})
    diff = diff_specs(ours(), theirs)
    int32 = only(diff.differences, kind="format")
    assert (int32.location, int32.ours, int32.theirs) == (
        "response 200: results[].subscriptionId",
        "int64",
        "int32",
    )
    assert int32.severity == "informational"
    assert "keep ours" in int32.message
    assert "learn" not in int32.message
    scheme = only(diff.differences, kind="security-scheme")
    assert (scheme.location, scheme.theirs, scheme.severity) == (
        "security scheme private_apps",
        "private_apps",
        "tolerated",
    )
    assert "an API key in header private-app" in scheme.message
    assert found(diff.differences, kind="scope") == []  # the new alternative is the scheme's, not a scope
    assert {d.kind for d in diff.differences if d.severity in {"breaking", "tolerated"}} == {
        "version",
        "security-scheme",
    }


def test_a_drifted_hubspot_document_names_and_classifies_each_difference(tmp_path: Path) -> None:
    diff = diff_specs(ours(), write_json(drifted_hubspot_document(), tmp_path / "hubspot.json"))
    assert only(diff.differences, kind="format").severity == "informational"
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


def test_a_narrower_range_in_an_answer_is_informational_and_a_wider_one_breaking() -> None:
    spec = ours()
    subscription_id(spec, "PublicStatus")["maximum"] = 10**15
    theirs = hubspot_shaped(spec)
    subscription_id(theirs)["maximum"] = 2**31 - 1
    schema(theirs, "PublicStatusV4")["properties"]["subscriptionName"]["maxLength"] = 10
    number = schema(theirs, "CollectionResponsePublicStatus")["properties"]["numErrors"]
    number["type"] = "number"  # wider than ours (integer)
    differences = diff_specs(spec, theirs).differences
    assert only(differences, kind="maximum").severity == "informational"
    assert only(differences, kind="maxLength").severity == "informational"
    assert only(differences, kind="type").severity == "breaking"
    subscription_id(theirs)["maximum"] = 10**18
    assert only(diff_specs(spec, theirs).differences, kind="maximum").severity == "breaking"


def test_a_parameter_format_that_narrows_is_breaking_and_one_that_widens_is_tolerated() -> None:
    theirs = hubspot_shaped()
    theirs["components"]["parameters"]["BusinessUnitId"]["schema"]["format"] = "int32"
    narrowed = only(diff_specs(ours(), theirs).differences, kind="format")
    assert (narrowed.location, narrowed.severity) == ("parameter businessUnitId (query)", "breaking")
    spec = ours()
    spec["components"]["parameters"]["BusinessUnitId"]["schema"]["format"] = "int32"
    widened = only(diff_specs(spec, hubspot_shaped()).differences, kind="format")
    assert widened.severity == "tolerated"


def test_an_enum_value_removed_breaks_a_parameter_and_is_informational_in_a_response() -> None:
    spec = ours()
    schema(spec, "Channel")["enum"] = ["EMAIL", "SMS"]  # as HubSpot's v4 definitions had it
    diff = diff_specs(spec, hubspot_shaped())
    removed = {d.location: d.severity for d in found(diff.differences, kind="enum", ours="SMS")}
    assert removed == {
        "parameter channel (query)": "breaking",
        "response 200: results[].channel": "informational",
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
    schema(theirs, "Error")["required"] = ["message"]
    differences = diff_specs(ours(), theirs).differences
    assert {d.severity for d in not_cosmetic(differences)} == {"tolerated"}
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
    content = only(differences, kind="content-type")
    assert (content.theirs, content.severity) == (["application/json", "text/plain"], "breaking")


def test_an_operation_missing_from_theirs_is_breaking() -> None:
    theirs = hubspot_shaped()
    del theirs["paths"][UNSUBSCRIBE_ALL]
    diff = diff_specs(ours(), theirs)
    missing = only(diff.differences, operation=GET_UNSUBSCRIBE_ALL, kind="operation")
    assert missing.severity == "breaking"
    assert found(diff.differences, operation=GET_STATUSES, kind="operation") == []
    assert diff.exit_code == 1


def test_path_parameter_names_do_not_matter() -> None:
    theirs = hubspot_shaped()
    theirs["paths"] = {
        path.replace("{subscriberIdString}", "{emailAddress}"): item for path, item in theirs["paths"].items()
    }
    for item in theirs["paths"].values():
        for operation in item.values():
            for parameter in operation.get("parameters", []):
                if parameter.get("in") == "path":
                    parameter["name"] = "emailAddress"
    theirs["components"]["parameters"]["SubscriberIdString"]["name"] = "emailAddress"
    diff = diff_specs(ours(), theirs)
    renamed = only(diff.differences, kind="parameter-name")
    assert (renamed.ours, renamed.theirs, renamed.severity) == (
        "subscriberIdString",
        "emailAddress",
        "cosmetic",
    )
    assert not_cosmetic(diff.differences) == []


def test_the_same_version_is_preferred_when_theirs_has_several() -> None:
    theirs = hubspot_shaped()
    theirs["paths"][STATUSES.replace(VERSION, another_version(months=-6))] = {"get": {"responses": {}}}
    diff = diff_specs(ours(), theirs)
    assert [m.theirs_path for m in diff.operations] == [STATUSES, UNSUBSCRIBE_ALL]


# -- security schemes ----------------------------------------------------------------------------------


def test_a_scheme_sending_the_token_another_way_only_is_breaking() -> None:
    theirs = hubspot_shaped()
    theirs["components"]["securitySchemes"] = {"private_apps": PRIVATE_APPS}
    theirs["security"] = [{"private_apps": []}]
    diff = diff_specs(ours(), theirs)
    schemes = found(diff.differences, kind="security-scheme")
    assert {(d.location, d.severity) for d in schemes} == {
        ("security scheme bearerAuth", "breaking"),
        ("security scheme private_apps", "tolerated"),
    }
    assert found(diff.differences, kind="scope") == []


def test_oauth2_flows_added_removed_or_moved_are_tolerated() -> None:
    spec = ours()
    spec["components"]["securitySchemes"] = hubspot_shaped()["components"]["securitySchemes"]
    spec["security"] = [{"oauth2": requirement["bearerAuth"]} for requirement in spec["security"]]
    theirs = hubspot_shaped()
    flows = theirs["components"]["securitySchemes"]["oauth2"]["flows"]
    flows["authorizationCode"]["tokenUrl"] = "https://api.hubapi.com/oauth/v3/token"
    flows["clientCredentials"] = {"tokenUrl": "https://api.hubapi.com/oauth/v3/token", "scopes": {}}
    diff = diff_specs(spec, theirs)
    assert {(d.location, d.severity) for d in found(diff.differences, kind="security-scheme")} == {
        ("security flow authorizationCode", "tolerated"),
        ("security flow clientCredentials", "tolerated"),
    }
    assert found(diff.differences, kind="schema-name", location="security") == []


# -- deliberate differences ----------------------------------------------------------------------------


def test_a_marker_accepts_only_the_difference_it_describes() -> None:
    spec = ours()
    subscription_id(spec, "PublicStatus")[MARKER] = marked({"format": "int32"}, "HubSpot's says int32")
    theirs = hubspot_shaped()
    subscription_id(theirs)["format"] = "int32"
    accepted = only(diff_specs(spec, theirs).differences, kind="format")
    assert (accepted.severity, accepted.effect, accepted.reason) == (
        "deliberate",
        "informational",
        "HubSpot's says int32",
    )
    subscription_id(theirs).update(type="string", format="uuid")  # a later change of the same node
    changed = diff_specs(spec, theirs).differences
    assert {d.kind: d.severity for d in found(changed, kind="type") + found(changed, kind="format")} == {
        "type": "breaking",
        "format": "breaking",
    }
    del schema(theirs, "PublicStatusV4")["properties"]["subscriptionId"]
    dropped = only(diff_specs(spec, theirs).differences, kind="field")
    assert (dropped.severity, dropped.reason) == ("breaking", None)


def test_an_absent_marker_stops_accepting_once_theirs_has_the_node() -> None:
    theirs = hubspot_published()
    responses = theirs["paths"][STATUSES]["get"]["responses"]
    responses["400"] = {
        "description": "a validation error",
        "content": {
            "application/json": {"schema": {"type": "object", "required": ["code"], "properties": {}}}
        },
    }
    diff = diff_specs(ours(), theirs)
    under = [d for d in found(diff.differences) if d.location.startswith("response 400")]
    assert "status" not in {d.kind for d in under}
    fields = {d.location.rsplit(" ", 1)[1]: d.severity for d in under if d.kind == "field"}
    assert fields.pop("status") == "deliberate"  # Error.status's own marker
    assert set(fields.values()) == {"tolerated"}  # the response's marker no longer accepts anything
    header_reason = ours()["components"]["headers"]["RateLimitMax"][MARKER]["reason"]
    assert {d.reason for d in under if d.kind == "header"} == {header_reason}  # each header still its own


def test_a_marked_response_covers_what_it_describes_under_it_headers_included() -> None:
    spec = ours()
    for header in spec["components"]["headers"].values():
        del header[MARKER]
    spec["components"]["responses"]["Error"][MARKER] = marked(
        {"content-type": ["*/*"], "header": "absent"}, "HubSpot documents */* and no header"
    )
    diff = diff_specs(spec, hubspot_published())
    default = [d for d in diff.differences if d.location.startswith("response default")]
    assert {(d.kind, d.severity, d.reason) for d in default if d.kind in {"header", "content-type"}} == {
        ("header", "deliberate", "HubSpot documents */* and no header"),
        ("content-type", "deliberate", "HubSpot documents */* and no header"),
    }
    assert {
        d.severity for d in found(diff.differences, kind="header") if d.location.startswith("response 200")
    } == {"tolerated"}


def test_a_marker_on_a_schema_reached_through_a_ref_or_an_operation_covers_what_it_names() -> None:
    spec = ours()
    schema(spec, "SubscriptionStatus")[MARKER] = marked({"enum": ["OPTED_OUT"]}, "not released yet")
    spec["paths"][UNSUBSCRIBE_ALL]["get"][MARKER] = marked({"scope": RENAMED_SCOPES[0]})
    diff = diff_specs(spec, drifted_hubspot_document())
    assert {d.severity for d in found(diff.differences, kind="enum")} == {"deliberate"}
    scopes = {
        (d.severity, d.theirs if d.severity != "breaking" else d.ours)
        for d in found(diff.differences, operation=GET_UNSUBSCRIBE_ALL, kind="scope")
    }
    assert scopes == {
        ("breaking", "communication_preferences.read"),
        ("breaking", "communication_preferences.read_write"),
        ("deliberate", RENAMED_SCOPES[0]),  # the one alternative the marker names
        ("tolerated", RENAMED_SCOPES[1]),
    }
    assert "deliberate" not in {d.severity for d in found(diff.differences, kind="scope")}


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("a reason without what it accepts", "must be {theirs: absent or {kind: value}, reason: text}"),
        ({"theirs": {"fromat": "int32"}, "reason": "typo"}, "no difference of kind fromat"),
        ({"theirs": "absent", "reason": " "}, "its reason is empty"),
    ],
)
def test_a_malformed_marker_is_refused_naming_it_even_where_the_comparison_does_not_go(
    value: Any, problem: str
) -> None:
    spec = ours()
    schema(spec, "RateLimitExceeded")["properties"]["policyName"][MARKER] = value  # theirs has no 429
    with pytest.raises(SpecDocumentError, match=re.escape(problem)) as error:
        diff_specs(spec, hubspot_published())
    assert "#/components/schemas/RateLimitExceeded/properties/policyName" in str(error.value)


# -- documents that cannot be compared, and bounds -----------------------------------------------------


def test_yaml_and_3_1_documents_are_read(tmp_path: Path) -> None:
    path = tmp_path / "next.yaml"
    path.write_text(yaml.safe_dump(ours()), encoding="utf-8")
    assert diff_specs(ours(), path).differences == ()


def test_yaml_is_read_with_libyaml_when_pyyaml_has_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "next.yaml"
    path.write_text(yaml.safe_dump(ours()), encoding="utf-8")
    used = []

    class Recording(yaml.CSafeLoader):  # type: ignore[misc]
        def __init__(self, stream: str) -> None:
            used.append(stream)
            super().__init__(stream)

    monkeypatch.setattr(yaml, "CSafeLoader", Recording)
    load_document(path)
    assert len(used) == 1
    monkeypatch.delattr(yaml, "CSafeLoader")  # a PyYAML built without libyaml
    assert load_document(path).root == ours()


# 2**40 lists from 40 lines: every value may be compared, printed or written out as JSON.
LAUGHS = "openapi: 3.0.1\npaths: {}\nx0: &x0 [1]\n" + "".join(
    f"x{n}: &x{n} [*x{n - 1}, *x{n - 1}]\n" for n in range(1, 41)
)


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
        ("deep.json", '{"openapi": "3.0.1", "x": ' + "[" * 5000 + "]" * 5000 + "}", "nested more than 100"),
        ("deep.yaml", '{"openapi": "3.0.1", "x": ' + "[" * 5000 + "]" * 5000 + "}", "nested more than 100"),
        ("deep-block.yaml", "".join("  " * i + "k:\n" for i in range(1100)), "nested more than 100"),
        ("alias-loop.yaml", "openapi: 3.0.1\npaths: {}\nx: &loop [*loop]\n", "nested more than 100"),
        ("laughs.yaml", LAUGHS, "YAML aliases repeat its objects and lists more than 10 times over"),
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


def _nested(levels: int) -> dict[str, Any]:
    node: Any = []
    for _ in range(levels - 2):
        node = [node]
    return {"openapi": "3.0.1", "paths": {}, "x-deep": node}  # the root is one level, x-deep the rest


def test_nesting_is_refused_past_the_documented_depth_only() -> None:
    assert diff_specs(ours(), _nested(MAX_NESTING)).operations
    with pytest.raises(SpecDocumentError, match=f"theirs: nested more than {MAX_NESTING} levels deep$"):
        diff_specs(ours(), _nested(MAX_NESTING + 1))


def test_a_document_larger_than_the_bound_is_refused_before_it_is_read(tmp_path: Path) -> None:
    path = write_json(hubspot_shaped(), tmp_path / "hubspot.json")
    size = path.stat().st_size
    assert diff_specs(ours(), path, max_bytes=size).exit_code == 0
    with pytest.raises(SpecDocumentError, match=f"larger than {size - 1:,} bytes"):
        diff_specs(ours(), path, max_bytes=size - 1)


def _chain(doc: dict[str, Any], length: int, prefix: str = "L") -> str:
    """Add ``length`` schemas, each a ``$ref`` to the next, ending in a string; the first one's ref."""
    schemas = doc["components"]["schemas"]
    for index in range(length):
        schemas[f"{prefix}{index}"] = {"$ref": f"#/components/schemas/{prefix}{index + 1}"}
    schemas[f"{prefix}{length}"] = {"type": "string"}
    return f"#/components/schemas/{prefix}0"


def test_a_long_ref_chain_entered_many_times_is_walked_once(monkeypatch: pytest.MonkeyPatch) -> None:
    theirs = hubspot_shaped()
    schema(theirs, "PublicStatusV4")["properties"]["source"] = {"$ref": _chain(theirs, 50_000)}
    entries = {f"p{n}": {"$ref": f"#/components/schemas/L{n * 50}"} for n in range(1_000)}
    schema(theirs, "PublicStatusV4")["properties"].update(entries)
    followed = []
    pointer = _refs.References._pointer

    def counting(self: _refs.References, ref: str, where: str) -> Any:
        followed.append((id(self), ref))
        return pointer(self, ref, where)

    monkeypatch.setattr(_refs.References, "_pointer", counting)
    diff = diff_specs(ours(), theirs)
    assert len(found(diff.differences, kind="field")) == 1_000  # the entries, compared (added fields)
    assert len(followed) == len(set(followed))  # no reference followed twice
    assert not_cosmetic(diff.differences) == [d for d in diff.differences if d.kind == "field"]


def test_a_ref_cycle_is_refused_and_a_recursive_schema_is_compared() -> None:
    theirs = hubspot_shaped()
    schemas = theirs["components"]["schemas"]
    schemas["A"] = {"$ref": "#/components/schemas/B"}
    schemas["B"] = {"$ref": "#/components/schemas/A"}
    schema(theirs, "PublicStatusV4")["properties"]["status"] = {"$ref": "#/components/schemas/A"}
    with pytest.raises(
        SpecDocumentError, match=r"\$ref cycle #/components/schemas/A -> #/components/schemas/B -> #/"
    ):
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


def _ref_nested(doc: dict[str, Any], levels: int, name: str) -> None:
    """Schemas D0..D<levels>, each an object whose one property is a $ref to the next."""
    schemas = doc["components"]["schemas"]
    for index in range(levels):
        schemas[f"D{index}"] = {
            "type": "object",
            "properties": {"x": {"$ref": f"#/components/schemas/D{index + 1}"}},
        }
    schemas[f"D{levels}"] = {"type": "string"}
    schemas[name]["properties"]["deep"] = {"$ref": "#/components/schemas/D0"}


def test_schemas_nested_600_levels_through_refs_are_refused_in_one_sentence() -> None:
    spec, theirs = ours(), hubspot_shaped()
    _ref_nested(spec, 600, "PublicStatus")
    _ref_nested(theirs, 600, "PublicStatusV4")
    with pytest.raises(SpecDocumentError, match=f"schemas nested more than {MAX_SCHEMA_DEPTH} levels deep"):
        diff_specs(spec, theirs)
    spec, theirs = ours(), hubspot_shaped()
    _ref_nested(spec, MAX_SCHEMA_DEPTH - 5, "PublicStatus")
    _ref_nested(theirs, MAX_SCHEMA_DEPTH - 5, "PublicStatusV4")
    assert diff_specs(spec, theirs).exit_code == 0


def test_schemas_reached_through_very_many_paths_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_load, "MAX_WORK", 5_000)
    spec, theirs = ours(), hubspot_shaped()
    for doc, name in ((spec, "PublicStatus"), (theirs, "PublicStatusV4")):
        schemas = doc["components"]["schemas"]
        for index in range(40):  # 2**40 paths to the last one
            branch = {"$ref": f"#/components/schemas/S{index + 1}"}
            schemas[f"S{index}"] = {"type": "object", "properties": {"a": branch, "b": branch}}
        schemas["S40"] = {"type": "string"}
        schemas[name]["properties"]["tree"] = {"$ref": "#/components/schemas/S0"}
    with pytest.raises(SpecDocumentError, match="too costly to compare"):
        diff_specs(spec, theirs)


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


# Every place of the documents (and a few keys beside), to put any JSON value there.
_THEIRS = hubspot_shaped()


def _places(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found_places = [path]
    if isinstance(node, dict):
        for key, value in node.items():
            found_places += _places(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found_places += _places(value, (*path, index))
    return found_places


PLACES = [p for p in _places(_THEIRS) if p]
ODD_VALUES = (
    JSON_VALUES
    | st.sampled_from(["$ref", "#/components/schemas/Error", "#", "*/*", "absent", 1 << 70, -0.0])
    | st.builds(lambda ref: {"$ref": ref}, st.sampled_from(["#", "#/paths", "#/components", 7, "#/x~1"]))
    | st.dictionaries(st.sampled_from(["type", "properties", "items", "allOf", "enum", "$ref"]), JSON_VALUES)
)


@given(
    edits=st.lists(st.tuples(st.sampled_from(PLACES), ODD_VALUES, st.booleans()), min_size=1, max_size=4),
    on_ours=st.booleans(),
)
def test_no_document_shape_ends_in_anything_but_a_result_or_a_one_line_error(
    edits: list[tuple[tuple[Any, ...], Any, bool]], on_ours: bool
) -> None:
    theirs = copy.deepcopy(_THEIRS)
    spec = ours()
    for path, value, beside in edits:
        node: Any = spec if on_ours and path[0] in spec else theirs
        try:
            for key in path[:-1]:
                node = node[key]
            node[path[-1]] = (
                value
                if not beside or not isinstance(node[path[-1]], dict)
                else {**node[path[-1]], "x": value}
            )
        except (KeyError, IndexError, TypeError):
            continue
    try:
        diff = diff_specs(spec, theirs)
    except SpecDocumentError as error:
        problem = str(error)
    else:
        problem = ""
        json.loads(diff.to_json())
        assert diff.to_text(cosmetic=True)
    assert "\n" not in problem


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
    assert data["schema_version"] == 2
    assert data["needs_edit"] is True
    assert data["counts"] == {
        "breaking": 4,
        "tolerated": 6,
        "informational": 1,
        "deliberate": 0,
        "cosmetic": 5,
    }
    keys = {"kind", "severity", "effect", "operation", "location", "ours", "theirs", "message", "reason"}
    assert all(set(d) == keys for d in data["differences"])

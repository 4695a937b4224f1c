"""Every body the response schemas allow parses into the generated models and round-trips to equal JSON,
including bodies with enum values and fields the spec does not know (HubSpot may send them later)."""

from __future__ import annotations

from typing import Any

import pytest
from hubspot_commprefs_client.models import (
    ActionResponseStatus,
    ActionResponseWithResultsPublicStatus,
    ActionResponseWithResultsPublicWideStatus,
    Error,
    SubscriptionStatus,
)
from hypothesis import given
from hypothesis import strategies as st

from tests import strategies

MODELS = {
    "ActionResponseWithResultsPublicStatus": ActionResponseWithResultsPublicStatus,
    "ActionResponseWithResultsPublicWideStatus": ActionResponseWithResultsPublicWideStatus,
    "Error": Error,
}


def normalized(name: str, body: dict[str, Any]) -> Any:
    return strategies.instants({"$ref": f"#/components/schemas/{name}"}, body)


def bodies(**options: bool) -> st.SearchStrategy[tuple[str, dict[str, Any]]]:
    return st.sampled_from(sorted(MODELS)).flatmap(
        lambda name: strategies.component(name, **options).map(lambda body: (name, body))
    )


@given(bodies())
def test_every_allowed_body_parses_and_round_trips(named: tuple[str, dict[str, Any]]) -> None:
    name, body = named
    parsed = MODELS[name].from_dict(body)
    assert normalized(name, parsed.to_dict()) == normalized(name, body)


@given(bodies(extra_fields=True, unknown_enums=True))
def test_unknown_enum_values_and_fields_parse_and_round_trip(named: tuple[str, dict[str, Any]]) -> None:
    name, body = named
    parsed = MODELS[name].from_dict(body)
    assert normalized(name, parsed.to_dict()) == normalized(name, body)


def test_unknown_enum_value_is_kept_and_readable() -> None:
    body = {
        "status": "ARCHIVED",
        "startedAt": "2026-03-18T09:14:02Z",
        "completedAt": "2026-03-18T09:14:02Z",
        "results": [
            {
                "channel": "WHATSAPP",
                "source": "x",
                "status": "PAUSED",
                "subscriberIdString": "a@example.com",
                "subscriptionId": 1,
                "timestamp": "2026-03-18T09:14:02Z",
                "newField": {"nested": [1, 2]},
            }
        ],
        "futureTopLevel": True,
    }
    parsed = ActionResponseWithResultsPublicStatus.from_dict(body)
    assert parsed.status == "ARCHIVED"
    assert parsed.status.value == "ARCHIVED"
    assert isinstance(parsed.status, ActionResponseStatus)
    assert not parsed.status.is_known
    assert ActionResponseStatus.COMPLETE.is_known
    result = parsed.results[0]
    assert result.status == "PAUSED"
    assert result.channel.value == "WHATSAPP"
    assert result.additional_properties == {"newField": {"nested": [1, 2]}}
    assert parsed["futureTopLevel"] is True
    out = parsed.to_dict()
    assert out["status"] == "ARCHIVED"
    assert out["results"][0]["status"] == "PAUSED"
    assert out["results"][0]["newField"] == {"nested": [1, 2]}
    assert out["futureTopLevel"] is True


def test_known_enum_values_are_still_the_canonical_members() -> None:
    assert SubscriptionStatus("SUBSCRIBED") is SubscriptionStatus.SUBSCRIBED
    assert [m.value for m in SubscriptionStatus] == ["NOT_SPECIFIED", "SUBSCRIBED", "UNSUBSCRIBED"]


@pytest.mark.parametrize("value", [None, 3, 1.5, ["EMAIL"]])
def test_a_non_string_enum_value_is_still_refused(value: Any) -> None:
    with pytest.raises(ValueError, match="is not a valid SubscriptionStatus"):
        SubscriptionStatus(value)


# --- reprs (scripts/codegen/templates/model.py.jinja) ----------------------------------------------------


def _walk(model: Any) -> list[Any]:
    """``model`` and every generated model nested in it."""
    import attrs

    found = [model]
    for field in attrs.fields(type(model)):
        value = getattr(model, field.name)
        for item in value if isinstance(value, list) else [value]:
            if attrs.has(type(item)):
                found += _walk(item)
    return found


@given(bodies(extra_fields=True, unknown_enums=True))
def test_a_repr_shows_the_fields_set_and_leaves_out_the_absent_ones(
    named: tuple[str, dict[str, Any]],
) -> None:
    import attrs
    from hubspot_commprefs_client.types import Unset

    name, body = named
    for model in _walk(MODELS[name].from_dict(body)):
        shown = []
        for field in attrs.fields(type(model)):
            value = getattr(model, field.name)
            if field.name == "additional_properties":
                extra = value
            elif not isinstance(value, Unset):
                shown.append(f"{field.name}={value!r}")
        if extra:
            shown.append(f"additional_properties={extra!r}")
        assert repr(model) == f"{type(model).__name__}({', '.join(shown)})"
        assert "types.Unset object" not in repr(model)


def test_a_wide_status_without_a_business_unit_does_not_show_one() -> None:
    from hubspot_commprefs_client.models import PublicWideStatus

    wide = PublicWideStatus.from_dict(
        {
            "channel": "EMAIL",
            "status": "UNSUBSCRIBED",
            "subscriberIdString": "bob@example.com",
            "timestamp": "2025-12-24T21:07:44Z",
            "wideStatusType": "PORTAL_WIDE",
        }
    )
    assert repr(wide) == (
        "PublicWideStatus(channel=<Channel.EMAIL: 'EMAIL'>, status=<SubscriptionStatus.UNSUBSCRIBED: "
        "'UNSUBSCRIBED'>, subscriber_id_string='bob@example.com', timestamp=datetime.datetime(2025, 12, 24, 21, "
        "7, 44, tzinfo=datetime.timezone.utc), wide_status_type=<WideStatusType.PORTAL_WIDE: 'PORTAL_WIDE'>)"
    )


def test_the_custom_model_template_is_the_pinned_generators_plus_the_repr() -> None:
    """The copy must follow the generator: when its version changes, copy its model.py.jinja again and put
    the marked repr back."""
    import re
    from importlib.resources import files
    from pathlib import Path

    ours = (Path(__file__).resolve().parents[2] / "scripts/codegen/templates/model.py.jinja").read_text()
    theirs = (files("openapi_python_client") / "templates" / "model.py.jinja").read_text()
    assert ours.startswith("{# Copied from openapi-python-client 0.29.1;")
    without_ours = re.sub(
        r"\{# hubspot-commprefs: begin #\}.*?\{# hubspot-commprefs: end #\}\n", "", ours, flags=re.DOTALL
    )
    assert without_ours.split("\n", 1)[1] == theirs

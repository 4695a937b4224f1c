from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="RateLimitExceeded")


@_attrs_define
class RateLimitExceeded:
    """HubSpot's real 429 body. It has no `category`. `policyName` says which limit was hit
    (TEN_SECONDLY_ROLLING, DAILY, ...; free text, not an enum, as HubSpot may add policies).

        Attributes:
            message (str): Which limit was reached, in words.
            error_type (str): RATE_LIMIT.
            correlation_id (UUID): A unique identifier for the request.
            policy_name (str): The limit that was hit, e.g. TEN_SECONDLY_ROLLING or DAILY.
            status (str | Unset): Always `error`.
            group_name (str | Unset): The app's rate-limit group, e.g. publicapi:private-app-api-calls-ten-secondly:1234.
    """

    message: str
    error_type: str
    correlation_id: UUID
    policy_name: str
    status: str | Unset = UNSET
    group_name: str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def __repr__(self) -> str:
        """The fields in declaration order, leaving out those left UNSET (absent from the answer) and empty
        additional_properties (attrs' own repr shows ``<...types.Unset object at 0x...>`` for them)."""
        fields: tuple[tuple[str, object], ...] = (
            ("message", self.message),
            ("error_type", self.error_type),
            ("correlation_id", self.correlation_id),
            ("policy_name", self.policy_name),
            ("status", self.status),
            ("group_name", self.group_name),
        )
        shown = [f"{name}={value!r}" for name, value in fields if not isinstance(value, Unset)]
        if self.additional_properties:
            shown.append(f"additional_properties={self.additional_properties!r}")
        return f"{type(self).__name__}({', '.join(shown)})"

    def to_dict(self) -> dict[str, Any]:
        message = self.message

        error_type = self.error_type

        correlation_id = str(self.correlation_id)

        policy_name = self.policy_name

        status = self.status

        group_name = self.group_name

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "message": message,
                "errorType": error_type,
                "correlationId": correlation_id,
                "policyName": policy_name,
            }
        )
        if status is not UNSET:
            field_dict["status"] = status
        if group_name is not UNSET:
            field_dict["groupName"] = group_name

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        message = d.pop("message")

        error_type = d.pop("errorType")

        correlation_id = UUID(d.pop("correlationId"))

        policy_name = d.pop("policyName")

        status = d.pop("status", UNSET)

        group_name = d.pop("groupName", UNSET)

        rate_limit_exceeded = cls(
            message=message,
            error_type=error_type,
            correlation_id=correlation_id,
            policy_name=policy_name,
            status=status,
            group_name=group_name,
        )

        rate_limit_exceeded.additional_properties = d
        return rate_limit_exceeded

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> Any:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.action_response_status import ActionResponseStatus
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.action_response_with_results_public_wide_status_links import (
        ActionResponseWithResultsPublicWideStatusLinks,
    )
    from ..models.public_wide_status import PublicWideStatus
    from ..models.standard_error import StandardError


T = TypeVar("T", bound="ActionResponseWithResultsPublicWideStatus")


@_attrs_define
class ActionResponseWithResultsPublicWideStatus:
    """The result of reading a contact's unsubscribe-from-all status; `results` is empty when the contact has not opted out
    of all email.

        Attributes:
            completed_at (datetime.datetime): The date and time when the operation was completed.
            results (list[PublicWideStatus]): The wide statuses; empty when the contact has not opted out of all email.
            started_at (datetime.datetime): The date and time when the operation started.
            status (ActionResponseStatus): The status of the operation (not of the contact).
            errors (list[StandardError] | Unset): An array of error objects detailing any issues encountered during the
                operation.
            links (ActionResponseWithResultsPublicWideStatusLinks | Unset): Related links, where each key is a link name and
                each value is a URL.
            num_errors (int | Unset): The number of errors encountered during the operation.
            requested_at (datetime.datetime | Unset): The date and time when the request was made.
    """

    completed_at: datetime.datetime
    results: list[PublicWideStatus]
    started_at: datetime.datetime
    status: ActionResponseStatus
    errors: list[StandardError] | Unset = UNSET
    links: ActionResponseWithResultsPublicWideStatusLinks | Unset = UNSET
    num_errors: int | Unset = UNSET
    requested_at: datetime.datetime | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def __repr__(self) -> str:
        """The fields in declaration order, leaving out those left UNSET (absent from the answer) and empty
        additional_properties (attrs' own repr shows ``<...types.Unset object at 0x...>`` for them)."""
        fields: tuple[tuple[str, object], ...] = (
            ("completed_at", self.completed_at),
            ("results", self.results),
            ("started_at", self.started_at),
            ("status", self.status),
            ("errors", self.errors),
            ("links", self.links),
            ("num_errors", self.num_errors),
            ("requested_at", self.requested_at),
        )
        shown = [f"{name}={value!r}" for name, value in fields if not isinstance(value, Unset)]
        if self.additional_properties:
            shown.append(f"additional_properties={self.additional_properties!r}")
        return f"{type(self).__name__}({', '.join(shown)})"

    def to_dict(self) -> dict[str, Any]:
        completed_at = self.completed_at.isoformat()

        results = []
        for results_item_data in self.results:
            results_item = results_item_data.to_dict()
            results.append(results_item)

        started_at = self.started_at.isoformat()

        status = self.status.value

        errors: list[dict[str, Any]] | Unset = UNSET
        if not isinstance(self.errors, Unset):
            errors = []
            for errors_item_data in self.errors:
                errors_item = errors_item_data.to_dict()
                errors.append(errors_item)

        links: dict[str, Any] | Unset = UNSET
        if not isinstance(self.links, Unset):
            links = self.links.to_dict()

        num_errors = self.num_errors

        requested_at: str | Unset = UNSET
        if not isinstance(self.requested_at, Unset):
            requested_at = self.requested_at.isoformat()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "completedAt": completed_at,
                "results": results,
                "startedAt": started_at,
                "status": status,
            }
        )
        if errors is not UNSET:
            field_dict["errors"] = errors
        if links is not UNSET:
            field_dict["links"] = links
        if num_errors is not UNSET:
            field_dict["numErrors"] = num_errors
        if requested_at is not UNSET:
            field_dict["requestedAt"] = requested_at

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.action_response_with_results_public_wide_status_links import (
            ActionResponseWithResultsPublicWideStatusLinks,  # noqa: PLC0415
        )
        from ..models.public_wide_status import PublicWideStatus  # noqa: PLC0415
        from ..models.standard_error import StandardError  # noqa: PLC0415

        d = dict(src_dict)
        completed_at = datetime.datetime.fromisoformat(d.pop("completedAt").upper())

        results = []
        _results = d.pop("results")
        for results_item_data in _results:
            results_item = PublicWideStatus.from_dict(results_item_data)

            results.append(results_item)

        started_at = datetime.datetime.fromisoformat(d.pop("startedAt").upper())

        status = ActionResponseStatus._of(d.pop("status"))

        _errors = d.pop("errors", UNSET)
        errors: list[StandardError] | Unset = UNSET
        if _errors is not UNSET:
            errors = []
            for errors_item_data in _errors:
                errors_item = StandardError.from_dict(errors_item_data)

                errors.append(errors_item)

        _links = d.pop("links", UNSET)
        links: ActionResponseWithResultsPublicWideStatusLinks | Unset
        if isinstance(_links, Unset):
            links = UNSET
        else:
            links = ActionResponseWithResultsPublicWideStatusLinks.from_dict(_links)

        num_errors = d.pop("numErrors", UNSET)

        _requested_at = d.pop("requestedAt", UNSET)
        requested_at: datetime.datetime | Unset
        if isinstance(_requested_at, Unset):
            requested_at = UNSET
        else:
            requested_at = datetime.datetime.fromisoformat(_requested_at.upper())

        action_response_with_results_public_wide_status = cls(
            completed_at=completed_at,
            results=results,
            started_at=started_at,
            status=status,
            errors=errors,
            links=links,
            num_errors=num_errors,
            requested_at=requested_at,
        )

        action_response_with_results_public_wide_status.additional_properties = d
        return action_response_with_results_public_wide_status

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

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.error_context import ErrorContext
    from ..models.error_detail import ErrorDetail
    from ..models.error_links import ErrorLinks


T = TypeVar("T", bound="Error")


@_attrs_define
class Error:
    """The body of every non-2xx answer but the 429. HubSpot documents `category`, `correlationId` and
    `message` as required, and its error-handling guide says to treat every field as optional when
    parsing.

        Attributes:
            category (str): The error category.
            correlation_id (UUID): A unique identifier for the request. Include this value with any error reports or support
                tickets.
            message (str): A human-readable message describing the error along with remediation steps where appropriate.
            status (str | Unset): Always `error` in HubSpot's answers.
            context (ErrorContext | Unset): Context about the error condition.
            errors (list[ErrorDetail] | Unset): Further information about the error.
            links (ErrorLinks | Unset): A map of link names to associated URIs containing documentation about the error or
                recommended remediation steps.
            sub_category (str | Unset): A specific category that contains more specific detail about the error.
    """

    category: str
    correlation_id: UUID
    message: str
    status: str | Unset = UNSET
    context: ErrorContext | Unset = UNSET
    errors: list[ErrorDetail] | Unset = UNSET
    links: ErrorLinks | Unset = UNSET
    sub_category: str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def __repr__(self) -> str:
        """The fields in declaration order, leaving out those left UNSET (absent from the answer) and empty
        additional_properties (attrs' own repr shows ``<...types.Unset object at 0x...>`` for them)."""
        fields: tuple[tuple[str, object], ...] = (
            ("category", self.category),
            ("correlation_id", self.correlation_id),
            ("message", self.message),
            ("status", self.status),
            ("context", self.context),
            ("errors", self.errors),
            ("links", self.links),
            ("sub_category", self.sub_category),
        )
        shown = [f"{name}={value!r}" for name, value in fields if not isinstance(value, Unset)]
        if self.additional_properties:
            shown.append(f"additional_properties={self.additional_properties!r}")
        return f"{type(self).__name__}({', '.join(shown)})"

    def to_dict(self) -> dict[str, Any]:
        category = self.category

        correlation_id = str(self.correlation_id)

        message = self.message

        status = self.status

        context: dict[str, Any] | Unset = UNSET
        if not isinstance(self.context, Unset):
            context = self.context.to_dict()

        errors: list[dict[str, Any]] | Unset = UNSET
        if not isinstance(self.errors, Unset):
            errors = []
            for errors_item_data in self.errors:
                errors_item = errors_item_data.to_dict()
                errors.append(errors_item)

        links: dict[str, Any] | Unset = UNSET
        if not isinstance(self.links, Unset):
            links = self.links.to_dict()

        sub_category = self.sub_category

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "category": category,
                "correlationId": correlation_id,
                "message": message,
            }
        )
        if status is not UNSET:
            field_dict["status"] = status
        if context is not UNSET:
            field_dict["context"] = context
        if errors is not UNSET:
            field_dict["errors"] = errors
        if links is not UNSET:
            field_dict["links"] = links
        if sub_category is not UNSET:
            field_dict["subCategory"] = sub_category

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.error_context import ErrorContext  # noqa: PLC0415
        from ..models.error_detail import ErrorDetail  # noqa: PLC0415
        from ..models.error_links import ErrorLinks  # noqa: PLC0415

        d = dict(src_dict)
        category = d.pop("category")

        correlation_id = UUID(d.pop("correlationId"))

        message = d.pop("message")

        status = d.pop("status", UNSET)

        _context = d.pop("context", UNSET)
        context: ErrorContext | Unset
        if isinstance(_context, Unset):
            context = UNSET
        else:
            context = ErrorContext.from_dict(_context)

        _errors = d.pop("errors", UNSET)
        errors: list[ErrorDetail] | Unset = UNSET
        if _errors is not UNSET:
            errors = []
            for errors_item_data in _errors:
                errors_item = ErrorDetail.from_dict(errors_item_data)

                errors.append(errors_item)

        _links = d.pop("links", UNSET)
        links: ErrorLinks | Unset
        if isinstance(_links, Unset):
            links = UNSET
        else:
            links = ErrorLinks.from_dict(_links)

        sub_category = d.pop("subCategory", UNSET)

        error = cls(
            category=category,
            correlation_id=correlation_id,
            message=message,
            status=status,
            context=context,
            errors=errors,
            links=links,
            sub_category=sub_category,
        )

        error.additional_properties = d
        return error

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

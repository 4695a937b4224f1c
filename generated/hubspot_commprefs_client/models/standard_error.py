from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.error_detail import ErrorDetail
    from ..models.standard_error_context import StandardErrorContext
    from ..models.standard_error_links import StandardErrorLinks
    from ..models.standard_error_sub_category import StandardErrorSubCategory


T = TypeVar("T", bound="StandardError")


@_attrs_define
class StandardError:
    """An error reported inside a 200 answer.

    Attributes:
        category (str):
        context (StandardErrorContext):
        errors (list[ErrorDetail]):
        links (StandardErrorLinks):
        message (str):
        status (str):
        id (str | Unset):
        sub_category (StandardErrorSubCategory | Unset): Documented as an object (HubSpot's example shows `{}`).
    """

    category: str
    context: StandardErrorContext
    errors: list[ErrorDetail]
    links: StandardErrorLinks
    message: str
    status: str
    id: str | Unset = UNSET
    sub_category: StandardErrorSubCategory | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def __repr__(self) -> str:
        """The fields in declaration order, leaving out those left UNSET (absent from the answer) and empty
        additional_properties (attrs' own repr shows ``<...types.Unset object at 0x...>`` for them)."""
        fields: tuple[tuple[str, object], ...] = (
            ("category", self.category),
            ("context", self.context),
            ("errors", self.errors),
            ("links", self.links),
            ("message", self.message),
            ("status", self.status),
            ("id", self.id),
            ("sub_category", self.sub_category),
        )
        shown = [f"{name}={value!r}" for name, value in fields if not isinstance(value, Unset)]
        if self.additional_properties:
            shown.append(f"additional_properties={self.additional_properties!r}")
        return f"{type(self).__name__}({', '.join(shown)})"

    def to_dict(self) -> dict[str, Any]:
        category = self.category

        context = self.context.to_dict()

        errors = []
        for errors_item_data in self.errors:
            errors_item = errors_item_data.to_dict()
            errors.append(errors_item)

        links = self.links.to_dict()

        message = self.message

        status = self.status

        id = self.id

        sub_category: dict[str, Any] | Unset = UNSET
        if not isinstance(self.sub_category, Unset):
            sub_category = self.sub_category.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "category": category,
                "context": context,
                "errors": errors,
                "links": links,
                "message": message,
                "status": status,
            }
        )
        if id is not UNSET:
            field_dict["id"] = id
        if sub_category is not UNSET:
            field_dict["subCategory"] = sub_category

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.error_detail import ErrorDetail  # noqa: PLC0415
        from ..models.standard_error_context import StandardErrorContext  # noqa: PLC0415
        from ..models.standard_error_links import StandardErrorLinks  # noqa: PLC0415
        from ..models.standard_error_sub_category import StandardErrorSubCategory  # noqa: PLC0415

        d = dict(src_dict)
        category = d.pop("category")

        context = StandardErrorContext.from_dict(d.pop("context"))

        errors = []
        _errors = d.pop("errors")
        for errors_item_data in _errors:
            errors_item = ErrorDetail.from_dict(errors_item_data)

            errors.append(errors_item)

        links = StandardErrorLinks.from_dict(d.pop("links"))

        message = d.pop("message")

        status = d.pop("status")

        id = d.pop("id", UNSET)

        _sub_category = d.pop("subCategory", UNSET)
        sub_category: StandardErrorSubCategory | Unset
        if isinstance(_sub_category, Unset):
            sub_category = UNSET
        else:
            sub_category = StandardErrorSubCategory.from_dict(_sub_category)

        standard_error = cls(
            category=category,
            context=context,
            errors=errors,
            links=links,
            message=message,
            status=status,
            id=id,
            sub_category=sub_category,
        )

        standard_error.additional_properties = d
        return standard_error

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

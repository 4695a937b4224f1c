from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.error_detail_context import ErrorDetailContext


T = TypeVar("T", bound="ErrorDetail")


@_attrs_define
class ErrorDetail:
    """One detail of an error.

    Attributes:
        message (str): A human-readable message describing the error along with remediation steps where appropriate.
        code (str | Unset): The status code associated with the error detail.
        context (ErrorDetailContext | Unset): Context about the error condition.
        in_ (str | Unset): The name of the field or parameter in which the error was found.
        sub_category (str | Unset): A specific category that contains more specific detail about the error.
    """

    message: str
    code: str | Unset = UNSET
    context: ErrorDetailContext | Unset = UNSET
    in_: str | Unset = UNSET
    sub_category: str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def __repr__(self) -> str:
        """The fields in declaration order, leaving out those left UNSET (absent from the answer) and empty
        additional_properties (attrs' own repr shows ``<...types.Unset object at 0x...>`` for them)."""
        fields: tuple[tuple[str, object], ...] = (
            ("message", self.message),
            ("code", self.code),
            ("context", self.context),
            ("in_", self.in_),
            ("sub_category", self.sub_category),
        )
        shown = [f"{name}={value!r}" for name, value in fields if not isinstance(value, Unset)]
        if self.additional_properties:
            shown.append(f"additional_properties={self.additional_properties!r}")
        return f"{type(self).__name__}({', '.join(shown)})"

    def to_dict(self) -> dict[str, Any]:
        message = self.message

        code = self.code

        context: dict[str, Any] | Unset = UNSET
        if not isinstance(self.context, Unset):
            context = self.context.to_dict()

        in_ = self.in_

        sub_category = self.sub_category

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "message": message,
            }
        )
        if code is not UNSET:
            field_dict["code"] = code
        if context is not UNSET:
            field_dict["context"] = context
        if in_ is not UNSET:
            field_dict["in"] = in_
        if sub_category is not UNSET:
            field_dict["subCategory"] = sub_category

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.error_detail_context import ErrorDetailContext  # noqa: PLC0415

        d = dict(src_dict)
        message = d.pop("message")

        code = d.pop("code", UNSET)

        _context = d.pop("context", UNSET)
        context: ErrorDetailContext | Unset
        if isinstance(_context, Unset):
            context = UNSET
        else:
            context = ErrorDetailContext.from_dict(_context)

        in_ = d.pop("in", UNSET)

        sub_category = d.pop("subCategory", UNSET)

        error_detail = cls(
            message=message,
            code=code,
            context=context,
            in_=in_,
            sub_category=sub_category,
        )

        error_detail.additional_properties = d
        return error_detail

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

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.channel import Channel
from ..models.legal_basis import LegalBasis
from ..models.set_status_success_reason import SetStatusSuccessReason
from ..models.subscription_status import SubscriptionStatus
from ..types import UNSET, Unset

T = TypeVar("T", bound="PublicStatus")


@_attrs_define
class PublicStatus:
    """The contact's status for one subscription type.

    Attributes:
        channel (Channel): A communication channel.
        source (str): Where the status came from (free text, not an enum).
        status (SubscriptionStatus): Whether the contact is subscribed.
        subscriber_id_string (str): The contact's email address.
        subscription_id (int): The subscription type's id.
        timestamp (datetime.datetime): When the status was last set.
        business_unit_id (int | Unset): The business unit of the subscription type.
        legal_basis (LegalBasis | Unset): The legal basis for communicating with the contact.
        legal_basis_explanation (str | Unset): A free-text explanation of the legal basis.
        set_status_success_reason (SetStatusSuccessReason | Unset): Why the last status change succeeded.
        subscription_name (str | Unset): The subscription type's name.
    """

    channel: Channel
    source: str
    status: SubscriptionStatus
    subscriber_id_string: str
    subscription_id: int
    timestamp: datetime.datetime
    business_unit_id: int | Unset = UNSET
    legal_basis: LegalBasis | Unset = UNSET
    legal_basis_explanation: str | Unset = UNSET
    set_status_success_reason: SetStatusSuccessReason | Unset = UNSET
    subscription_name: str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def __repr__(self) -> str:
        """The fields in declaration order, leaving out those left UNSET (absent from the answer) and empty
        additional_properties (attrs' own repr shows ``<...types.Unset object at 0x...>`` for them)."""
        fields: tuple[tuple[str, object], ...] = (
            ("channel", self.channel),
            ("source", self.source),
            ("status", self.status),
            ("subscriber_id_string", self.subscriber_id_string),
            ("subscription_id", self.subscription_id),
            ("timestamp", self.timestamp),
            ("business_unit_id", self.business_unit_id),
            ("legal_basis", self.legal_basis),
            ("legal_basis_explanation", self.legal_basis_explanation),
            ("set_status_success_reason", self.set_status_success_reason),
            ("subscription_name", self.subscription_name),
        )
        shown = [f"{name}={value!r}" for name, value in fields if not isinstance(value, Unset)]
        if self.additional_properties:
            shown.append(f"additional_properties={self.additional_properties!r}")
        return f"{type(self).__name__}({', '.join(shown)})"

    def to_dict(self) -> dict[str, Any]:
        channel = self.channel.value

        source = self.source

        status = self.status.value

        subscriber_id_string = self.subscriber_id_string

        subscription_id = self.subscription_id

        timestamp = self.timestamp.isoformat()

        business_unit_id = self.business_unit_id

        legal_basis: str | Unset = UNSET
        if not isinstance(self.legal_basis, Unset):
            legal_basis = self.legal_basis.value

        legal_basis_explanation = self.legal_basis_explanation

        set_status_success_reason: str | Unset = UNSET
        if not isinstance(self.set_status_success_reason, Unset):
            set_status_success_reason = self.set_status_success_reason.value

        subscription_name = self.subscription_name

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "channel": channel,
                "source": source,
                "status": status,
                "subscriberIdString": subscriber_id_string,
                "subscriptionId": subscription_id,
                "timestamp": timestamp,
            }
        )
        if business_unit_id is not UNSET:
            field_dict["businessUnitId"] = business_unit_id
        if legal_basis is not UNSET:
            field_dict["legalBasis"] = legal_basis
        if legal_basis_explanation is not UNSET:
            field_dict["legalBasisExplanation"] = legal_basis_explanation
        if set_status_success_reason is not UNSET:
            field_dict["setStatusSuccessReason"] = set_status_success_reason
        if subscription_name is not UNSET:
            field_dict["subscriptionName"] = subscription_name

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        channel = Channel._of(d.pop("channel"))

        source = d.pop("source")

        status = SubscriptionStatus._of(d.pop("status"))

        subscriber_id_string = d.pop("subscriberIdString")

        subscription_id = d.pop("subscriptionId")

        timestamp = datetime.datetime.fromisoformat(d.pop("timestamp").upper())

        business_unit_id = d.pop("businessUnitId", UNSET)

        _legal_basis = d.pop("legalBasis", UNSET)
        legal_basis: LegalBasis | Unset
        if isinstance(_legal_basis, Unset):
            legal_basis = UNSET
        else:
            legal_basis = LegalBasis._of(_legal_basis)

        legal_basis_explanation = d.pop("legalBasisExplanation", UNSET)

        _set_status_success_reason = d.pop("setStatusSuccessReason", UNSET)
        set_status_success_reason: SetStatusSuccessReason | Unset
        if isinstance(_set_status_success_reason, Unset):
            set_status_success_reason = UNSET
        else:
            set_status_success_reason = SetStatusSuccessReason._of(_set_status_success_reason)

        subscription_name = d.pop("subscriptionName", UNSET)

        public_status = cls(
            channel=channel,
            source=source,
            status=status,
            subscriber_id_string=subscriber_id_string,
            subscription_id=subscription_id,
            timestamp=timestamp,
            business_unit_id=business_unit_id,
            legal_basis=legal_basis,
            legal_basis_explanation=legal_basis_explanation,
            set_status_success_reason=set_status_success_reason,
            subscription_name=subscription_name,
        )

        public_status.additional_properties = d
        return public_status

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

"""The fake server's dataset: business units, subscription types and contacts, seeded (every run serves
the same) or loaded from JSON of :meth:`Dataset.to_dict`'s shape (a bad field is named)."""

from __future__ import annotations

import dataclasses
import json
import random
import typing
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from hubspot_commprefs.openapi import enum_values
from hubspot_commprefs.schemas import DATE_TIME_EXAMPLE, INT64_MAX, is_date_time

DEFAULT_SEED = 2026
DEFAULT_BUSINESS_UNIT_ID = 0
DEFAULT_EPOCH = "2025-01-01T00:00:00Z"  # the timestamp of statuses nobody has set (NOT_SPECIFIED)
_T = TypeVar("_T")


class DatasetError(ValueError):
    """A dataset (usually a JSON file) that the fake server cannot serve; the message names the field."""


@dataclass(frozen=True, slots=True)
class BusinessUnit:
    id: int
    name: str


@dataclass(frozen=True, slots=True)
class SubscriptionType:
    id: int
    name: str
    business_unit_id: int = DEFAULT_BUSINESS_UNIT_ID


@dataclass(frozen=True, slots=True)
class SubscriptionStatus:
    """A contact's status for one subscription type."""

    subscription_id: int
    status: str
    source: str
    timestamp: str
    legal_basis: str | None = None
    legal_basis_explanation: str | None = None
    set_status_success_reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The status as the spec's fields name it; an optional one only when set."""
        return _to_json(self)


@dataclass(frozen=True, slots=True)
class OptOut:
    """An unsubscribe from all email: portal-wide, or for one business unit."""

    wide_status_type: str
    timestamp: str
    business_unit_id: int = DEFAULT_BUSINESS_UNIT_ID


@dataclass(frozen=True, slots=True)
class Contact:
    email: str
    statuses: tuple[SubscriptionStatus, ...] = ()
    opt_outs: tuple[OptOut, ...] = ()


@dataclass(frozen=True, slots=True)
class Dataset:
    business_units: tuple[BusinessUnit, ...]
    subscription_types: tuple[SubscriptionType, ...]
    contacts: tuple[Contact, ...]
    epoch: str = DEFAULT_EPOCH
    _by_email: dict[str, Contact] = dataclasses.field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_email", {c.email.lower(): c for c in self.contacts})

    def contact(self, email: str) -> Contact | None:
        """The contact with this email address (case-insensitive), or None for an unknown one."""
        return self._by_email.get(email.lower())

    def business_unit(self, business_unit_id: int) -> BusinessUnit | None:
        return next((b for b in self.business_units if b.id == business_unit_id), None)

    def subscription_types_of(self, business_unit_id: int) -> tuple[SubscriptionType, ...]:
        return tuple(t for t in self.subscription_types if t.business_unit_id == business_unit_id)

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape :func:`load_dataset` reads."""
        return _to_json(self)


def _camel(name: str) -> str:
    first, *rest = name.split("_")
    return first + "".join(word.title() for word in rest)


def _to_json(obj: Any) -> dict[str, Any]:
    """A dataclass of this module as JSON, with the spec's names (a field that is None left out)."""
    return {
        _camel(field.name): [_to_json(v) for v in value] if isinstance(value, tuple) else value
        for field in dataclasses.fields(obj)
        if field.init and (value := getattr(obj, field.name)) is not None
    }


_BUSINESS_UNITS = (BusinessUnit(0, "Default"), BusinessUnit(1021, "Acme Europe"))
_SUBSCRIPTION_TYPES = (
    SubscriptionType(167233, "Newsletter", 0),
    SubscriptionType(167240, "Billing notices", 0),
    # Wider than int32 on purpose: HubSpot moved subscriptionId from int32 to int64 in April 2026.
    SubscriptionType(3000000000, "Product updates", 0),
    SubscriptionType(2045, "Acme Europe newsletter", 1021),
    SubscriptionType(2046, "Acme Europe events", 1021),
)
_SOURCES = (
    "Self service resubscription",
    "Unsubscribe link in email",
    "Imported from CRM",
    "Subscription preferences page",
    "API",
)
_NAMES = (
    "dave",
    "erin",
    "frank",
    "grace",
    "heidi",
    "ivan",
    "judy",
    "mallory",
    "niaj",
    "olivia",
    "peggy",
    "rupert",
    "sybil",
    "trent",
    "victor",
    "walter",
    "xena",
    "yusuf",
    "zoe",
    "quentin",
)


def _timestamp(rng: random.Random) -> str:
    moment = datetime(2024, 6, 1, tzinfo=UTC) + timedelta(seconds=rng.randrange(0, 60 * 60 * 24 * 640))
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


# The contacts of the spec's examples: one subscribed, one opted out portal-wide, one for a unit.
_HANDMADE = (
    Contact(
        "alice@example.com",
        statuses=(
            SubscriptionStatus(
                167233,
                "SUBSCRIBED",
                "Self service resubscription",
                "2026-02-11T16:40:12Z",
                "CONSENT_WITH_NOTICE",
                "Signed up on the pricing page.",
                "RESUBSCRIBE_OCCURRED",
            ),
            SubscriptionStatus(
                3000000000,
                "UNSUBSCRIBED",
                "Unsubscribe link in email",
                "2025-11-02T08:03:55Z",
                set_status_success_reason="REQUESTED_CHANGE_OCCURRED",
            ),
        ),
    ),
    Contact(
        "bob@example.com",
        statuses=(SubscriptionStatus(167233, "SUBSCRIBED", "Imported from CRM", "2025-03-01T12:00:00Z"),),
        opt_outs=(OptOut("PORTAL_WIDE", "2025-12-24T21:07:44Z"),),
    ),
    Contact(
        "carol@example.com",
        statuses=(
            SubscriptionStatus(
                2045, "SUBSCRIBED", "API", "2025-09-09T09:09:09Z", "LEGITIMATE_INTEREST_CLIENT"
            ),
        ),
        opt_outs=(OptOut("BUSINESS_UNIT_WIDE", "2026-01-05T10:00:00Z", 1021),),
    ),
)


def default_dataset(seed: int = DEFAULT_SEED, contacts: int = len(_NAMES)) -> Dataset:
    """The seeded dataset: the spec's example contacts plus ``contacts`` generated ones."""
    rng = random.Random(seed)  # noqa: S311 - test data, not cryptography
    statuses = enum_values("SubscriptionStatus")
    legal_bases = enum_values("LegalBasis")
    reasons = enum_values("SetStatusSuccessReason")
    generated = []
    for index in range(contacts):
        name = _NAMES[index % len(_NAMES)] + ("" if index < len(_NAMES) else str(index))
        chosen = rng.sample(_SUBSCRIPTION_TYPES, rng.randint(0, len(_SUBSCRIPTION_TYPES)))
        contact_statuses = tuple(
            SubscriptionStatus(
                t.id,
                rng.choice(statuses),
                rng.choice(_SOURCES),
                _timestamp(rng),
                rng.choice((None, *legal_bases)),
                rng.choice((None, "Recorded by the fake server.")),
                rng.choice((None, *reasons)),
            )
            for t in sorted(chosen, key=lambda t: t.id)
        )
        roll = rng.random()
        if roll < 0.15:
            opt_outs: tuple[OptOut, ...] = (OptOut("PORTAL_WIDE", _timestamp(rng)),)
        elif roll < 0.3:
            opt_outs = (OptOut("BUSINESS_UNIT_WIDE", _timestamp(rng), 1021),)
        else:
            opt_outs = ()
        generated.append(Contact(f"{name}@example.com", contact_statuses, opt_outs))
    return Dataset(_BUSINESS_UNITS, _SUBSCRIPTION_TYPES, (*_HANDMADE, *generated))


# The spec's enum schema of each field that holds one (the other strings are free, but the date-times).
_ENUMS = {
    "status": "SubscriptionStatus",
    "legal_basis": "LegalBasis",
    "set_status_success_reason": "SetStatusSuccessReason",
    "wide_status_type": "WideStatusType",
}


def _from_json(cls: type[_T], obj: Any, where: str) -> _T:
    """A dataclass of this module from ``_to_json``'s shape, every field checked as the spec says; a
    ``DatasetError`` names the first bad one."""
    if not isinstance(obj, dict):
        raise DatasetError(f"{where}: expected an object, got {type(obj).__name__}")
    hints = typing.get_type_hints(cls)
    values = {}
    for field in dataclasses.fields(cls):  # type: ignore[arg-type]
        key = _camel(field.name)
        optional = field.default is not dataclasses.MISSING
        if field.init and (key in obj or not optional):
            if key not in obj:
                raise DatasetError(f"{where}.{key}: missing")
            values[field.name] = _checked(hints[field.name], field.name, obj[key], f"{where}.{key}")
    return cls(**values)


def _checked(hint: Any, name: str, value: Any, where: str) -> Any:
    if typing.get_origin(hint) is tuple:
        if not isinstance(value, list):
            raise DatasetError(f"{where}: expected list, got {json.dumps(value)}")
        return tuple(
            _from_json(typing.get_args(hint)[0], item, f"{where}[{i}]") for i, item in enumerate(value)
        )
    kind = int if hint is int else str
    if isinstance(value, bool) or not isinstance(value, kind):
        raise DatasetError(f"{where}: expected {kind.__name__}, got {json.dumps(value)}")
    if isinstance(value, int) and not 0 <= value <= INT64_MAX:
        raise DatasetError(f"{where}: {value} is outside int64 (0 to {INT64_MAX})")
    if name in _ENUMS and value not in (allowed := enum_values(_ENUMS[name])):
        raise DatasetError(f"{where}: {value!r} is not one of {', '.join(allowed)}")
    if name in {"timestamp", "epoch"} and not is_date_time(value):  # the spec's date-time
        raise DatasetError(f"{where}: {value!r} is not an RFC 3339 date-time such as {DATE_TIME_EXAMPLE}")
    return value


def dataset_from_dict(data: Any) -> Dataset:
    """A :class:`Dataset` from the JSON shape of :meth:`Dataset.to_dict`; raises :class:`DatasetError`."""
    empty: dict[str, Any] = {"businessUnits": [], "subscriptionTypes": [], "contacts": []}
    dataset = _from_json(Dataset, {**empty, **data} if isinstance(data, dict) else data, "$")
    units = dataset.business_units
    if not any(u.id == DEFAULT_BUSINESS_UNIT_ID for u in units):
        units = (BusinessUnit(DEFAULT_BUSINESS_UNIT_ID, "Default"), *units)
    unit_ids = {u.id for u in units}
    type_ids = {t.id for t in dataset.subscription_types}
    for i, t in enumerate(dataset.subscription_types):
        if t.business_unit_id not in unit_ids:
            raise DatasetError(
                f"$.subscriptionTypes[{i}].businessUnitId: {t.business_unit_id} is not one of businessUnits"
            )
    for i, c in enumerate(dataset.contacts):
        if not c.email or "/" in c.email:
            raise DatasetError(f"$.contacts[{i}].email: {c.email!r} cannot be a path segment")
        for j, s in enumerate(c.statuses):
            if s.subscription_id not in type_ids:
                raise DatasetError(
                    f"$.contacts[{i}].statuses[{j}].subscriptionId: {s.subscription_id} is not one of subscriptionTypes"
                )
        for j, o in enumerate(c.opt_outs):
            if o.business_unit_id not in unit_ids:
                raise DatasetError(
                    f"$.contacts[{i}].optOuts[{j}].businessUnitId: {o.business_unit_id} is not one of businessUnits"
                )
    return dataclasses.replace(dataset, business_units=units)


def load_dataset(path: str | Path) -> Dataset:
    """Read a dataset from a JSON file; raises :class:`DatasetError` naming the file and the bad field."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise DatasetError(f"{path}: cannot read: {exc.strerror}") from None
    except json.JSONDecodeError as exc:
        raise DatasetError(f"{path}: not JSON: {exc}") from None
    try:
        return dataset_from_dict(data)
    except DatasetError as exc:
        raise DatasetError(f"{path}: {exc}") from None

from enum import StrEnum


class SetStatusSuccessReason(StrEnum):
    """Known values of SetStatusSuccessReason.

    HubSpot adds and removes enum values in place, so a value this client does not know is not an
    error: it becomes a member of its own, whose ``name`` and ``value`` are the raw string, so it is
    readable by the caller and survives ``to_dict()``. ``is_known`` tells the two apart.
    """

    NO_STATUS_CHANGE = "NO_STATUS_CHANGE"
    REQUESTED_CHANGE_OCCURRED = "REQUESTED_CHANGE_OCCURRED"
    RESUBSCRIBE_OCCURRED = "RESUBSCRIBE_OCCURRED"
    UNSUBSCRIBE_FROM_ALL_OCCURRED = "UNSUBSCRIBE_FROM_ALL_OCCURRED"

    @classmethod
    def _of(cls, value: object) -> "SetStatusSuccessReason":
        """``SetStatusSuccessReason(value)``, with a known value found in one dict lookup (what the models' ``from_dict`` use)."""
        try:
            return cls._value2member_map_[value]  # type: ignore[return-value]
        except (KeyError, TypeError):
            return cls(value)

    @classmethod
    def _missing_(cls, value: object) -> "SetStatusSuccessReason | None":
        if not isinstance(value, str):
            return None
        member = str.__new__(cls, value)
        member._name_ = value
        member._value_ = value
        return member

    @property
    def is_known(self) -> bool:
        """Whether this value is one the spec lists."""
        return self._value_ in type(self)._value2member_map_

    def __str__(self) -> str:
        return str(self.value)

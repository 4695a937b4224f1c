from enum import StrEnum


class ActionResponseStatus(StrEnum):
    """Known values of ActionResponseStatus.

    HubSpot adds and removes enum values in place, so a value this client does not know is not an
    error: it becomes a member of its own, whose ``name`` and ``value`` are the raw string, so it is
    readable by the caller and survives ``to_dict()``. ``is_known`` tells the two apart.
    """

    CANCELED = "CANCELED"
    COMPLETE = "COMPLETE"
    PENDING = "PENDING"
    PROCESSING = "PROCESSING"

    @classmethod
    def _of(cls, value: object) -> "ActionResponseStatus":
        """``ActionResponseStatus(value)``, with a known value found in one dict lookup (what the models' ``from_dict`` use)."""
        try:
            return cls._value2member_map_[value]  # type: ignore[return-value]
        except (KeyError, TypeError):
            return cls(value)

    @classmethod
    def _missing_(cls, value: object) -> "ActionResponseStatus | None":
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

"""Duplicate detection for bulk lookups in a few bytes per id: ``SeenIds``.

A bulk run must tell whether an earlier row held the same id (without case), and which, without keeping the
ids (a ``str`` costs 70 to 90 bytes): per distinct id, a 64-bit BLAKE2b digest of the casefolded id, keyed
with 16 random bytes per ``SeenIds`` (no one can make two collide; n ids do by chance with a probability
about n² / 2^65), and its first row, in two flat arrays (linear probing, at most 70 % full, doubled when
fuller): 34 bytes per id at worst, 51 while it doubles, under the 80 allowed.
"""

from __future__ import annotations

import os
from array import array
from hashlib import blake2b

__all__ = ["SeenIds"]

_SMALL_ROWS = "I" if array("I").itemsize == 4 else "Q"
_SMALL_ROW_MAX = 2**32 - 1 if _SMALL_ROWS == "I" else 2**64 - 1
_FIRST_SIZE = 1024  # slots; a power of two
_MAX_LOAD_TENTHS = 7  # at most 70 % of the slots hold an id


class SeenIds:
    """Which ids were seen, and on which row first: ``first_row(id, row)`` returns the earlier row that held
    ``id`` (casefolded), or None after remembering ``row`` as its first."""

    __slots__ = ("_digests", "_key", "_limit", "_mask", "_row_type", "_rows", "count")

    def __init__(self) -> None:
        self._key = os.urandom(16)
        self._row_type = _SMALL_ROWS
        self.count = 0
        self._allocate(_FIRST_SIZE)

    def _allocate(self, size: int) -> None:
        # ``array * n`` fills without a temporary bytes object as large as the table.
        self._digests = array("Q", [0]) * size
        self._rows = array(self._row_type, [0]) * size
        self._mask = size - 1
        self._limit = size * _MAX_LOAD_TENTHS // 10

    def digest(self, subscriber: str) -> int:
        """The 64-bit keyed digest of ``subscriber`` as compared (casefolded); never 0 (an empty slot)."""
        data = subscriber.casefold().encode("utf-8", "surrogatepass")
        value = int.from_bytes(blake2b(data, digest_size=8, key=self._key).digest(), "little")
        return value or 1

    def first_row(self, subscriber: str, row: int) -> int | None:
        """The row that first held ``subscriber`` (compared without case), or None: then ``row`` is."""
        digest = self.digest(subscriber)
        digests, mask = self._digests, self._mask
        slot = digest & mask
        while True:
            held = digests[slot]
            if held == digest:
                return self._rows[slot]
            if not held:
                break
            slot = (slot + 1) & mask
        digests[slot] = digest
        if row > _SMALL_ROW_MAX and self._row_type != "Q":  # past 4 billion rows: 8 bytes a row number
            self._row_type = "Q"
            self._rows = array("Q", self._rows)
        self._rows[slot] = row
        self.count += 1
        if self.count > self._limit:
            self._grow()
        return None

    def _grow(self) -> None:
        digests, rows = self._digests, self._rows
        self._allocate(2 * len(digests))
        new_digests, new_rows, mask = self._digests, self._rows, self._mask
        for old_slot, digest in enumerate(digests):
            if digest:
                slot = digest & mask
                while new_digests[slot]:
                    slot = (slot + 1) & mask
                new_digests[slot] = digest
                new_rows[slot] = rows[old_slot]

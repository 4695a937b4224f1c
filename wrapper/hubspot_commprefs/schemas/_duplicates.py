"""A key an object of an answer holds twice: the one JSON rule the decoded body cannot show.

``json.loads`` keeps the last of two equal keys without a word (``{"status": "UNSUBSCRIBED", "status":
"SUBSCRIBED"}`` would read as subscribed); the client refuses such a body, the conformance suite reports it.
Looking costs a count of the text's commas: outside strings they separate members (n members, n - 1
commas), so when they number no more than the separators of the decoded body's first two levels, no key
was lost (escapes and whitespace included). Otherwise, rarely for this API's answers, the text is read
again with every key seen (``object_pairs_hook``), which names the repeated key.
"""

from __future__ import annotations

import json
from typing import Any

Path = tuple[str | int, ...]


def duplicate_key(content: bytes, body: Any) -> Path | None:
    """The path of a key that an object of ``content``, the JSON text ``body`` was decoded from, holds
    more than once (of the first such object in the text; the key's name last), or None when there is
    none."""
    if content.count(b",") == _separators(body):
        return None
    repeated: dict[int, str] = {}

    def pairs_hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        obj = dict(pairs)
        if len(obj) != len(pairs):
            seen: set[str] = set()
            for key, _ in pairs:
                if key in seen:
                    repeated[id(obj)] = key
                    break
                seen.add(key)
        return obj

    every_key = json.loads(content, object_pairs_hook=pairs_hook)
    return _first(every_key, repeated) if repeated else None


def _separators(value: Any, depth: int = 2) -> int:
    """The separators between the members of ``value`` and of its containers ``depth`` levels down (a type
    json.loads does not make counts as a value without members, which keeps the count a lower bound)."""
    kind = type(value)
    if not value or (kind is not dict and kind is not list):
        return 0
    total = len(value) - 1
    if depth:
        for child in value.values() if kind is dict else value:
            total += _separators(child, depth - 1)
    return total


def _first(value: Any, repeated: dict[int, str]) -> Path:
    """The path, in ``value``, of the first object ``repeated`` names (by id), with its repeated key."""
    stack: list[tuple[Any, Path]] = [(value, ())]
    while stack:
        current, path = stack.pop()
        if isinstance(current, dict):
            if id(current) in repeated:
                return (*path, repeated[id(current)])
            stack += reversed([(v, (*path, k)) for k, v in current.items()])
        elif isinstance(current, list):
            stack += reversed([(v, (*path, i)) for i, v in enumerate(current)])
    raise AssertionError("a repeated key was seen by the pairs hook")  # pragma: no cover

"""A key an object of an answer holds twice: the one JSON rule the decoded body cannot show.

``json.loads`` keeps the last of two equal keys without a word, so ``{"status": "UNSUBSCRIBED", "status":
"SUBSCRIBED"}`` would read as subscribed, though the server said both; RFC 8259 leaves such a body's
meaning to the reader. The client refuses it, the conformance suite reports it (and so replay refuses a
recording of it).

Looking costs one count of the commas of the text and a look at the decoded body's first two levels: in
JSON text, the commas outside strings separate the members of objects and arrays (n members, n - 1 commas),
so the text holds at least as many commas as those levels of the decoded body have separators, and more
when an object of the text held a key twice (the decoded one lost a member), a deeper container has two
members or more, or a string holds a comma. Equal counts prove there is no repeated key, escapes
(``"st\\u0061tus"``) and whitespace included; otherwise the text is read again with every key seen
(``object_pairs_hook``, a few times slower), which names the repeated key exactly. Answers of this API
nest their lists of statuses at the second level and hold no commas in most of their strings, so the
second reading is rare.
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


def _separators(body: Any) -> int:
    """The separators between the members of ``body`` and of the objects and arrays of its first two
    levels (json.loads makes plain dicts and lists: another type is taken for a value without members,
    which keeps the count a lower bound)."""
    kind = type(body)
    if kind is dict:
        children = body.values()
    elif kind is list:
        children = body
    else:
        return 0
    total = len(body) - 1 if body else 0
    for child in children:
        kind = type(child)
        if kind is dict:
            grandchildren = child.values()
        elif kind is list:
            grandchildren = child
        else:
            continue
        if child:
            total += len(child) - 1
            for grandchild in grandchildren:
                kind = type(grandchild)
                if (kind is dict or kind is list) and grandchild:
                    total += len(grandchild) - 1
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

"""Local ``$ref`` resolution over one parsed JSON document, in time linear in the document.

Standard library only, and nothing here knows OpenAPI beyond the ``$ref`` key: the one resolver of
spec-diff, the conformance checks and ``openapi`` (the spec as the harness reads it).

- Only local references (``#/a/b``: a JSON pointer into the same document, with ``~0``/``~1`` and
  percent escapes) are followed; a remote one (``other.json#/x``, ``https://...``), one that is not a
  string, a dangling one and a chain that loops back on itself (``A -> B -> A``) raise ``RefError``
  naming the reference.
- Each reference is resolved once and remembered: a chain of any length, entered anywhere any number of
  times, is walked once in all.
- Keys beside a ``$ref`` (3.1 allows ``description``, or an extension, there) are kept over the target's,
  the nearest one winning. A chain that gathers more than ``MAX_SIBLING_KEYS`` of them is refused, so that
  what is remembered per reference stays small whatever the document.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

REF = "$ref"
MAX_SIBLING_KEYS = 64
_MAX_INDEX_DIGITS = 18


class RefError(Exception):
    """A ``$ref`` that cannot be followed; the message is one line that names it."""


class References:
    """The ``$ref`` resolver of one document, ``root``."""

    def __init__(self, root: Any) -> None:
        self._root = root
        # ref -> (what the chain from it ends at, the keys met beside its references, its last ref)
        self._done: dict[str, tuple[Any, dict[str, Any], str]] = {}

    def resolve(self, node: Any, where: str) -> tuple[Any, str | None]:
        """``node`` with its ``$ref`` chain followed, keys beside a ``$ref`` kept over the target's, and the
        last reference followed (None when ``node`` is no reference). ``where`` names the node in errors."""
        if not isinstance(node, dict) or REF not in node:
            return node, None
        target, beside, last = self._follow(_ref_of(node, where), where)
        own = {key: value for key, value in node.items() if key != REF}
        if own:
            beside = {**beside, **own}
        if beside and isinstance(target, dict):
            return {**target, **beside}, last
        return target, last

    def _follow(self, first: str, where: str) -> tuple[Any, dict[str, Any], str]:
        chain: list[tuple[str, dict[str, Any]]] = []  # (a ref, the reference it points at), outermost first
        on_chain: dict[str, int] = {}
        ref = first
        while ref not in self._done:
            if ref in on_chain:
                loop = [r for r, _ in chain[on_chain[ref] :]]
                raise RefError(f"$ref cycle {' -> '.join([*loop, ref])} (at {where})")
            on_chain[ref] = len(chain)
            pointed = self._pointer(ref, where)
            if not isinstance(pointed, dict) or REF not in pointed:
                self._done[ref] = (pointed, {}, ref)
                break
            chain.append((ref, pointed))
            ref = _ref_of(pointed, where)
        for outer, pointed in reversed(chain):
            target, beside, last = self._done[pointed[REF]]
            own = {key: value for key, value in pointed.items() if key != REF}
            if own:
                beside = {**beside, **own}
                if len(beside) > MAX_SIBLING_KEYS:
                    raise RefError(
                        f"more than {MAX_SIBLING_KEYS} keys beside the $refs of the chain from {outer!r} "
                        f"(at {where})"
                    )
            self._done[outer] = (target, beside, last)
        return self._done[first]

    def _pointer(self, ref: str, where: str) -> Any:
        if not ref.startswith("#"):
            raise RefError(
                f"remote $ref {ref!r} at {where} is not supported (only '#/...' references into the same "
                "document are followed); bundle the document first"
            )
        pointer = unquote(ref[1:])
        if pointer and not pointer.startswith("/"):
            raise RefError(f"$ref {ref!r} at {where} is not a JSON pointer ('#/...')")
        node: Any = self._root
        for raw in pointer.split("/")[1:]:
            part = raw.replace("~1", "/").replace("~0", "~")
            if isinstance(node, dict) and part in node:
                node = node[part]
            elif isinstance(node, list) and _index(part) < len(node):
                node = node[_index(part)]
            else:
                raise RefError(f"$ref {ref!r} at {where} points at nothing")
        return node


def _ref_of(node: dict[str, Any], where: str) -> str:
    ref = node[REF]
    if not isinstance(ref, str):
        raise RefError(f"a $ref that is not a string at {where}")
    return ref


def _index(part: str) -> int:
    """``part`` as a list index, or a number no list reaches when it is not one."""
    if part.isascii() and part.isdigit() and len(part) <= _MAX_INDEX_DIGITS:
        return int(part)
    return 1 << 62

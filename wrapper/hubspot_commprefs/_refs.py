"""Local ``$ref`` resolution, in time linear in the document: the one resolver of spec-diff, the conformance
checks and ``openapi``. Only ``#/...`` pointers into the same document are followed (``RefError`` names any
other, a dangling or a looping one); each reference is resolved once. Keys beside a ``$ref`` win over the
target's, up to ``MAX_SIBLING_KEYS`` per chain, so that what is remembered per reference stays small.
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
        """``node`` with its ``$ref`` chain followed (keys beside a ``$ref`` kept over the target's), and the
        last reference followed (None when ``node`` is no reference). ``where`` names the node in errors."""
        if not isinstance(node, dict) or REF not in node:
            return node, None
        target, beside, last = self._follow(_ref_of(node, where), where)
        beside = {**beside, **_beside(node)}
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
            beside = {**beside, **_beside(pointed)}
            if len(beside) > MAX_SIBLING_KEYS:
                raise RefError(
                    f"more than {MAX_SIBLING_KEYS} keys beside the $refs of the chain from {outer!r} (at {where})"
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
            index = int(part) if part.isascii() and part.isdigit() and len(part) <= _MAX_INDEX_DIGITS else -1
            if isinstance(node, dict) and part in node:
                node = node[part]
            elif isinstance(node, list) and 0 <= index < len(node):
                node = node[index]
            else:
                raise RefError(f"$ref {ref!r} at {where} points at nothing")
        return node


def _ref_of(node: dict[str, Any], where: str) -> str:
    ref = node[REF]
    if not isinstance(ref, str):
        raise RefError(f"a $ref that is not a string at {where}")
    return ref


def _beside(node: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in node.items() if key != REF}

"""The subscriber-id rule's shortcut: printable ASCII without a space skips the per-character checks, and
must come to the same answer as applying them to every character."""

from __future__ import annotations

from hubspot_commprefs.client._ids import _BAD_CHARACTERS, MAX_ID_LENGTH, id_problem
from hypothesis import example, given
from hypothesis import strategies as st


def id_problem_without_the_shortcut(subscriber: str) -> str | None:
    """``id_problem`` as its docstring states it: every character through ``_BAD_CHARACTERS``."""
    if not subscriber:
        return "empty subscriber id"
    if len(subscriber) > MAX_ID_LENGTH:
        return f"the subscriber id is longer than {MAX_ID_LENGTH} characters ({len(subscriber)})"
    for bad, problem in _BAD_CHARACTERS:
        if any(bad(ch) for ch in subscriber):
            return problem
    local, at, domain = subscriber.rpartition("@")
    if not at or not local or not domain:
        return "not an email address (HubSpot identifies subscribers by email)"
    return None


ASCII = st.characters(max_codepoint=0x7F)
ANY_CHARACTER = st.characters(exclude_categories=())  # lone surrogates, controls and format characters too
TEXTS = (
    st.text(ASCII, max_size=40)
    | st.text(ANY_CHARACTER, max_size=40)
    | st.builds(lambda local, domain: f"{local}@{domain}", st.text(ASCII), st.text(ASCII))
    | st.builds(
        lambda local, odd, domain: f"{local}{odd}@{domain}",
        st.text(ASCII, max_size=10),
        ANY_CHARACTER,
        st.text(ASCII, max_size=10),
    )
    | st.builds(
        lambda pad, tail: "a" * pad + tail, st.integers(MAX_ID_LENGTH - 8, MAX_ID_LENGTH), st.text(ASCII)
    )
)


@given(TEXTS)
@example("a@b")
@example("a b@c.d")
@example("a\x7f@c.d")
@example("a\x1f@c.d")
@example("\ud800@c.d")
@example("a\u00a0@c.d")  # no-break space: whitespace outside ASCII
@example("a\u200b@c.d")  # zero-width space: a format character
def test_the_ascii_shortcut_agrees_with_the_character_rules(text: str) -> None:
    assert id_problem(text) == id_problem_without_the_shortcut(text)


def test_the_ascii_characters_the_rules_refuse_are_exactly_the_unprintable_ones_and_space() -> None:
    """The shortcut's premise, for every ASCII character."""
    ascii_characters = [chr(code) for code in range(128)]
    refused = [ch for ch in ascii_characters if any(bad(ch) for bad, _ in _BAD_CHARACTERS)]
    assert refused == [ch for ch in ascii_characters if not ch.isprintable() or ch == " "]
    assert len(refused) == 34  # 0x00-0x1f, space, 0x7f

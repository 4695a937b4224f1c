"""A key an object holds twice (``hubspot_commprefs.schemas``): found in every JSON text, whatever
its whitespace, escapes or encoding, and never where there is none; the count that spares the second
reading is right for the answers HubSpot sends."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hubspot_commprefs.schemas import duplicate_key
from hypothesis import given
from hypothesis import strategies as st

from tests.client_fixtures import action_body, status_item

KEYS = st.sampled_from(["status", "results", "a", "b", "s,t", 'q"', "é"])
SCALARS = st.none() | st.booleans() | st.integers() | st.text(alphabet=',:"\\ ab\u00e9', max_size=6)
# An object is a list of (key, value) pairs, so that a key may come twice.
TREES = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3).map(lambda items: ("array", items))
        | st.lists(st.tuples(KEYS, inner), max_size=4).map(lambda pairs: ("object", pairs))
    ),
    max_leaves=12,
)
SPACES = st.sampled_from(["", " ", "\n", "\t ", "\r\n"])


def _key(name: str, escape: bool) -> str:
    if escape and name:  # "st\u0061tus": the same key, spelt otherwise
        return '"' + "".join(f"\\u{ord(c):04x}" for c in name) + '"'
    return json.dumps(name)


def _text(tree: Any, data: st.DataObject) -> str:
    if not isinstance(tree, tuple):
        return json.dumps(tree)
    kind, members = tree
    space = data.draw(SPACES)
    if kind == "array":
        return "[" + f",{space}".join(_text(m, data) for m in members) + "]"
    pairs = (
        f"{_key(k, data.draw(st.booleans()))}{data.draw(SPACES)}:{space}{_text(v, data)}" for k, v in members
    )
    return "{" + space + f"{space},".join(pairs) + "}"


def _repeated(pairs: list[tuple[str, Any]]) -> Any:
    keys = [k for k, _ in pairs]
    return ("REPEATED", pairs) if len(set(keys)) != len(keys) else dict(pairs)


def _has_repeated(value: Any) -> bool:
    if isinstance(value, tuple):
        return True
    members = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
    return any(_has_repeated(m) for m in members)


def _at(value: Any, path: tuple) -> Any:
    for part in path:
        value = dict(value[1]) if isinstance(value, tuple) else value
        value = value[part]
    return value


@given(tree=TREES, data=st.data(), encoding=st.sampled_from(["utf-8", "utf-16", "utf-32-le"]))
def test_a_repeated_key_is_found_exactly(tree: Any, data: st.DataObject, encoding: str) -> None:
    content = _text(tree, data).encode(encoding)
    every_pair = json.loads(content, object_pairs_hook=_repeated)
    found = duplicate_key(content, json.loads(content))
    assert (found is not None) == _has_repeated(every_pair)
    if found is not None:
        holder = _at(every_pair, found[:-1])
        assert isinstance(holder, tuple)  # the object named holds the key twice
        assert [k for k, _ in holder[1]].count(found[-1]) > 1


@pytest.mark.parametrize(
    ("text", "path"),
    [
        ('{"status":"PENDING","status":"COMPLETE","results":[]}', ("status",)),
        ('{"results":[{"status":"UNSUBSCRIBED"}],"results":[]}', ("results",)),
        ('{"numErrors":1,"numErrors":0}', ("numErrors",)),
        ('{"results":[{"a":1},{"status":"UNSUBSCRIBED","status":"SUBSCRIBED"}]}', ("results", 1, "status")),
        ('{"x":{"st\\u0061tus":1,"status":2}}', ("x", "status")),
        ('{"a" : 1 , "a"\n:2}', ("a",)),
        ('{"a":{"b":{"c":[{"d":1,"d":2}]}}}', ("a", "b", "c", 0, "d")),
        ('{"a":"x,y","b":1}', None),
        ('{"a":[1,2,3],"b":{"c":{"d":1,"e":2}}}', None),
        ("[]", None),
        ("7", None),
    ],
)
def test_the_cases_of_the_issue(text: str, path: tuple | None) -> None:
    assert duplicate_key(text.encode(), json.loads(text)) == path


@pytest.mark.parametrize("count", [0, 1, 12, 100])
@pytest.mark.parametrize("indent", [None, 2])
def test_a_realistic_answer_is_proved_clean_without_a_second_reading(count: int, indent, monkeypatch) -> None:
    """HubSpot's shape, with every optional field, compact or indented: never the slow way."""
    item = status_item(
        businessUnitId=0,
        legalBasis="CONSENT_WITH_NOTICE",
        legalBasisExplanation="Signed up on the website.",
        setStatusSuccessReason="REQUESTED_CHANGE_OCCURRED",
    )
    body = action_body(
        [dict(item, subscriptionId=i) for i in range(count)], requestedAt="2026-03-18T09:20:31Z"
    )
    content = json.dumps(body, indent=indent).encode()
    decoded = json.loads(content)

    def second_reading(*args: object, **kwargs: object) -> None:
        raise AssertionError("read again")

    monkeypatch.setattr(json, "loads", second_reading)
    assert duplicate_key(content, decoded) is None

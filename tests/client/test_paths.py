"""Path safety and the one rule for ids: any text is either refused with ``InvalidSubscriberIdError``
before a request, or arrives as exactly that id (without surrounding whitespace) in exactly the documented
path; checked on an in-process transport and over a real socket."""

from __future__ import annotations

import json
from urllib.parse import unquote

import httpx
import pytest
from hubspot_commprefs import CommPrefs, InvalidSubscriberIdError
from hubspot_commprefs.client._ids import check_request_path, normalise_subscriber_id
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.client_fixtures import TOKEN, LocalServer, action_body, ok, sync_client

ids = (
    st.text()
    | st.sampled_from(["", ".", "..", "%2e", "%2E%2e", ".%2e", "%252e%252e", "a/../b", "%", " a@b ", "a b@c"])
    | st.builds(lambda a, b: f"{a}@{b}", st.text(), st.text())
)
DOT_SEGMENTS = {"", ".", ".."}


def _refused(subscriber_id: str) -> bool:
    decoded = subscriber_id
    for _ in range(8):
        if decoded in DOT_SEGMENTS:
            return True
        decoded, previous = unquote(decoded), decoded
        if decoded == previous:
            break
    return decoded in DOT_SEGMENTS


@pytest.fixture(scope="module")
def server():
    with LocalServer() as running:
        yield running


@pytest.mark.parametrize("bad", [".", "..", "%2e", "%2E%2E", ".%2e", "%252e%252E", "%25252e"])
def test_dot_segments_and_their_encodings_are_refused_before_any_request(bad):
    client, recorder = sync_client(ok())
    with pytest.raises(InvalidSubscriberIdError, match=r"URL|not an email address"):
        client.get_statuses(bad)
    with pytest.raises(InvalidSubscriberIdError, match=r"URL|not an email address"):
        client.get_unsubscribe_all_status(bad)
    assert recorder.requests == []


def test_a_lone_surrogate_and_a_non_string_are_refused():
    with pytest.raises(InvalidSubscriberIdError, match="surrogate"):
        normalise_subscriber_id("a\ud800b@example.com")
    with pytest.raises(TypeError, match="str"):
        normalise_subscriber_id(42)


def test_a_rewritten_path_is_refused():
    with pytest.raises(ValueError, match="documented path"):
        check_request_path(b"/x/y?channel=EMAIL", "/x/../y")
    check_request_path(b"/base/x/a%40b?q", "/x/a%40b")


def _expected(subscriber_id: str) -> str | None:
    """The id the client sends for ``subscriber_id``, or None when it refuses it."""
    try:
        return normalise_subscriber_id(subscriber_id)
    except InvalidSubscriberIdError:
        return None


@given(subscriber_id=ids)
def test_any_text_is_refused_or_arrives_exactly_in_process(subscriber_id):
    client, recorder = sync_client(ok())
    expected = _expected(subscriber_id)
    try:
        client.get_statuses(subscriber_id)
    except InvalidSubscriberIdError as refused:
        refused_id = refused.subscriber_id
        assert recorder.requests == []
        assert expected is None
        assert refused_id == subscriber_id
        return
    assert not _refused(subscriber_id.strip())
    assert expected is not None
    (request,) = recorder.requests
    path = request.url.raw_path.decode("ascii").split("?", 1)[0]
    prefix, _, segment = path.rpartition("/")
    assert prefix.endswith("/statuses")
    assert "/" not in segment
    assert unquote(segment, errors="strict") == expected == subscriber_id.strip()


@settings(max_examples=40)
@given(subscriber_id=ids)
def test_any_text_is_refused_or_arrives_exactly_over_a_socket(server, subscriber_id):
    before = len(server.seen)
    expected = _expected(subscriber_id)
    with CommPrefs(access_token=TOKEN, base_url=server.url, max_retries=0) as client:
        try:
            client.get_statuses(subscriber_id)
        except InvalidSubscriberIdError:
            assert len(server.seen) == before
            assert expected is None
            return
    assert expected is not None
    seen = server.seen[-1]
    assert seen.subscriber_id == expected
    assert seen.raw_path.count("/") == 4  # /communication-preferences/<version>/statuses/<id>
    assert seen.raw_path.startswith("/communication-preferences/")


def test_unusual_but_safe_ids_arrive_exactly_over_a_socket(server, monkeypatch):
    monkeypatch.setattr(server, "body", json.dumps(action_body([])).encode())
    with CommPrefs(access_token=TOKEN, base_url=server.url) as client:
        for subscriber_id in ["...@x", "a/b@c", "a?b#c@d", "%@x", "%41@x", "\u00e9l\u00e8ve@example.com"]:
            client.get_unsubscribe_all_status(subscriber_id)
            assert server.seen[-1].subscriber_id == subscriber_id
            assert server.seen[-1].raw_path.endswith("/unsubscribe-all")
        client.get_unsubscribe_all_status(" \tbob@example.com \n")
        assert server.seen[-1].subscriber_id == "bob@example.com"


@pytest.mark.parametrize(
    ("given_id", "problem"),
    [
        ("alice smith@example.com", "the subscriber id contains whitespace"),
        ("a\u2028b@example.com", "the subscriber id contains whitespace"),
        ("a\x00b@example.com", "the subscriber id contains a control character"),
        ("a\u200bb@example.com", "the subscriber id contains a control character"),
        ("alice", "not an email address (HubSpot identifies subscribers by email)"),
        ("@example.com", "not an email address (HubSpot identifies subscribers by email)"),
        ("   ", "empty subscriber id"),
        ("..", "would change which URL is requested"),
        ("a" * 995 + "@x.com", "longer than 1000 characters"),
    ],
)
def test_one_rule_for_an_id_in_single_lookups_and_bulk(given_id: str, problem: str) -> None:
    """The client, ``lookup_many`` and ``bulk`` (through ``rows_from_ids``) refuse an id with one message."""
    from tests.bulk_helpers import rows_from_ids

    client, recorder = sync_client(ok())
    with pytest.raises(InvalidSubscriberIdError) as refused:
        client.get_statuses(given_id)
    assert problem in str(refused.value)
    (row,) = rows_from_ids([given_id])
    assert row.problem == str(refused.value)
    assert recorder.requests == []


def test_httpx_alone_would_have_sent_dot_dot_elsewhere():
    # The reason for the checks above: the generated code's quote() keeps dots and httpx drops the segment.
    assert (
        httpx.URL("https://h/communication-preferences/v/statuses/..").raw_path
        == b"/communication-preferences/v"
    )

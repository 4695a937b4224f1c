"""The fake HubSpot server: every body it serves is valid against the spec; it behaves like HubSpot."""

from __future__ import annotations

import contextlib
import copy
import json
import signal
import socket
import subprocess
import sys
import time

import httpx
import pytest
from hubspot_commprefs import testing
from hubspot_commprefs.openapi import endpoints, load_spec
from hubspot_commprefs.schemas import STRICT, Compiled, bundled
from hubspot_commprefs.testing import (
    DRIFT_FIELDS,
    DatasetError,
    FakeHubSpot,
    Fault,
    RateLimit,
    dataset_from_dict,
    default_dataset,
    load_dataset,
)
from hubspot_commprefs.testing._app import ServerState

from tests.processes import started

SPEC = load_spec()
STATUSES, WIDE = (e.path_template for e in endpoints())
TOKEN = "tok-read"
SCOPELESS = "tok-none"


def _state(**kwargs) -> ServerState:
    options = {
        "dataset": default_dataset(),
        "tokens": {TOKEN: frozenset({"communication_preferences.read"}), SCOPELESS: frozenset()},
        "rate_limit": RateLimit(max_requests=100_000),
    }
    options.update(kwargs)
    return ServerState(**options)


@pytest.fixture
def serve():
    """A factory: serve a state over a real socket, and get an httpx client for it; all stop after the test."""
    stack = contextlib.ExitStack()

    def start(state: ServerState, token: str = TOKEN) -> httpx.Client:
        server = FakeHubSpot()
        server.state = state
        stack.enter_context(server)
        return stack.enter_context(
            httpx.Client(base_url=server.base_url, headers={"Authorization": f"Bearer {token}"}, timeout=10)
        )

    with stack:
        yield start


@pytest.fixture
def client(serve) -> httpx.Client:
    return serve(_state())


def _url(template: str, subscriber: str, **query: str) -> str:
    return str(httpx.URL(template.replace("{subscriberIdString}", subscriber), params=query))


def _validator(schema_name: str) -> Compiled:
    """The spec's schema, compiled as the client and the conformance suite read it (exactly the spec)."""
    return bundled().validator(schema_name, STRICT)


def test_every_seeded_answer_is_valid_against_the_spec(client: httpx.Client) -> None:
    dataset = default_dataset()
    statuses = _validator("ActionResponseWithResultsPublicStatus")
    wide = _validator("ActionResponseWithResultsPublicWideStatus")
    subscribers = [c.email for c in dataset.contacts] + ["nobody@example.com"]
    units = [None, *(u.id for u in dataset.business_units), 42]
    checked = 0
    for subscriber in subscribers:
        for unit in units:
            query = {"channel": "EMAIL"} | ({} if unit is None else {"businessUnitId": str(unit)})
            answer = client.get(_url(STATUSES, subscriber, **query))
            assert answer.status_code == 200
            assert list(statuses.problems(answer.json())) == []
            for verbose in ("true", "false"):
                answer = client.get(_url(WIDE, subscriber, **query, verbose=verbose))
                assert answer.status_code == 200
                assert list(wide.problems(answer.json())) == []
                checked += 1
    assert checked == len(subscribers) * len(units) * 2


def test_error_bodies_are_valid_against_the_spec(client: httpx.Client) -> None:
    error = _validator("Error")
    answers = [
        client.get(_url(STATUSES, "a@example.com", channel="SMS")),
        client.get(_url(STATUSES, "a@example.com", channel="EMAIL", businessUnitId="x")),
        client.get(_url(WIDE, "a@example.com", channel="EMAIL", verbose="maybe")),
        client.get(_url(STATUSES, "a@example.com", channel="EMAIL"), headers={"Authorization": ""}),
        client.get(
            _url(STATUSES, "a@example.com", channel="EMAIL"), headers={"Authorization": f"Bearer {SCOPELESS}"}
        ),
        client.post(_url(STATUSES, "a@example.com", channel="EMAIL")),
        client.get("/nowhere"),
    ]
    assert [a.status_code for a in answers] == [400, 400, 400, 401, 403, 405, 404]
    for answer in answers:
        assert answer.headers["content-type"].startswith("application/json")
        assert list(error.problems(answer.json())) == []


def test_seeded_contacts_match_the_spec_examples(client: httpx.Client) -> None:
    alice = client.get(_url(STATUSES, "alice@example.com", channel="EMAIL")).json()["results"]
    by_id = {r["subscriptionId"]: r for r in alice}
    assert by_id[167233]["status"] == "SUBSCRIBED"
    assert by_id[3000000000]["status"] == "UNSUBSCRIBED"
    assert by_id[167240]["status"] == "NOT_SPECIFIED"
    bob = client.get(_url(WIDE, "bob%40example.com", channel="EMAIL")).json()["results"]
    assert [(r["wideStatusType"], r["status"]) for r in bob] == [("PORTAL_WIDE", "UNSUBSCRIBED")]
    carol = client.get(_url(WIDE, "carol@example.com", channel="EMAIL", businessUnitId="1021")).json()
    assert [(r["wideStatusType"], r["businessUnitId"]) for r in carol["results"]] == [
        ("BUSINESS_UNIT_WIDE", 1021)
    ]
    assert client.get(_url(WIDE, "carol@example.com", channel="EMAIL")).json()["results"] == []
    # Opted out of all email: every subscription of the unit reads UNSUBSCRIBED.
    bob_statuses = client.get(_url(STATUSES, "bob@example.com", channel="EMAIL")).json()["results"]
    assert {r["status"] for r in bob_statuses} == {"UNSUBSCRIBED"}


def test_the_default_dataset_is_deterministic_and_varied() -> None:
    first, second = default_dataset(), default_dataset()
    assert first.to_dict() == second.to_dict()
    kinds = {o.wide_status_type for c in first.contacts for o in c.opt_outs}
    assert kinds == {"PORTAL_WIDE", "BUSINESS_UNIT_WIDE"}
    assert {u.id for u in first.business_units} >= {0, 1021}
    assert default_dataset(seed=1).to_dict() != first.to_dict()


def test_a_dataset_round_trips_through_json(tmp_path) -> None:
    path = tmp_path / "data.json"
    path.write_text(json.dumps(default_dataset().to_dict()), encoding="utf-8")
    assert load_dataset(path).to_dict() == default_dataset().to_dict()


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (
            lambda d: d["contacts"][0]["statuses"][0].update(status="OPTED_OUT"),
            "contacts[0].statuses[0].status",
        ),
        (
            lambda d: d["contacts"][0]["statuses"][0].update(subscriptionId=1),
            "contacts[0].statuses[0].subscriptionId",
        ),
        (
            lambda d: d["contacts"][1]["optOuts"][0].update(timestamp="yesterday"),
            "contacts[1].optOuts[0].timestamp",
        ),
        (lambda d: d["subscriptionTypes"][0].update(id=2**63), "subscriptionTypes[0].id"),
        (lambda d: d["contacts"][2].pop("email"), "contacts[2].email"),
        (lambda d: d["subscriptionTypes"][0].update(businessUnitId=7), "subscriptionTypes[0].businessUnitId"),
    ],
)
def test_a_bad_dataset_names_the_field(change, named: str) -> None:
    data = copy.deepcopy(default_dataset().to_dict())
    change(data)
    with pytest.raises(DatasetError, match=named.replace("[", r"\[").replace("]", r"\]")):
        dataset_from_dict(data)


def test_an_unreadable_dataset_file_is_a_clear_error(tmp_path) -> None:
    path = tmp_path / "data.json"
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(DatasetError, match="not JSON"):
        load_dataset(path)
    with pytest.raises(DatasetError, match="cannot read"):
        load_dataset(tmp_path / "missing.json")


def test_bad_query_parameters_get_hubspot_400s(client: httpx.Client) -> None:
    for url, named in [
        (_url(STATUSES, "a@example.com"), "channel"),
        (_url(STATUSES, "a@example.com", channel="WHATSAPP"), "channel"),
        (_url(STATUSES, "a@example.com", channel="EMAIL", businessUnitId="1.5"), "businessUnitId"),
        (_url(STATUSES, "a@example.com", channel="EMAIL", businessUnitId=str(2**63)), "businessUnitId"),
        (_url(WIDE, "a@example.com", channel="EMAIL", verbose="yes"), "verbose"),
    ]:
        answer = client.get(url)
        assert answer.status_code == 400, url
        body = answer.json()
        assert body["category"] == "VALIDATION_ERROR"
        assert body["errors"][0]["in"] == named


def test_the_400_messages_say_what_the_spec_allows(client: httpx.Client) -> None:
    channels = SPEC["components"]["schemas"]["Channel"]["enum"]
    answer = client.get(_url(STATUSES, "a@example.com", channel="SMS"))
    assert answer.json()["errors"][0]["message"] == f"channel must be one of [{', '.join(channels)}]"
    answer = client.get(_url(STATUSES, "a@example.com", channel="EMAIL", businessUnitId=str(-(2**63) - 1)))
    assert answer.json()["errors"][0]["message"] == "businessUnitId must be an int64 integer"
    assert client.get(
        _url(STATUSES, "a@example.com", channel="EMAIL", businessUnitId=str(-(2**63)))
    ).is_success


def test_other_methods_get_405(client: httpx.Client) -> None:
    for method in ("POST", "PUT", "PATCH", "DELETE"):
        answer = client.request(method, _url(STATUSES, "a@example.com", channel="EMAIL"))
        assert answer.status_code == 405
        assert answer.headers["allow"] == "GET"


def test_the_rate_limit_answers_hubspots_429(serve) -> None:
    client = serve(_state(rate_limit=RateLimit(max_requests=3, interval_ms=60_000)))
    url = _url(STATUSES, "a@example.com", channel="EMAIL")
    remaining = [client.get(url).headers["x-hubspot-ratelimit-remaining"] for _ in range(3)]
    assert remaining == ["2", "1", "0"]
    refused = client.get(url)
    assert refused.status_code == 429
    assert refused.headers["x-hubspot-ratelimit-max"] == "3"
    assert refused.headers["x-hubspot-ratelimit-interval-milliseconds"] == "60000"
    body = refused.json()
    assert body["errorType"] == "RATE_LIMIT"
    assert body["policyName"] == "TEN_SECONDLY_ROLLING"
    assert "category" not in body  # HubSpot's real 429 body has none


@pytest.mark.parametrize("fault", list(DRIFT_FIELDS))
def test_each_drift_fault_breaks_the_field_it_names(fault: Fault, serve) -> None:
    client = serve(_state(faults=(fault,)))
    body = client.get(_url(STATUSES, "alice@example.com", channel="EMAIL")).json()
    errors = list(_validator("ActionResponseWithResultsPublicStatus").problems(body))
    field = DRIFT_FIELDS[fault]
    name = field.rsplit(".", 1)[-1]
    if fault is Fault.EXTRA_FIELD:
        assert errors == []  # an extra field is allowed by the schema
        assert all(name in item for item in body["results"])
    else:
        assert errors, fault
        paths = {".".join(str(p) for p in e.path) for e in errors}
        assert any(name in p or name in e.message for p, e in zip(paths, errors, strict=False)), paths


def test_outage_faults_replace_the_answer(serve) -> None:
    url = _url(STATUSES, "alice@example.com", channel="EMAIL")
    expected = {
        Fault.SERVER_ERROR: (500, "application/json"),
        Fault.HTML_ERROR: (502, "text/html"),
        Fault.WRONG_CONTENT_TYPE: (200, "text/plain"),
        Fault.UNDOCUMENTED_STATUS: (202, "application/json"),
    }
    for fault, (status, media_type) in expected.items():
        answer = serve(_state(faults=(fault,))).get(url)
        assert (answer.status_code, answer.headers["content-type"].split(";")[0]) == (status, media_type)


def test_faults_can_hit_every_nth_answer(serve) -> None:
    client = serve(_state(faults=(Fault.SERVER_ERROR,), fault_every=3))
    url = _url(STATUSES, "alice@example.com", channel="EMAIL")
    assert [client.get(url).status_code for _ in range(6)] == [200, 200, 500, 200, 200, 500]


def test_paths_come_from_the_spec_not_from_a_version(serve) -> None:
    version = SPEC["info"]["version"]
    spec = json.loads(json.dumps(SPEC).replace(f"/{version}/", "/v-other/"))
    client = serve(_state(spec_endpoints=endpoints(spec)))
    assert (
        client.get("/communication-preferences/v-other/statuses/a@example.com?channel=EMAIL").status_code
        == 200
    )
    assert (
        client.get(f"/communication-preferences/{version}/statuses/a@example.com?channel=EMAIL").status_code
        == 404
    )


def test_the_context_manager_serves_on_a_free_port_and_stops() -> None:
    with FakeHubSpot(latency=0.05) as server:
        assert server.base_url.startswith("http://127.0.0.1:")
        port = server.port
        started = time.monotonic()
        answer = httpx.get(
            server.base_url + _url(STATUSES, "alice@example.com", channel="EMAIL"),
            headers={"Authorization": f"Bearer {server.token}"},
        )
        assert answer.status_code == 200
        assert time.monotonic() - started >= 0.05  # the configured latency is a lower bound
        server.configure(faults=["server-error"], latency=0)
        assert httpx.get(answer.request.url, headers=answer.request.headers).status_code == 500
        assert [r.method for r in server.requests] == ["GET", "GET"]
        assert "fake" not in repr(server).lower() or server.token not in repr(server)
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
        pass


def test_bad_options_are_refused_clearly() -> None:
    with pytest.raises(ValueError, match="unknown fault 'nope'"):
        FakeHubSpot(faults=["nope"])
    with pytest.raises(ValueError, match="fault_every"):
        FakeHubSpot(fault_every=0)


def test_the_pytest_fixture_runs_a_server(fake_hubspot: FakeHubSpot) -> None:
    answer = httpx.get(
        fake_hubspot.base_url + _url(WIDE, "bob@example.com", channel="EMAIL"),
        headers={"Authorization": f"Bearer {fake_hubspot.token}"},
    )
    assert answer.json()["results"][0]["wideStatusType"] == "PORTAL_WIDE"
    unauthorized = httpx.get(
        answer.request.url, headers={"Authorization": f"Bearer {fake_hubspot.token_without_scope}"}
    )
    assert unauthorized.status_code == 403


def test_the_mock_server_command_prints_its_port_and_serves() -> None:
    with started(
        [sys.executable, "-m", "hubspot_commprefs.cli", "mock-server", "--port", "0"], stdout=subprocess.PIPE
    ) as process:
        assert process.stdout is not None
        first = process.stdout.readline()
        base_url = first.split()[3]
        assert base_url.startswith("http://127.0.0.1:")
        answer = httpx.get(
            base_url + _url(STATUSES, "alice@example.com", channel="EMAIL"),
            headers={"Authorization": f"Bearer {testing.DEFAULT_TOKEN}"},
            timeout=10,
        )
    assert answer.status_code == 200


@pytest.mark.parametrize(
    ("argv", "named"),
    [
        (["--fault", "nope"], "unknown fault"),
        (["--data", "missing-file.json"], "missing-file.json"),
        (["--fault-every", "0"], "--fault-every"),
        (["--rate-limit", "0"], "--rate-limit must"),
        (["--rate-limit-window-ms", "0"], "--rate-limit-window-ms"),
        (["--latency", "-1"], "--latency"),
        (["--latency", "nan"], "--latency"),
        (["--trickle-interval", "-1"], "--trickle-interval"),
        (["--trickle-interval", "nan"], "--trickle-interval"),
        (["--bomb-size", "0"], "--bomb-size"),
        (["--oversized-body-size", "0"], "--oversized-body-size"),
    ],
)
def test_the_mock_server_command_refuses_bad_usage(argv: list[str], named: str, capsys) -> None:
    from hubspot_commprefs.cli import main

    assert main(["mock-server", "--port", "0", *argv]) == 2
    err = capsys.readouterr().err
    assert "hubspot-commprefs mock-server: " in err
    assert named in err
    for internal in ("max_requests", "interval_ms", "daily", "fault_every", "bomb_size", "trickle_interval"):
        assert internal not in err


def test_the_mock_server_help_lists_every_fault(capsys) -> None:
    from hubspot_commprefs.cli import main

    with pytest.raises(SystemExit):
        main(["mock-server", "--help"])
    shown = " ".join(capsys.readouterr().out.split()).replace("- ", "-")  # argparse may wrap at a hyphen
    assert [f.value for f in Fault if f.value not in shown] == []


@pytest.mark.parametrize("port", ["70000", "-1", "65536", "http"])
def test_a_port_out_of_range_is_a_usage_error_naming_the_flag(port: str, capsys) -> None:
    from hubspot_commprefs.cli import main

    with pytest.raises(SystemExit) as exited:
        main(["mock-server", "--port", port])
    assert exited.value.code == 2
    assert "argument --port:" in capsys.readouterr().err
    with pytest.raises(ValueError, match="port must be an int from 0 to 65535"):
        FakeHubSpot(port=int(port) if port.lstrip("-").isdigit() else port)  # type: ignore[arg-type]


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT is how Ctrl-C reaches a POSIX process")
def test_ctrl_c_stops_the_mock_server_with_the_code_its_help_gives(capsys) -> None:
    from hubspot_commprefs.cli import main

    with pytest.raises(SystemExit):
        main(["mock-server", "--help"])
    assert "130 stopped with Ctrl-C" in " ".join(capsys.readouterr().out.split())
    with started(
        [sys.executable, "-m", "hubspot_commprefs.cli", "mock-server", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    ) as process:
        assert process.stdout is not None
        assert process.stdout.readline().startswith("Fake HubSpot on http://127.0.0.1:")
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=60)
    assert process.returncode == 130
    assert "Traceback" not in err


def test_the_public_api_is_exported() -> None:
    # "@py_..." names: pytest rewrites the asserts of a package that registers a plugin, as this one does
    public = {name for name in dir(testing) if not name.startswith(("_", "@"))}
    assert set(testing.__all__) == public - {"pytest_plugin"}


def test_a_rate_limit_that_is_not_a_rate_limit_is_refused_when_made() -> None:
    """It used to be accepted and fail at the first request, deep inside the app."""
    with pytest.raises(
        TypeError, match=r"rate_limit must be a RateLimit \(e.g. RateLimit\(max_requests=100\)\), not int"
    ):
        FakeHubSpot(rate_limit=100_000)  # type: ignore[arg-type]

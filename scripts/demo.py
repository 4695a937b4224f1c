"""A short demonstration of the generated client against a local HTTP server that serves the spec's examples.

The server listens on 127.0.0.1 on a free port and stops when the demonstration ends.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib.resources import files
from typing import Any
from urllib.parse import unquote, urlsplit

import yaml
from hubspot_commprefs_client import AuthenticatedClient
from hubspot_commprefs_client.api.subscription_statuses import get_statuses, get_unsubscribe_all_status
from hubspot_commprefs_client.models import Channel

SPEC = yaml.safe_load((files("hubspot_commprefs_client") / "openapi.yaml").read_text(encoding="utf-8"))


def _example(path_template: str, name: str) -> dict[str, Any]:
    media = SPEC["paths"][path_template]["get"]["responses"]["200"]["content"]["application/json"]
    value: dict[str, Any] = media["examples"][name]["value"]
    return value


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        statuses, wide = list(SPEC["paths"])
        prefix = statuses.split("{", 1)[0]
        if path.endswith("/unsubscribe-all"):
            body = _example(wide, "optedOutPortalWide")
        else:
            body = _example(statuses, "subscribedAndUnsubscribed")
        subscriber = unquote(path[len(prefix) :].split("/", 1)[0])
        for result in body["results"]:
            result["subscriberIdString"] = subscriber
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        print(f"  server: {format % args}")


def main() -> int:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base_url = f"http://127.0.0.1:{server.server_address[1]}"
    print(f"Local server on {base_url} (serving the spec's examples)")
    try:
        with AuthenticatedClient(base_url=base_url, token="demo-token", timeout=5.0) as client:  # noqa: S106
            subscriber = "alice@example.com"
            statuses = get_statuses.sync(subscriber, client=client, channel=Channel.EMAIL)
            print(f"\nSubscription statuses of {subscriber} (operation {statuses.status.value}):")
            for s in statuses.results:
                print(
                    f"  {s.subscription_id:>12}  {s.subscription_name!s:<18} {s.status.value:<13} {s.source}"
                )
            wide = get_unsubscribe_all_status.sync(subscriber, client=client, channel=Channel.EMAIL)
            opted_out = any(w.status.value == "UNSUBSCRIBED" for w in wide.results)
            print(f"\nUnsubscribed from all email: {'yes' if opted_out else 'no'}")
            for w in wide.results:
                print(f"  {w.wide_status_type.value} since {w.timestamp.isoformat()}")
    finally:
        server.shutdown()
        server.server_close()
    print("\nServer stopped.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""RequestsTransport's deadline adapter through a proxy: plain HTTP and an HTTPS tunnel.

The simulator is the proxy (as pyLoad users configure one); the calls go through the watched
connection classes the adapter installs on the proxy's pools.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
import requests

from offcloud_api.requests_transport import DeadlineAdapter, RequestsTransport
from offcloud_api.simulator import Simulator
from offcloud_api.transport import Request

from .helpers import bearer


@pytest.fixture
def transport(simulator: Simulator) -> Iterator[RequestsTransport]:
    if simulator.ca_cert_path is None:
        pytest.skip("no certificate for the HTTPS tunnel here")
    session = requests.Session()
    session.trust_env = False
    session.mount("https://", DeadlineAdapter())
    session.mount("http://", DeadlineAdapter())
    session.proxies = {"https": simulator.proxy_url, "http": simulator.proxy_url}
    session.verify = simulator.ca_cert_path
    with session:
        yield RequestsTransport(session, deadline=30)


@pytest.mark.parametrize("scheme", ["https", "http"])
def test_a_call_through_a_proxy_is_watched_and_answered(simulator, transport, scheme):
    adapter = transport.session.get_adapter(f"{scheme}://offcloud.com/")
    request = Request("GET", f"{scheme}://offcloud.com/api/account/info", 10, headers=bearer())
    answer = transport.send(request)
    assert answer.status == 200
    assert json.loads(answer.content)["is_premium"] is True
    (manager,) = adapter.proxy_manager.values()
    watched = {cls.ConnectionCls.__name__ for cls in manager.pool_classes_by_scheme.values()}
    assert watched == {"_WatchedHTTPConnection", "_WatchedHTTPSConnection"}
    via = "tunnel" if scheme == "https" else "proxy"
    assert [(c.via, c.path) for c in simulator.calls if c.kind == "api"] == [
        (via, "/api/account/info")
    ]

"""The Simulator object itself: repr, inject in each form, reset, no certificate, serve's stop."""

from __future__ import annotations

import io
import threading

import pytest
import requests

from offcloud_api.simulator import DEMO_API_KEY, Fault, Simulator, serve
from offcloud_api.simulator import server as server_module
from offcloud_api.simulator.tls import CertificateError

from .helpers import DEMO_LINK, add, make_scenario


def test_repr_says_where_it_listens_or_that_it_is_stopped():
    sim = Simulator(make_scenario({"name": "shown"}))
    assert repr(sim) == "Simulator('shown', stopped)"
    with sim:
        assert repr(sim) == f"Simulator('shown', {sim.url})"


def test_inject_takes_a_fault_a_mapping_or_a_kind(simulator):
    made = simulator.inject(Fault.from_dict({"kind": "rate_limit", "count": 1}))
    from_mapping = simulator.inject({"kind": "server_error"}, count=2, status=503)
    from_kind = simulator.inject("delay", delay=0.01, count=1)
    assert [f.kind for f in simulator.faults] == ["rate_limit", "server_error", "delay"]
    assert (from_mapping.count, from_mapping.status) == (2, 503)
    assert {made.id, from_mapping.id, from_kind.id} == {f.id for f in simulator.faults}


def test_reset_goes_back_to_the_start(simulator, http):
    request_id = add(http, simulator, DEMO_LINK).json()["requestId"]
    simulator.inject("rate_limit", count=5)
    assert simulator.calls
    assert request_id in simulator.state.jobs
    simulator.reset()
    assert (simulator.calls, simulator.faults) == ([], [])
    assert request_id not in simulator.state.jobs
    presets = {job.request_id for job in simulator.scenario.jobs}
    assert presets <= set(simulator.state.jobs)


@pytest.fixture
def no_certificate(monkeypatch):
    def refuse(_hosts):
        raise CertificateError("openssl is not installed")

    monkeypatch.setattr(server_module, "certificate_for", refuse)


def test_without_a_certificate_the_api_still_answers_and_https_proxying_is_off(
    no_certificate, http
):
    with Simulator(make_scenario()) as sim:
        with pytest.raises(CertificateError, match="openssl is not installed"):
            sim.ca_cert_path  # noqa: B018 - the property is what is tested
        assert http.get(sim.url + "/_sim/faults", timeout=10).json() == []


def test_serve_says_when_https_proxying_is_off_and_stops_on_ctrl_c(no_certificate):
    out = io.StringIO()

    class CtrlC:
        def wait(self, _timeout):
            raise KeyboardInterrupt

    assert serve(port=0, out=out, stop=CtrlC()) == 0
    text = out.getvalue()
    assert "HTTPS proxying is off: openssl is not installed" in text
    assert DEMO_API_KEY in text
    assert text.endswith("\nStopping the Offcloud simulator.\n")


def test_serve_stops_when_told_to(no_certificate):
    stop = threading.Event()
    stop.set()
    out = io.StringIO()
    assert serve(port=0, out=out, stop=stop) == 0
    listening = out.getvalue().split("listening on ", 1)[1].split()[0]
    with pytest.raises(requests.ConnectionError):
        requests.get(listening + "/_sim/faults", timeout=5)

"""Small edges of the simulator's parts: no certificate tool, no account, odd links."""

from __future__ import annotations

import subprocess

import pytest

from offcloud_api.simulator import Scenario, Simulator
from offcloud_api.simulator import tls as tls_module
from offcloud_api.simulator.records import normalize_link
from offcloud_api.simulator.tls import CertificateError


def _no_cryptography(names, files):
    raise ImportError("pretend cryptography is missing")


def test_without_cryptography_or_openssl_the_error_says_what_to_install(monkeypatch):
    monkeypatch.setattr(tls_module, "_with_cryptography", _no_cryptography)
    monkeypatch.setattr(tls_module.shutil, "which", lambda name: None)
    with pytest.raises(CertificateError, match=r"install the 'cryptography' package"):
        tls_module.certificate_for(["no-tools.test"])


def test_a_failing_openssl_says_what_it_printed(monkeypatch):
    monkeypatch.setattr(tls_module, "_with_cryptography", _no_cryptography)
    monkeypatch.setattr(tls_module.shutil, "which", lambda name: "/usr/bin/openssl")

    def failing(command, **_kwargs):
        return subprocess.CompletedProcess(command, 1, "", "unable to write 'random state'\n")

    monkeypatch.setattr(tls_module.subprocess, "run", failing)
    with pytest.raises(CertificateError, match=r"openssl failed: unable to write 'random state'"):
        tls_module.certificate_for(["failing-openssl.test"])


def test_a_storage_quota_needs_an_account():
    sim = Simulator(Scenario(name="nobody"))
    with pytest.raises(KeyError, match="no account"):
        sim.set_storage("1 MiB")


@pytest.mark.parametrize(
    "text", ["http://host.test:port/x", "ftp://host.test/x", "http:///x", "not a link"]
)
def test_links_that_are_not_plain_http_urls_are_kept_as_they_are(text):
    assert normalize_link(text) == text

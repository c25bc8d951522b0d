"""Client construction, account info and supported sites (doc §1, §3.7, §5)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import requests
from responses import matchers

from offcloud_api import DEFAULT_BASE_URL, OffcloudAPI, RetryPolicy, SiteStatus, __version__
from offcloud_api.exceptions import (
    AuthError,
    EndpointRemovedError,
    InvalidResponseError,
    NotFoundError,
    RateLimitError,
    RouteNotFoundError,
    ServerError,
)

BASE = "https://offcloud.com/api"
KEY = "SECRET-KEY-123"
FIXTURES = Path(__file__).parent / "fixtures"
HTML_404 = (FIXTURES / "html_404_L3.html").read_text(encoding="utf-8")
HTML_405 = (FIXTURES / "html_405_L3.html").read_text(encoding="utf-8")


# ---------------------------------------------------------------------------------------------
# construction


def test_base_url_argument_wins_over_environment(monkeypatch):
    monkeypatch.setenv("OFFCLOUD_API_URL", "http://env.example/api")
    client = OffcloudAPI(KEY, base_url="http://arg.example/api/")
    assert client.base_url == "http://arg.example/api"


def test_base_url_from_environment(monkeypatch):
    monkeypatch.setenv("OFFCLOUD_API_URL", "http://127.0.0.1:8765/api/")
    assert OffcloudAPI(KEY).base_url == "http://127.0.0.1:8765/api"


def test_base_url_default(monkeypatch):
    monkeypatch.delenv("OFFCLOUD_API_URL", raising=False)
    client = OffcloudAPI(KEY)
    assert client.base_url == DEFAULT_BASE_URL == "https://offcloud.com/api"


@pytest.mark.parametrize(
    ("base_url", "site_url"),
    [
        ("https://offcloud.com/api", "https://offcloud.com"),
        ("http://127.0.0.1:8765/api/", "http://127.0.0.1:8765"),
        ("http://127.0.0.1:8765", "http://127.0.0.1:8765"),
    ],
    ids=["default", "simulator", "no-api-suffix"],
)
def test_site_url(base_url, site_url):
    assert OffcloudAPI(KEY, base_url=base_url).site_url == site_url


def test_repr_shows_no_key():
    text = repr(OffcloudAPI(KEY, base_url=BASE))
    assert text == "OffcloudAPI(base_url='https://offcloud.com/api')"
    assert KEY not in text


def test_session_and_transport_together_are_refused():
    class Dummy:
        def send(self, request):
            raise AssertionError("not used")

        def close(self):
            pass

    with pytest.raises(ValueError, match="either session or transport"):
        OffcloudAPI(KEY, session=requests.Session(), transport=Dummy())


def test_injected_session_is_used_and_not_closed(mocked, payload):
    closed: list[bool] = []

    class TrackingSession(requests.Session):
        def close(self):
            closed.append(True)
            super().close()

    session = TrackingSession()
    session.headers["X-From-Pyload"] = "yes"
    mocked.get(
        f"{BASE}/account/info",
        json=payload("account_info_2026"),
        match=[matchers.header_matcher({"X-From-Pyload": "yes", "Authorization": f"Bearer {KEY}"})],
    )
    with OffcloudAPI(KEY, base_url=BASE, session=session) as client:
        assert client.session is session
        assert client.get_account_stats().is_premium is True
    assert closed == []
    session.close()
    assert closed == [True]


def test_owned_session_is_closed(monkeypatch):
    client = OffcloudAPI(KEY, base_url=BASE)
    assert isinstance(client.session, requests.Session)
    closed: list[bool] = []
    monkeypatch.setattr(client.session, "close", lambda: closed.append(True))
    with client:
        pass
    assert closed == [True]


def test_custom_timeout_and_user_agent_are_sent(mocked, payload):
    mocked.get(
        f"{BASE}/account/info",
        json=payload("account_info_2026"),
        match=[
            matchers.request_kwargs_matcher({"timeout": 5}),
            matchers.header_matcher({"User-Agent": "pyload-test/1", "Accept": "application/json"}),
        ],
    )
    client = OffcloudAPI(KEY, base_url=BASE, timeout=5, user_agent="pyload-test/1")
    client.get_account_stats()


def test_default_user_agent(mocked, api, payload):
    mocked.get(
        f"{BASE}/account/info",
        json=payload("account_info_2026"),
        match=[matchers.header_matcher({"User-Agent": f"offcloud-pyload/{__version__}"})],
    )
    api.get_account_stats()


@pytest.mark.parametrize("key", [None, ""], ids=["none", "empty"])
def test_no_api_key_raises_auth_error_without_any_call(mocked, key):
    client = OffcloudAPI(key, base_url=BASE, retry=RetryPolicy.never())
    with pytest.raises(AuthError, match="no API key") as caught:
        client.get_account_stats()
    assert caught.value.method == "GET"
    assert caught.value.path == "/account/info"
    assert len(mocked.calls) == 0


# ---------------------------------------------------------------------------------------------
# account: 2026 /account/info, legacy /account/stats (doc §3.7)


def test_account_info_2026(mocked, api, strict, payload):
    mocked.get(f"{BASE}/account/info", json=payload("account_info_2026"), match=strict())
    info = api.get_account_stats()
    assert info.is_premium is True
    assert info.can_download is True
    assert info.user_id == "53f89e52822c8bf413000008"
    assert info.email == "test@test.com"
    assert info.expiration == date(2026, 12, 31)
    assert info.limits == {}
    assert info.api_generation == "2026"
    assert api.api_generation == "2026"


def test_account_info_live_l16(mocked, api, strict, payload):
    # §00 L16: the 2026 account answer; is_premium is the only plan signal.
    mocked.get(f"{BASE}/account/info", json=payload("account_info_live_L16"), match=strict())
    assert api.api_generation is None
    assert api.instant_available() is None
    info = api.get_account_stats()
    assert (info.is_premium, info.can_download, info.expiration) == (
        True,
        True,
        date(2026, 12, 31),
    )
    assert (info.user_id, info.email, info.api_generation) == (
        "5f0c1d2e3a4b5c6d7e8f9012",
        "user@example.com",
        "2026",
    )
    assert api.instant_available() is False  # L4: no instant on the 2026 API


def test_bad_key_l2(mocked, api, payload):
    mocked.get(f"{BASE}/account/info", status=401, json=payload("error_noauth_L2"))
    with pytest.raises(AuthError) as caught:
        api.get_account_stats()
    assert (caught.value.status, caught.value.code) == (401, "NOAUTH")
    assert api.api_generation is None


@pytest.mark.parametrize(
    ("status", "body", "content_type"),
    [
        (404, HTML_404, "text/html; charset=UTF-8"),  # §00 L3: unknown path, HTML page
        (405, HTML_405, "text/html; charset=UTF-8"),  # §00 L3: wrong verb, Symfony's page
        (404, HTML_404, "application/octet-stream"),  # HTML whatever the content type says
        (200, HTML_404, "text/html"),  # HTML where JSON was expected
        (405, "", "text/plain"),  # any 405
        (404, "Not Found", "text/plain"),  # a 404 that is not JSON
        (404, "", None),
    ],
    ids=["html-404-L3", "html-405-L3", "html-body-404", "html-200", "405", "text-404", "empty-404"],
)
def test_missing_route_falls_back_to_legacy_l3(mocked, api, payload, status, body, content_type):
    modern = mocked.get(f"{BASE}/account/info", status=status, body=body, content_type=content_type)
    legacy = mocked.get(f"{BASE}/account/stats", json=payload("account_stats_legacy"))
    info = api.get_account_stats()
    assert info.api_generation == "legacy"
    assert api.api_generation == "legacy"
    assert api.instant_available() is True
    api.get_account_stats()
    assert (modern.call_count, legacy.call_count) == (1, 2)  # remembered


def test_html_500_is_a_server_error_not_a_missing_route(mocked, api, sleeps):
    # An outage page is not "no such route": retried, and never a fallback.
    mocked.get(f"{BASE}/account/info", status=500, body=HTML_404, content_type="text/html")
    with pytest.raises(ServerError, match="HTML error page"):
        api.get_account_stats()
    assert len(mocked.calls) == 3
    assert api.api_generation is None


def test_json_404_is_an_unknown_id_not_a_missing_route(mocked, api):
    mocked.get(f"{BASE}/account/info", status=404, json={"error": "Transfer not found"})
    with pytest.raises(NotFoundError) as caught:
        api.get_account_stats()
    assert type(caught.value) is NotFoundError
    assert len(mocked.calls) == 1


def test_html_429_stays_a_rate_limit(mocked, api, sleeps):
    mocked.get(f"{BASE}/account/info", status=429, body=HTML_404, content_type="text/html")
    with pytest.raises(RateLimitError):
        api.get_account_stats()


def test_api_generation_given_and_checked():
    assert OffcloudAPI(KEY, api_generation="2026").instant_available() is False
    assert OffcloudAPI(KEY, api_generation="legacy").api_generation == "legacy"
    with pytest.raises(ValueError, match="api_generation"):
        OffcloudAPI(KEY, api_generation="2025")


def test_account_falls_back_to_legacy_stats_and_remembers(mocked, api, strict, payload):
    modern = mocked.get(
        f"{BASE}/account/info", status=404, body=HTML_404, content_type="text/html", match=strict()
    )
    legacy = mocked.get(
        f"{BASE}/account/stats", json=payload("account_stats_legacy"), match=strict()
    )

    info = api.get_account_stats()
    assert info.is_premium is True
    assert info.expiration == date(2019, 12, 31)
    assert info.is_expired is True
    assert info.limits == {
        "links": None,  # "unlimited"
        "premium": 5,
        "torrent": 20,
        "streaming": None,
        "cloud": 107374182400,
        "proxy": 1073741824,
    }

    api.get_account_stats()  # the 404 is remembered: straight to the legacy route
    assert modern.call_count == 1
    assert legacy.call_count == 2
    assert len(mocked.calls) == 3


def test_legacy_stats_with_unix_seconds(mocked, api):
    mocked.get(f"{BASE}/account/info", status=404)
    mocked.get(
        f"{BASE}/account/stats",
        json={"userId": "u1", "isPremium": "false", "expirationDate": 1767139200},
    )
    info = api.get_account_stats()
    assert info.expiration == date(2025, 12, 31)
    assert info.is_premium is False


def test_account_401_is_auth_error_and_no_fallback(mocked, api):
    mocked.get(f"{BASE}/account/info", status=401, json={"error": "NOAUTH"})
    with pytest.raises(AuthError) as caught:
        api.get_account_stats()
    assert caught.value.status == 401
    assert caught.value.code == "NOAUTH"
    assert len(mocked.calls) == 1


def test_account_shape_error_names_the_route(mocked, api):
    mocked.get(f"{BASE}/account/info", json=["not", "an", "object"])
    with pytest.raises(InvalidResponseError, match=r"unexpected answer from GET /account/info"):
        api.get_account_stats()


# ---------------------------------------------------------------------------------------------
# sites (doc §5)


def test_sites_legacy_rich_objects(mocked, api, strict, payload):
    mocked.get(f"{BASE}/sites", json=payload("sites_legacy"), match=strict())
    sites = {site.name: site for site in api.get_supported_sites()}

    assert [s.status for s in sites.values()] == [
        SiteStatus.HEALTHY,
        SiteStatus.FRAGILE,
        SiteStatus.LIMITED,
        SiteStatus.DEAD,
        SiteStatus.CLOUD_ONLY,
        SiteStatus.AWAITING_DEMAND,
        SiteStatus.HEALTHY,
    ]
    rapidgator = sites["rapidgator"]
    assert rapidgator.domains == ("rapidgator.net", "rg.to", "rapidgator")
    assert (rapidgator.max_chunks, rapidgator.max_chunks_global) == (16, 20)
    assert rapidgator.max_amount_per_user is None  # "unlimited"
    assert rapidgator.cloud_only is False
    uploaded = sites["uploaded"]
    assert (uploaded.max_chunks, uploaded.max_chunks_global) == (None, None)
    assert uploaded.max_amount_per_user == 10737418240
    assert sites["nitroflare"].max_chunks == 4  # "4"
    assert sites["1fichier"].cloud_only is True
    assert sites["tf1"].domains == ("tf1", "tf1.fr")
    assert sites["tf1"].status.is_usable is False
    assert sites["filefactory"].status.is_usable is False


def test_sites_2026_name_and_status(mocked, api, strict, payload):
    mocked.get(f"{BASE}/sites", json=payload("sites_2026"), match=strict())
    sites = api.get_supported_sites()
    assert [(s.name, s.status) for s in sites] == [
        ("rapidgator.net", SiteStatus.HEALTHY),
        ("filefactory.com", SiteStatus.DEAD),
    ]
    assert sites[0].domains == ("rapidgator.net",)


def test_sites_website_envelope(mocked, api):
    # The website variant (doc §5.2): {"fs": [...]}, domains in "tags", deadFor means dead.
    mocked.get(
        f"{BASE}/sites",
        json={
            "fs": [
                {
                    "name": "k2s",
                    "displayName": "k2s.cc",
                    "tags": ["k2s.cc", "keep2share.cc"],
                    "isActive": "Healthy",
                    "deadFor": "3 days",
                    "maxAmount": 1000,
                },
            ]
        },
    )
    (site,) = api.get_supported_sites()
    assert site.status is SiteStatus.DEAD
    assert site.hosts == ("k2s.cc", "keep2share.cc")
    assert site.max_amount_per_user == 1000


def test_sites_html_body_is_a_missing_route(mocked, api, sleeps):
    # §00 L3: HTML where JSON was expected means "no such route here" (Gaia saw HTML for
    # /api/sites, doc §4.1): not retried, and the page is not in the message.
    mocked.get(f"{BASE}/sites", body="<!DOCTYPE html><html><body>Login</body></html>")
    with pytest.raises(RouteNotFoundError, match="HTML page") as caught:
        api.get_supported_sites()
    assert "<html" not in str(caught.value)
    assert caught.value.status == 200
    assert len(mocked.calls) == 1
    assert sleeps.calls == []


def test_sites_bare_names_l17(mocked, api, strict, payload):
    mocked.get(f"{BASE}/sites", json=payload("sites_bare_names_L17"), match=strict())
    sites = api.get_supported_sites()
    assert [(s.name, s.status, s.status.is_usable) for s in sites] == [
        ("rapidgator", SiteStatus.HEALTHY, True),
        ("nitroflare.com", SiteStatus.HEALTHY, True),
        ("1fichier", SiteStatus.DEAD, False),
    ]
    assert sites[0].domains == ("rapidgator",)


def test_sites_bare_strings_and_empty_list(mocked, api):
    mocked.get(f"{BASE}/sites", json=["rapidgator", "nitroflare.com"])
    mocked.get(f"{BASE}/sites", json=[])
    sites = api.get_supported_sites()
    assert [(s.name, s.status) for s in sites] == [
        ("rapidgator", SiteStatus.UNKNOWN),
        ("nitroflare.com", SiteStatus.UNKNOWN),
    ]
    assert all(s.status.is_usable for s in sites)
    assert api.get_supported_sites() == []


def test_sites_junk_items_are_skipped_and_counted(mocked, api, caplog):
    caplog.set_level("DEBUG", logger="offcloud_api")
    mocked.get(
        f"{BASE}/sites",
        json=[
            {"name": "rapidgator", "status": "up"},
            {"status": "up"},  # no name
            None,
            42,
            ["nested"],
            {"name": {"not": "text"}},
            "",
            {"host": "k2s.cc", "isActive": "Healthy", "domains": ["k2s.cc", "keep2share.cc"]},
        ],
    )
    sites = api.get_supported_sites()
    assert [s.name for s in sites] == ["rapidgator", "k2s.cc"]
    assert sites[1].domains == ("k2s.cc", "keep2share.cc")
    assert "skipped 6 unreadable of 8 items in GET /sites" in caplog.text


def test_sites_not_a_list(mocked, api):
    mocked.get(f"{BASE}/sites", json={"unexpected": True})
    with pytest.raises(InvalidResponseError, match="GET /sites"):
        api.get_supported_sites()


def test_chunk_limits(mocked, api, strict, payload):
    mocked.get(f"{BASE}/sites/chunks", json=payload("sites_chunks_legacy"), match=strict())
    assert api.get_chunk_limits() == {
        "rapidgator.net": (16, 20),
        "uploaded.net": (None, 5),
    }


def test_removed_endpoint_is_not_a_missing_2026_route(monkeypatch, api):
    # EndpointRemovedError is a RouteNotFoundError, but it means "gone", not "try the legacy
    # route".
    paths: list[str] = []

    def removed(method, path, **kwargs):
        paths.append(path)
        raise EndpointRemovedError("gone", feature="account", status=404, method=method, path=path)

    monkeypatch.setattr(api, "_request", removed)
    with pytest.raises(EndpointRemovedError):
        api.get_account_stats()
    assert paths == ["/account/info"]
    with pytest.raises(EndpointRemovedError):
        api.get_account_stats()
    assert paths == ["/account/info", "/account/info"]  # not remembered as legacy either

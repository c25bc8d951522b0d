"""Client construction, account info and supported sites (doc §1, §3.7, §5)."""

from __future__ import annotations

from datetime import date

import pytest
import requests
from responses import matchers

from offcloud_api import DEFAULT_BASE_URL, OffcloudAPI, RetryPolicy, SiteStatus, __version__
from offcloud_api.exceptions import AuthError, EndpointRemovedError, InvalidResponseError

BASE = "https://offcloud.com/api"
KEY = "SECRET-KEY-123"


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


def test_account_falls_back_to_legacy_stats_and_remembers(mocked, api, strict, payload):
    modern = mocked.get(
        f"{BASE}/account/info", status=404, json={"error": "Not Found"}, match=strict()
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


def test_sites_html_body_is_invalid_response_after_retries(mocked, api, sleeps):
    # Gaia: "Sometimes error HTML page is returned" for /api/sites (doc §4.1).
    mocked.get(f"{BASE}/sites", body="<!DOCTYPE html><html><body>Login</body></html>")
    with pytest.raises(InvalidResponseError, match="got an HTML page") as caught:
        api.get_supported_sites()
    assert "<html" not in str(caught.value)
    assert caught.value.status == 200
    assert len(mocked.calls) == 3  # idempotent: retried
    assert sleeps.calls == [0.5, 1.0]


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
    # EndpointRemovedError is a NotFoundError, but it means "gone", not "try the legacy route".
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

"""The OAuth device flow (docs/api.md §1.4), and the activation page a test acts on.

Family ``oauth``: on with ``api.modern`` and ``api.oauth`` (the ``rich`` profile turns it on).
``/_sim/oauth`` is the simulator's control route standing in for the user on the website.
"""

from __future__ import annotations

from typing import Union

from .http_messages import ApiRequest, Reply, json_reply
from .routes_common import Ctx, RoutesBase, RouteTable

__all__ = ["OAUTH_ROUTES", "OAuthRoutes"]

OAUTH_ROUTES = RouteTable()


class OAuthRoutes(RoutesBase):
    """Answers ``/oauth/device/code`` and ``/oauth/token``; drives the codes for tests."""

    @OAUTH_ROUTES.route("POST", r"/oauth/device/code", "oauth", auth=False)
    def device_code(self, ctx: Ctx) -> Reply:
        device = self.state.start_device()
        options = self.state.scenario.oauth
        return json_reply(
            {
                "device_code": device.device_code,
                "user_code": device.user_code,
                "verification_uri": "https://offcloud.com/activate",
                "verification_uri_complete": f"https://offcloud.com/activate?code={device.user_code}",
                "interval": _json_number(options.interval),
                "expires_in": _json_number(options.expires_in),
            }
        )

    @OAUTH_ROUTES.route("POST", r"/oauth/token", "oauth", auth=False)
    def token(self, ctx: Ctx) -> Reply:
        """Pending, slow_down, denied, expired (HTTP 400, §1.4's texts) or the token.

        The status of the errors is the one JACK's fixture shows for pending (§1.4: [ONCE]).
        """
        grant = ctx.request.param("grant_type") or ""
        if grant != "urn:ietf:params:oauth:grant-type:device_code":
            return json_reply({"error": "unsupported_grant_type"}, 400)
        outcome, token = self.state.poll_device(ctx.request.param("device_code") or "")
        if token is not None:
            return json_reply({"access_token": token, "token_type": "Bearer"})
        description = _OAUTH_DESCRIPTIONS.get(outcome, outcome)
        return json_reply({"error": outcome, "error_description": description}, 400)

    def oauth_control(self, request: ApiRequest) -> Reply:
        """``/_sim/oauth``: ``GET`` lists the device codes; ``POST {"action": "approve" | "deny"
        | "expire", "user_code"?, "account"?}`` acts as the user on the activation page (the
        newest pending code unless ``user_code`` names one)."""
        if request.method == "GET":
            return json_reply(self.state.device_snapshot())
        if request.method != "POST":
            return json_reply({"error": "use GET or POST on /_sim/oauth"}, 405)
        action = request.param("action") or ""
        try:
            device = self.state.decide_device(
                action, request.param("user_code"), request.param("account")
            )
        except ValueError as exc:
            return json_reply({"error": str(exc)}, 400)
        except KeyError as exc:
            return json_reply({"error": f"unknown device code or account: {exc.args[0]}"}, 404)
        return json_reply({"user_code": device.user_code, "action": action})


def _json_number(value: float) -> Union[int, float]:
    """A whole number of seconds as an integer, as Offcloud sends it (§1.4: ``"interval":5``)."""
    return int(value) if value.is_integer() else value


#: ``error_description`` of each device-flow error (§1.4's texts where it gives one).
_OAUTH_DESCRIPTIONS = {
    "authorization_pending": "The user has not yet authorized the device",
    "slow_down": "Polling too frequently; increase the interval by 5 seconds",
    "access_denied": "The user denied authorization",
    "expired_token": "The device code has expired",
    "invalid_grant": "Unknown device code",
}

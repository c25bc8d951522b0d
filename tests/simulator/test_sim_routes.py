"""The simulator's route table: the per-profile modules join without one route hiding another."""

from __future__ import annotations

from offcloud_api.simulator import routes
from offcloud_api.simulator.routes_common import ID, Route


def _sample_path(route: Route) -> str:
    return route.pattern.pattern.replace(ID, "0896d1afc0082e232c9b10a6").removesuffix("/?$")


def test_live_routes_come_first() -> None:
    families = [candidate.family for candidate in routes._ROUTE_ORDER]
    first_other = next(i for i, family in enumerate(families) if family != "live")
    assert families[:first_other] == ["live"] * first_other
    assert "live" not in families[first_other:]


def test_no_route_outside_live_hides_another() -> None:
    """Outside the live family, the order of the tables cannot change which route answers."""
    others = [c for c in routes._ROUTE_ORDER if c.family != "live"]
    for candidate in others:
        path = _sample_path(candidate)
        assert candidate.pattern.match(path), candidate
        rivals = [
            other
            for other in others
            if other is not candidate
            and other.method == candidate.method
            and other.pattern.match(path)
            and {other.family, candidate.family} != {"modern", "live_cache_download"}
        ]
        assert not rivals, (candidate, rivals)


def test_every_handler_is_a_method_of_api() -> None:
    for candidate in routes._ROUTE_ORDER:
        assert getattr(routes.Api, candidate.handler.__name__) is candidate.handler

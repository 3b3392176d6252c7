"""Register hands out only ids that no call has used: every path that writes anything
for a user id marks it as used, in the same transaction."""

from collections.abc import Callable

import pytest

from tests.support.handlers import Call

FirstTouch = Callable[[Call, int], None]


def _removal_from_an_automatic_segment(call: Call, user_id: int) -> None:
    reply = call(
        "delete_from_segment", "DELETE", f"/api/users/{user_id}/delete_from_segment", ["AUTO"]
    )
    assert reply.status == 200


def _exclusion_outside_the_share(call: Call, user_id: int) -> None:
    reply = call("change_segments", "PATCH", f"/api/users/{user_id}/segments", {"remove": ["NONE"]})
    assert reply.status == 200


def _first_exposure(call: Call, user_id: int) -> None:
    reply = call("show_active_segments", "GET", f"/api/users/{user_id}/show_active_segments")
    assert reply.json["Slugs"] == ["AUTO"]


def _add(call: Call, user_id: int) -> None:
    reply = call("add_to_segment", "POST", f"/api/users/{user_id}/add_to_segment", ["MANUAL"])
    assert reply.status == 201


@pytest.mark.parametrize(
    "first_touch",
    [_removal_from_an_automatic_segment, _exclusion_outside_the_share, _first_exposure, _add],
)
def test_an_id_a_call_wrote_for_is_never_registered(call: Call, first_touch: FirstTouch) -> None:
    # Given an automatic segment everyone is in, one nobody is in, and a manual one
    for body in ({"slug": "AUTO", "percent": 100}, {"slug": "NONE", "percent": 0.01}):
        assert call("create_segment", "POST", "/api/segments", body).status == 201
    assert call("create_segment", "POST", "/api/segments", {"slug": "MANUAL"}).status == 201
    # When a call writes something for ids 1 and 2 before anyone registered
    first_touch(call, 1)
    first_touch(call, 2)
    # Then register skips both
    assert call("register", "POST", "/auth/register").json == {"id": 3}

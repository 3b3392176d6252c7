"""The reference README's curl examples, verbatim, against the local stack, and the
requirements' worked example."""

import json
import shlex
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest

from segmentation_client import Conflict, InvalidRequest, NotFound, TimedGrant
from tests.support.client import Client

# The contract, kept beside the tests; CI's shared/ copy must say the same (checked below).
REFERENCE = Path(__file__).resolve().parents[1] / "fixtures" / "reference-api-README.md"
SHARED = Path(__file__).resolve().parents[3] / "shared" / "reference" / "reference-api-README.md"


def reference_curls() -> list[str]:
    """The reference README's request blocks that are curl commands, in order."""
    text = REFERENCE.read_text()
    blocks = text.split("```")[1::2]
    return [block.strip() for block in blocks if block.strip().startswith("curl")]


def run_curl(command: str, base_url: str, *extra: str) -> tuple[int, str]:
    args = shlex.split(command.replace("\\\n", " "))
    args = [arg.replace("http://localhost:8000", base_url) for arg in args]
    result = subprocess.run(
        [*args, *extra, "-s", "-o", "-", "-w", "\n%{http_code}"],
        capture_output=True,
        text=True,
        check=True,
    )
    body, _, status = result.stdout.rpartition("\n")
    return int(status), body


def test_the_kept_contract_is_the_shared_one() -> None:
    if SHARED.exists():
        assert SHARED.read_text() == REFERENCE.read_text()


def test_reference_curl_examples_work_verbatim(client: Client) -> None:
    curls = reference_curls()
    assert len(curls) == 7
    # A fresh id from register, then the README's own flow; the stack is shared, so the
    # reference's segment may exist from an earlier run of this test in the same stack.
    client.request("DELETE", "/api/segments/AVITO_TEST_SEGMENT")
    answers = [run_curl(command, client.base_url) for command in curls[:6]]
    statuses = [status for status, _ in answers]
    assert statuses == [201, 201, 201, 200, 200, 200]
    bodies = [json.loads(body) for _, body in answers]
    assert set(bodies[0]) == {"id"}
    assert set(bodies[1]) == {"id"}
    assert bodies[2] == {"status": "ok"}
    assert bodies[3]["User_id"] == 1
    assert "AVITO_TEST_SEGMENT" in bodies[3]["Slugs"]
    assert bodies[4] == {"status": "ok"}
    assert bodies[5] == {"status": "ok"}

    # The history report: the reference asks for text/csv, and gets a 303 to the file.
    status, _ = run_curl(curls[6], client.base_url)
    assert status == 303
    status, csv_text = run_curl(curls[6], client.base_url, "-L")
    assert status == 200
    assert csv_text.splitlines()[0] == "UserID,Slug,Operation,Timestamp,Reason"


def test_worked_example(client: Client) -> None:
    names = ["VOICE_MESSAGES", "PERFORMANCE_VAS", "DISCOUNT_30", "DISCOUNT_50"]
    voice, vas, d30, d50 = (client.new_slug(f"AVITO_{name}") for name in names)
    users = [client.new_user() for _ in range(3)]
    assert client.add_to_segment(users[0], [voice, vas, d30]).status == "ok"
    assert client.add_to_segment(users[1], [voice, d50]).status == "ok"
    assert client.slugs(users[0]) == sorted([voice, vas, d30])
    assert client.slugs(users[1]) == sorted([voice, d50])
    assert client.slugs(users[2]) == []


def test_errors_are_json_and_4xx(client: Client) -> None:
    slug = client.new_slug()
    cases = [
        ("POST", "/api/users/abc/add_to_segment", [slug], 400),
        ("POST", "/api/users/1/add_to_segment", [], 400),
        ("POST", "/api/users/1/add_to_segment", ["NO_SUCH_SEGMENT_EVER"], 404),
        ("POST", "/api/segments", {"slug": slug}, 409),
        ("DELETE", "/api/segments/NO_SUCH_SEGMENT_EVER", None, 404),
        ("GET", "/api/no/such/route", None, 404),
    ]
    for method, path, body, status in cases:
        reply = client.request(method, path, body)
        assert reply.status_code == status, (method, path, reply.text)
        assert isinstance(reply.json()["message"], str)
    malformed = client.request(
        "POST",
        "/api/users/1/add_to_segment",
        data="[oops",
        headers={"Content-Type": "application/json"},
    )
    assert malformed.status_code == 400
    assert "JSON" in malformed.json()["message"]


def test_the_client_raises_typed_errors_with_the_service_message(client: Client) -> None:
    slug = client.new_slug()
    with pytest.raises(Conflict, match=slug):
        client.create_segment(slug)
    with pytest.raises(NotFound) as unknown:
        client.add_to_segment(1, ["NO_SUCH_SEGMENT_EVER"])
    assert "NO_SUCH_SEGMENT_EVER" in unknown.value.message
    with pytest.raises(InvalidRequest):
        client.add_to_segment(1, [])


def test_the_client_covers_segments_changes_and_the_export(client: Client) -> None:
    slug, other = client.new_slug("CLIENT"), client.new_slug("CLIENT")
    assert client.create_segment(f"{slug}_AUTO", description="half", percent=50).id > 0
    assert client.update_segment(f"{slug}_AUTO", 0).percent == 0
    listed = {segment.slug: segment for segment in client.list_segments().segments}
    assert listed[f"{slug}_AUTO"].description == "half"
    assert listed[f"{slug}_AUTO"].percent == 0
    user_id = client.new_user()
    change = client.change_segments(user_id, add=[slug, TimedGrant(other, ttl_seconds=3600)])
    assert sorted(change.added) == sorted([slug, other])
    timed = {s.slug: s for s in client.get_user_segments(user_id).segments}
    assert timed[other].expires_at is not None
    assert timed[slug].expires_at is None
    assert client.delete_from_segment(user_id, [slug]).status == "ok"
    assert client.slugs(user_id) == [other]
    now = datetime.now(UTC)
    link = client.show_segments_history(now.year, now.month, user_id=user_id)
    assert link.rows == 3  # two entries, one exit
    csv_text = client.download(link.url).decode()
    assert csv_text.splitlines()[1].startswith(f"{user_id},")
    assert client.delete_segment(f"{slug}_AUTO").status == "ok"

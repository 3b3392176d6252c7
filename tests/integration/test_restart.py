"""`make run` keeps its data in a folder: stop the stack (or kill it), start it again on the
same folder, and everything is back, over HTTP. Tests use a temporary folder, never the
developer's; a stack started without one starts empty."""

import socket
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from local_stack.persistence import SNAPSHOT, DataFolderMismatch, LocalData
from local_stack.template import DEFAULT_TEMPLATE, load_template
from local_stack.testing import running_stack
from segmentation_client import TimedGrant
from tests.support.client import Client


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def journal_lines(folder: Path) -> int:
    return sum(path.read_text().count("\n") for path in folder.glob("journal-*.jsonl"))


def settled_journal_lines(folder: Path) -> int:
    """The journal's length once the writes that follow earlier calls have landed (the
    member counts, summed from the history stream a moment later): unchanged for 3 s."""
    count, steady = journal_lines(folder), 0
    for _ in range(60):
        time.sleep(1)
        count, previous = journal_lines(folder), count
        steady = steady + 1 if count == previous else 0
        if steady == 3:
            break
    return count


def test_data_survives_a_restart_and_a_stack_without_a_folder_starts_empty(
    tmp_path: Path,
) -> None:
    # The same AWS port both times, as `make run` has: presigned links name it.
    folder = ("--data-dir", str(tmp_path), f"--aws-port={free_port()}")
    now = datetime.now(UTC)
    with running_stack(extra_args=folder) as first:
        api = Client(first.base_url)
        kept, gone, timed = api.new_slug("KEEP"), api.new_slug("GONE"), api.new_slug("TIMED")
        user_id = api.new_user()
        api.add_to_segment(user_id, [kept, gone, TimedGrant(timed, ttl_seconds=3600)])
        api.delete_from_segment(user_id, [gone])
        before = api.get_user_segments(user_id)
        link = api.show_segments_history(now.year, now.month, user_id=user_id)
        written = settled_journal_lines(tmp_path)
        api.list_segments()
        api.show_active_segments(user_id)
        assert journal_lines(tmp_path) == written > 0, "changes journaled, reads not"
    # A clean stop leaves a snapshot and an empty journal: the restart replays nothing.
    assert (tmp_path / SNAPSHOT).exists()
    assert journal_lines(tmp_path) == 0

    with running_stack(extra_args=folder) as second:
        api = Client(second.base_url)
        assert api.get_user_segments(user_id) == before
        assert {kept, gone, timed} <= {s.slug for s in api.list_segments().segments}
        assert api.new_user() > user_id  # the id counter survived too
        # The link made before the restart still downloads the same file.
        old_file = api.download(link.url).decode()
        again = api.show_segments_history(now.year, now.month, user_id=user_id)
        assert again.rows == link.rows == 4  # three entries, one exit
        assert api.download(again.url).decode() == old_file

    with running_stack() as ephemeral:
        assert Client(ephemeral.base_url).list_segments().segments == []


def test_changes_after_the_last_snapshot_survive_a_crash(tmp_path: Path) -> None:
    folder = ("--data-dir", str(tmp_path))
    with running_stack(extra_args=folder) as first:
        api = Client(first.base_url)
        before_snapshot = api.new_slug("SNAP")
    with running_stack(extra_args=folder) as second:
        api = Client(second.base_url)
        after_snapshot = api.new_slug("JOURNAL")
        user_id = api.new_user()
        api.add_to_segment(user_id, [before_snapshot, after_snapshot])
        second.process.kill()  # no clean stop, no new snapshot
        second.process.wait()
    with running_stack(extra_args=folder) as third:
        api = Client(third.base_url)
        assert api.slugs(user_id) == sorted([before_snapshot, after_snapshot])
        assert api.new_user() == user_id + 1  # each change applied exactly once


def test_a_folder_written_for_other_tables_is_refused(tmp_path: Path) -> None:
    template = load_template(DEFAULT_TEMPLATE)
    LocalData(tmp_path).check_resources(template)
    LocalData(tmp_path).check_resources(template)  # the same definitions: fine
    changed = tmp_path / "resources.json"
    changed.write_text(changed.read_text().replace("HistoryTable", "OtherTable"))
    with pytest.raises(DataFolderMismatch, match="make reset"):
        LocalData(tmp_path).check_resources(template)


def test_an_unreadable_snapshot_is_refused_with_what_to_do(tmp_path: Path) -> None:
    (tmp_path / SNAPSHOT).write_bytes(b"not a pickle")
    with pytest.raises(DataFolderMismatch, match="make reset"):
        LocalData(tmp_path).open()

"""Moving the service's clock in tests."""

from datetime import datetime, timedelta

import pytest

from segmentation.clock import utc_now
from segmentation.domain import segments
from segmentation.domain.memberships import changes as membership_changes
from segmentation.domain.memberships import reads as membership_reads
from segmentation.settings import SETTINGS


def past_deletion_grace(monkeypatch: pytest.MonkeyPatch) -> None:
    """Segment changes from now on happen after every deletion's grace period, so a
    deleted segment's slug may be reused."""
    later = utc_now() + timedelta(seconds=SETTINGS.tombstone_grace_seconds + 1)
    monkeypatch.setattr(segments, "utc_now", lambda: later)


def freeze_membership_clock(monkeypatch: pytest.MonkeyPatch, moment: datetime) -> None:
    """Membership reads and changes see `moment` as the time from now on."""
    for module in (membership_changes, membership_reads):
        monkeypatch.setattr(module, "utc_now", lambda: moment)

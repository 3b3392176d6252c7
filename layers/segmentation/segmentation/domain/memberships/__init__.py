"""A user's memberships: the state rules (rules.py, shared with maintenance), the write
path (changes.py) and the read path (reads.py).

Precedence for one user and segment: a stored membership decides (active and not
expired: in; removed or expired: out, for good), so an explicit exclusion beats an
explicit membership, which beats the percentage of an automatic segment.
"""

from segmentation.domain.memberships.changes import (
    ChangeResult,
    SegmentGrant,
    add_memberships,
    change_memberships,
    remove_memberships,
)
from segmentation.domain.memberships.reads import ActiveMembership, active_memberships

__all__ = [
    "ActiveMembership",
    "ChangeResult",
    "SegmentGrant",
    "active_memberships",
    "add_memberships",
    "change_memberships",
    "remove_memberships",
]

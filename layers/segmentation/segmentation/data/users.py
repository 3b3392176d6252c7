"""User profile items: a user id is 'used' once its profile exists. Every write for a
user marks it in the same transaction (memberships.write_membership_changes)."""

from segmentation.data.aws_errors import conditionally
from segmentation.data.keys import PROFILE_SORT_KEY, user_partition
from segmentation.data.models import UserItem


def user_profile(user_id: int, first_seen_at: str) -> UserItem:
    return UserItem(
        user_partition(user_id), PROFILE_SORT_KEY, user_id=user_id, first_seen_at=first_seen_at
    )


def claim_user_id(user_id: int, at: str) -> bool:
    """Creates the profile unless the id is already used; True when this call claimed it."""
    profile = user_profile(user_id, at)
    return conditionally(lambda: profile.save(condition=UserItem.pk.does_not_exist()))

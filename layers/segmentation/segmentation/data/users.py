"""User profile items: a user id is 'used' once its profile exists."""

from pynamodb.exceptions import PutError

from segmentation.data.aws_errors import error_code
from segmentation.data.models import PROFILE_SORT_KEY, UserItem, user_partition


def user_profile(user_id: int, first_seen_at: str) -> UserItem:
    return UserItem(
        user_partition(user_id), PROFILE_SORT_KEY, user_id=user_id, first_seen_at=first_seen_at
    )


def claim_user_id(user_id: int, at: str) -> bool:
    """Creates the profile unless the id is already used; True when this call claimed it."""
    try:
        user_profile(user_id, at).save(condition=UserItem.pk.does_not_exist())
    except PutError as error:
        if error_code(error) == "ConditionalCheckFailedException":
            return False
        raise
    return True

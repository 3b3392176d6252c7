"""The opaque cursor of a member listing: where the next page starts, bound to the segment
generation it was made for.

A cursor is base64url (no padding) of compact JSON `{"g": <segment id>, "s": <shard>,
"u": <last user read or null>}`. Callers must treat it as opaque; it is validated field
by field on the way in, so a cursor that was cut, edited or made up is a 400 naming the
problem, and one of a deleted segment whose slug was created again is refused instead of
listing the new segment from a position that means nothing there.
"""

import base64
import binascii
import json

from segmentation.data.members import MemberPosition, valid_position
from segmentation.errors import InvalidRequest

# Far above any cursor this API makes (about 80 characters): longer is not ours.
MAX_CURSOR_CHARS = 200
_FIELDS = {"g", "s", "u"}
NOT_OURS = "cursor is not one this API returned: pass the `cursor` of the previous page as is"


def encode_cursor(segment_id: int, position: MemberPosition) -> str:
    text = json.dumps(
        {"g": segment_id, "s": position.shard, "u": position.after_user}, separators=(",", ":")
    )
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _fields(cursor: str) -> dict[str, object]:
    if len(cursor) > MAX_CURSOR_CHARS:
        raise InvalidRequest(f"cursor is over {MAX_CURSOR_CHARS} characters: {NOT_OURS}")
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        raw = base64.b64decode(padded, altchars=b"-_", validate=True)
        fields = json.loads(raw.decode("utf-8"))
    except (binascii.Error, ValueError):  # UnicodeDecodeError and JSONDecodeError are
        raise InvalidRequest(f"cursor is not base64url of JSON: {NOT_OURS}") from None
    if not isinstance(fields, dict) or set(fields) != _FIELDS:
        raise InvalidRequest(f"cursor has the wrong fields: {NOT_OURS}")
    return fields


def decode_cursor(cursor: str, segment_id: int) -> MemberPosition:
    """The position a cursor of this segment generation names; InvalidRequest otherwise."""
    fields = _fields(cursor)
    generation = fields["g"]
    if type(generation) is not int:
        raise InvalidRequest(f"cursor has no valid segment id: {NOT_OURS}")
    if generation != segment_id:
        raise InvalidRequest(
            "cursor belongs to another segment (this slug's segment was deleted and created"
            " again since, or the cursor is of another slug): start again without a cursor"
        )
    position = valid_position(fields["s"], fields["u"])
    if position is None:
        raise InvalidRequest(f"cursor has no valid position: {NOT_OURS}")
    return position

"""Value types shared by the domain and the HTTP layer: user ids and slugs."""

import re
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, Field

MAX_USER_ID = 2**63 - 1
SLUG_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,127}")
SLUG_RULE = "a slug is 1-128 letters, digits, '_', '-' or '.', starting with a letter or digit"


def check_slug(value: str) -> str:
    if not SLUG_PATTERN.fullmatch(value):
        raise ValueError(f"invalid slug {value[:140]!r}: {SLUG_RULE}")
    return value


CANONICAL_ID = re.compile(r"[1-9][0-9]*")
ID_RULE = "an id is decimal digits without sign, spaces, underscores or leading zeros"


def check_canonical_id(value: object) -> object:
    """Text (a path or query parameter) must spell the id one way only, as logs record
    the raw text: `+5`, `1_000` and `007` would be other spellings of 5, 1000 and 7."""
    if isinstance(value, str) and not CANONICAL_ID.fullmatch(value):
        raise ValueError(f"invalid id {value[:40]!r}: {ID_RULE}")
    return value


UserId = Annotated[
    int,
    Field(ge=1, le=MAX_USER_ID, description="The caller's user id"),
    BeforeValidator(check_canonical_id),  # wraps the above: runs first
]
Slug = Annotated[
    str,
    Field(
        min_length=1,
        max_length=128,
        description="Segment name: " + SLUG_RULE,
        examples=["AVITO_VOICE_MESSAGES"],
    ),
    AfterValidator(check_slug),
]

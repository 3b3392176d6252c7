"""What the handler wrapper decides about a body before Powertools or any model parses it.

Every body this API takes is small, shallow JSON. Python's parser has no limits of its own
short of the interpreter's: 1,000 nested `[` raise RecursionError and an integer of more
than 4,300 digits raises ValueError, both 500s if they reach Powertools. So the body is
parsed here once, with limits, and a body beyond them is refused with a 400.

The content type follows the reference server (gin's JSON binding reads the body as JSON
whatever it is labelled): a body that parses as JSON is taken when the type is missing
or is `application/x-www-form-urlencoded`, the type `curl -d` sends.
"""

import json
from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools.event_handler import content_types

# The deepest valid body, {"add": [{"slug": ...}]}, nests 3 levels.
MAX_JSON_DEPTH = 8
# Longer than any id (19 digits), percent or timestamp a caller has reason to send.
MAX_NUMBER_CHARS = 40
FORM_URLENCODED = "application/x-www-form-urlencoded"
NOT_JSON = (
    "the body must be JSON (Content-Type: application/json; a missing type or"
    f" {FORM_URLENCODED} is read as JSON too)"
)


class _NumberTooLong(ValueError):
    pass


class _TooDeep(ValueError):
    pass


@dataclass(frozen=True)
class BodyVerdict:
    """`status` None: hand the event on, labelled as JSON first if `relabel_as_json`;
    else the status and message to answer."""

    status: int | None = None
    message: str = ""
    relabel_as_json: bool = False


def media_type(headers: dict[str, str]) -> str:
    content_type = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
    return content_type.split(";")[0].strip().lower()


def _is_declared_json(media: str) -> bool:
    return media == content_types.APPLICATION_JSON or media.endswith("+json")


def _bounded_number(text: str) -> str:
    if len(text) > MAX_NUMBER_CHARS:
        raise _NumberTooLong
    return text


def _check_depth(value: Any) -> None:
    """Raises _TooDeep past MAX_JSON_DEPTH levels of arrays and objects, without recursion."""
    pending = [(value, 1)]
    while pending:
        current, depth = pending.pop()
        if not isinstance(current, dict | list):
            continue
        if depth > MAX_JSON_DEPTH:
            raise _TooDeep
        children = current.values() if isinstance(current, dict) else current
        pending.extend((child, depth + 1) for child in children)


def _limit_problem(body: str) -> tuple[bool, str | None]:
    """(parses as JSON, the limit it breaks or None)."""
    try:
        _check_depth(json.loads(body, parse_int=_bounded_number, parse_float=_bounded_number))
    except (_TooDeep, RecursionError):
        return True, f"invalid request: body nests deeper than {MAX_JSON_DEPTH} levels"
    except _NumberTooLong:
        return True, f"invalid request: body has a number over {MAX_NUMBER_CHARS} characters"
    except ValueError:  # json.JSONDecodeError; Powertools' message names the error
        return False, None
    return True, None


def judge_body(body: str, headers: dict[str, str]) -> BodyVerdict:
    """The verdict on a non-empty, UTF-8 body of an allowed size."""
    media = media_type(headers)
    declared_json = _is_declared_json(media)
    if not (declared_json or media in {"", FORM_URLENCODED}):
        return BodyVerdict(415, NOT_JSON)
    parses, problem = _limit_problem(body)
    if problem is not None:
        return BodyVerdict(400, problem)
    if media == FORM_URLENCODED and not parses:
        return BodyVerdict(415, NOT_JSON)
    # Invalid JSON declared as JSON or unlabelled: Powertools answers 400 naming the error.
    return BodyVerdict(relabel_as_json=parses and not declared_json)

"""`python -m local_stack.invoke FUNCTION EVENT_FILE`: one function, once, against the running
local stack's AWS (a Docker-free `sam local invoke`). The result JSON goes to stdout, the
function's logs to stderr."""

import argparse
import json
import os
import socket
import sys
import traceback
from contextlib import redirect_stdout
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from local_stack.aws import apply_environment, local_aws_env
from local_stack.events import LambdaContext
from local_stack.runtime import load_handler
from local_stack.template import DEFAULT_TEMPLATE, FunctionSpec, Template, load_template

DEFAULT_ENDPOINT = "http://127.0.0.1:4566"


def default_endpoint() -> str:
    return os.environ.get("LOCAL_AWS_ENDPOINT_URL") or os.environ.get(
        "AWS_ENDPOINT_URL", DEFAULT_ENDPOINT
    )


def find_function(template: Template, name: str) -> FunctionSpec:
    """A logical id (`RegisterFunction`), a CodeUri (`functions/register`) or its last part."""
    if name in template.functions():
        return template.function(name)
    for candidate in (Path(name), template.root / name, template.root / "functions" / name):
        if candidate.is_dir():
            return template.function_for_directory(candidate)
    known = ", ".join(sorted(template.functions()))
    raise SystemExit(f"no function {name!r} in the template (known: {known})")


def _reachable(endpoint_url: str) -> bool:
    parts = urlsplit(endpoint_url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 80), 2):
            return True
    except OSError:
        return False


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local_stack.invoke", description=__doc__)
    parser.add_argument("function", help="logical id or code directory")
    parser.add_argument("event_file", type=Path, help="event JSON ('-' for stdin)")
    parser.add_argument(
        "--aws-endpoint",
        default=default_endpoint(),
        help=f"default $LOCAL_AWS_ENDPOINT_URL, $AWS_ENDPOINT_URL or {DEFAULT_ENDPOINT}",
    )
    parser.add_argument("--template", type=Path, default=DEFAULT_TEMPLATE)
    args = parser.parse_args(argv)

    template = load_template(args.template)
    spec = find_function(template, args.function)
    text = sys.stdin.read() if str(args.event_file) == "-" else args.event_file.read_text()
    event: Any = json.loads(text)
    if not _reachable(args.aws_endpoint):
        print(
            f"No local AWS at {args.aws_endpoint}: start it (make run) or pass --aws-endpoint",
            file=sys.stderr,
        )
        return 1

    apply_environment(
        {**template.function_environment(spec.logical_id), **local_aws_env(args.aws_endpoint)}
    )
    context = LambdaContext(spec.logical_id, spec.memory_mb, spec.timeout_seconds)
    try:
        # Import inside the redirect too: loggers bind to sys.stdout when they are created.
        with redirect_stdout(sys.stderr):
            result = load_handler(spec)(event, context)
    except Exception as error:
        failure = {
            "errorMessage": str(error),
            "errorType": type(error).__name__,
            "stackTrace": traceback.format_exception(error),
        }
        print(json.dumps(failure, indent=2))
        return 1
    print(json.dumps(result, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())

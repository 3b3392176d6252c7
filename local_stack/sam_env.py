"""`python -m local_stack.sam_env`: the `--env-vars` file that points `sam local invoke` at a
running `make run` (functions in Docker on the host network reach moto on loopback).

Each function gets the variables the template declares for it (sam can override only
those), with the values the local stack gives them, and the local AWS endpoint."""

import argparse
import json
import sys
from pathlib import Path

from local_stack.invoke import DEFAULT_ENDPOINT
from local_stack.template import DEFAULT_TEMPLATE, Template, load_template

ENV_FILE = DEFAULT_TEMPLATE.parent / "events" / "sam" / "env.local.json"
# `make run`'s moto: the host's loopback, which `--docker-network host` shares.
LOCAL_ENDPOINT = DEFAULT_ENDPOINT


def sam_env_vars(
    template: Template, endpoint_url: str = LOCAL_ENDPOINT
) -> dict[str, dict[str, str]]:
    return {
        logical_id: {
            **template.function_environment(logical_id),
            "AWS_ENDPOINT_URL": endpoint_url,
        }
        for logical_id in sorted(template.functions())
    }


def render(template: Template, endpoint_url: str = LOCAL_ENDPOINT) -> str:
    return json.dumps(sam_env_vars(template, endpoint_url), indent=2, sort_keys=True) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local_stack.sam_env", description=__doc__)
    parser.add_argument("--endpoint", default=LOCAL_ENDPOINT, help=f"default {LOCAL_ENDPOINT}")
    parser.add_argument("--template", type=Path, default=DEFAULT_TEMPLATE)
    parser.add_argument("--output", type=Path, default=ENV_FILE, help="'-' for stdout")
    args = parser.parse_args(argv)
    text = render(load_template(args.template), args.endpoint)
    if str(args.output) == "-":
        sys.stdout.write(text)
    else:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())

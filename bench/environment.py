"""The process environment of an in-process run: what template.yaml gives the functions,
credentials that reach nothing, and no endpoint override (moto intercepts in-process).
Must run before any `segmentation` module is imported: settings are read at import."""

import os

from bench.template_functions import service_template

OFFLINE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
    "AWS_SESSION_TOKEN": "bench",
    "AWS_REGION": "us-east-1",
    "AWS_DEFAULT_REGION": "us-east-1",
}


def function_environment(logical_id: str | None = None) -> dict[str, str]:
    """One function's variables, or every function's merged (one process runs them all)."""
    template = service_template()
    variables = (
        template.environment() if logical_id is None else template.function_environment(logical_id)
    )
    return {**variables, **OFFLINE_CREDENTIALS}


def prepare_in_process() -> None:
    os.environ.update(function_environment())
    os.environ["POWERTOOLS_LOG_LEVEL"] = (
        "WARNING"  # one log line per request would drown the tables
    )
    for name in [name for name in os.environ if name.startswith("AWS_ENDPOINT_URL")]:
        del os.environ[name]

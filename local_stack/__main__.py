"""`python -m local_stack`: the whole service on loopback, with moto standing in for AWS."""

import argparse
import logging
import os
import signal
import sys
import threading
from pathlib import Path
from types import FrameType

from werkzeug.serving import make_server

from local_stack.aws import (
    MotoServer,
    apply_environment,
    aws_client,
    create_resources,
    is_loopback,
    local_aws_env,
)
from local_stack.dynamodb_recorder import record_to_file
from local_stack.gateway import Gateway
from local_stack.persistence import DataFolderMismatch, LocalData
from local_stack.queues import QueuePoller, sqs_sources
from local_stack.runtime import DEFAULT_MAX_CONTAINERS, FunctionRuntime
from local_stack.scheduler import Scheduler
from local_stack.streams import StreamPoller, stream_sources, streams_client
from local_stack.template import DEFAULT_TEMPLATE, load_template

# `python -m local_stack.invoke` finds the AWS endpoint here unless told otherwise.
DEFAULT_AWS_PORT = 4566
READY = "Local stack ready on {base_url} (AWS at {aws_url})"

log = logging.getLogger("local_stack")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m local_stack", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1", help="loopback address to serve on")
    parser.add_argument("--port", type=int, default=8000, help="HTTP API port (0: any free)")
    parser.add_argument(
        "--aws-port",
        type=int,
        default=int(os.environ.get("LOCAL_AWS_PORT", DEFAULT_AWS_PORT)),
        help="moto's port (0: any free; default $LOCAL_AWS_PORT or 4566)",
    )
    parser.add_argument(
        "--schedule-seconds",
        type=float,
        default=float(os.environ.get("LOCAL_SCHEDULE_SECONDS", "5")),
        help="run scheduled functions this often (0: never; default $LOCAL_SCHEDULE_SECONDS or 5)",
    )
    parser.add_argument("--template", type=Path, default=DEFAULT_TEMPLATE)
    parser.add_argument(
        "--parameter",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="override a template parameter's Default (repeatable)",
    )
    parser.add_argument("--max-containers", type=int, default=DEFAULT_MAX_CONTAINERS)
    parser.add_argument(
        "--record-dynamodb",
        type=Path,
        metavar="FILE",
        help="append every DynamoDB request the functions make to FILE (JSON lines)",
    )
    parser.add_argument(
        "--data-dir",
        type=Path,
        help="keep the AWS data in this folder across restarts (default: none, start empty)",
    )
    return parser.parse_args(argv)


def _parameters(pairs: list[str]) -> dict[str, str]:
    parameters = {}
    for pair in pairs:
        name, separator, value = pair.partition("=")
        if not separator:
            raise SystemExit(f"--parameter wants NAME=VALUE, got {pair!r}")
        parameters[name] = value
    return parameters


def _stop_event() -> threading.Event:
    """Set by Ctrl-C or SIGTERM. The handler only flags: an exception raised into whatever
    code the main thread is running could skip the clean shutdown."""
    stop = threading.Event()

    def handle(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, handle)
    signal.signal(signal.SIGTERM, handle)
    return stop


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    # The gateway logs each request; botocore's INFO lines repeat on every cold start.
    for noisy in ("werkzeug", "botocore"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    if not is_loopback(args.host):
        log.error("refusing to serve on %s: the local stack binds loopback only", args.host)
        return 2

    template = load_template(args.template, _parameters(args.parameter))
    if args.record_dynamodb:  # before any botocore session exists
        record_to_file(args.record_dynamodb)
    environment = template.environment()  # before starting anything: template errors first
    data = None if args.data_dir is None else LocalData(args.data_dir)
    if data is not None:
        try:
            data.check_resources(template)
            data.open()
        except DataFolderMismatch as error:
            log.error("%s", error)
            return 2
    try:
        moto = MotoServer(args.host, args.aws_port)
    except OSError as error:
        log.error("cannot serve AWS on port %d (%s); try --aws-port 0", args.aws_port, error)
        return 1
    aws_url = moto.start()
    try:
        if data is not None:
            data.replay_journal(aws_url)
            log.info("keeping data in %s (make reset starts empty)", data.folder)
        create_resources(template, aws_url)
        # Set before any handler module is imported: they read their settings at import.
        # The local endpoint wins over the template's (empty) AWS_ENDPOINT_URL.
        apply_environment({**environment, **local_aws_env(aws_url)})
        runtime = FunctionRuntime(template.functions(), args.max_containers)
        gateway = Gateway(template.http_routes(), runtime)
        server = make_server(args.host, args.port, gateway, threaded=True)
        scheduler = Scheduler(template.scheduled_functions(), runtime, args.schedule_seconds)
        poller = QueuePoller(sqs_sources(template), aws_client("sqs", aws_url), runtime.invoke)
        streams = StreamPoller(
            stream_sources(template),
            aws_client("dynamodb", aws_url),
            streams_client(aws_url),
            aws_client("sqs", aws_url),
            runtime.invoke,
        )
        stop = _stop_event()
        streams.start()  # takes the streams' position before the gateway serves
        serving = threading.Thread(target=server.serve_forever, name="gateway", daemon=True)
        serving.start()
        scheduler.start()
        poller.start()
        host, port = server.server_address[:2]
        print(READY.format(base_url=f"http://{host!s}:{port}", aws_url=aws_url), flush=True)
        while not stop.wait(0.5):
            pass
        log.info("stopping")
        scheduler.stop()
        poller.stop()
        server.shutdown()
        serving.join()
        streams.stop()  # after the gateway: the last requests' rows are counted
        if data is not None:  # only after a clean run: never snapshot a half-replayed state
            moto.stop()  # no request in flight while the snapshot is taken
            data.save()
    finally:
        moto.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())

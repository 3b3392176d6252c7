"""moto as a local AWS endpoint, and the template's tables and buckets created in it."""

import ipaddress
import os
import threading
from typing import Any

import boto3
from botocore.exceptions import ClientError
from werkzeug.serving import BaseWSGIServer, make_server

from local_stack.cfn import REGION
from local_stack.queues import sqs_queues
from local_stack.template import Template

DUMMY_KEY = "local"


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class MotoServer:
    """moto's server app like `moto.server.ThreadedMotoServer`, but serving one request at a
    time: every DynamoDB call, a transaction included, is then applied atomically, as on AWS."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        if not is_loopback(host):
            raise ValueError(f"refusing to serve AWS on non-loopback host {host!r}")
        # Imported here: moto's server modules are heavy and only this class needs them.
        from moto.moto_server.werkzeug_app import (
            DomainDispatcherApplication,
            MotoRequestHandler,
            create_backend_app,
        )

        from local_stack import moto_transactions

        moto_transactions.install()  # one request at a time makes it safe here
        app = DomainDispatcherApplication(create_backend_app)
        self._server: BaseWSGIServer = make_server(
            host, port, app, threaded=False, request_handler=MotoRequestHandler
        )
        self._thread: threading.Thread | None = None

    @property
    def endpoint_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> str:
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="moto-server", daemon=True
        )
        self._thread.start()
        return self.endpoint_url

    def stop(self) -> None:
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join()
            self._thread = None
        self._server.server_close()

    def __enter__(self) -> "MotoServer":
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def local_aws_env(endpoint_url: str) -> dict[str, str]:
    """What the service sees of the local AWS: an endpoint URL and credentials that reach
    nothing else."""
    return {
        "AWS_ENDPOINT_URL": endpoint_url,
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ACCESS_KEY_ID": DUMMY_KEY,
        "AWS_SECRET_ACCESS_KEY": DUMMY_KEY,
        "AWS_SESSION_TOKEN": DUMMY_KEY,
    }


def apply_environment(values: dict[str, str]) -> None:
    """Sets this process's env; drops AWS settings that could lead a handler past the local
    endpoint (per-service endpoints, profiles)."""
    for name in list(os.environ):
        if name.startswith("AWS_ENDPOINT_URL_") or name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE"):
            del os.environ[name]
    os.environ.update(values)


def aws_client(service: str, endpoint_url: str | None) -> Any:
    if endpoint_url is None:  # inside moto.mock_aws(): boto3's own resolution is patched
        return boto3.client(service, region_name=REGION)  # type: ignore[call-overload]
    return boto3.client(  # type: ignore[call-overload]
        service,
        endpoint_url=endpoint_url,
        region_name=REGION,
        aws_access_key_id=DUMMY_KEY,
        aws_secret_access_key=DUMMY_KEY,
    )


def create_resources(template: Template, endpoint_url: str | None) -> None:
    """Creates the template's tables and buckets; existing ones are left as they are."""
    dynamodb = aws_client("dynamodb", endpoint_url)
    for table in template.dynamodb_tables():
        try:
            dynamodb.create_table(**table)
        except ClientError as error:
            if error.response["Error"]["Code"] != "ResourceInUseException":
                raise
    for table_name, attribute in template.dynamodb_ttl().items():
        try:
            dynamodb.update_time_to_live(
                TableName=table_name,
                TimeToLiveSpecification={"Enabled": True, "AttributeName": attribute},
            )
        except ClientError as error:  # already enabled, from an earlier run
            if error.response["Error"]["Code"] != "ValidationException":
                raise
    sqs = aws_client("sqs", endpoint_url)
    for queue in sqs_queues(template):  # CreateQueue with the same attributes is a no-op
        sqs.create_queue(QueueName=queue.name, Attributes=queue.attributes)
    s3 = aws_client("s3", endpoint_url)
    for bucket in template.s3_buckets():
        try:
            s3.create_bucket(Bucket=bucket)
        except ClientError as error:
            if error.response["Error"]["Code"] not in (
                "BucketAlreadyOwnedByYou",
                "BucketAlreadyExists",
            ):
                raise
    # S3 notifies the queues itself (moto sends the same events AWS would).
    for bucket, notifications in template.s3_queue_notifications().items():
        s3.put_bucket_notification_configuration(
            Bucket=bucket,
            NotificationConfiguration=notifications,
        )

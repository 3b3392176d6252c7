"""Local data that survives a restart: moto's own request recorder appends every request that
can change state to a file in the data folder, and a restart replays that file into the fresh
moto before the gateway opens."""

import json
import logging
import os
from pathlib import Path
from typing import Any

from local_stack.template import Template

log = logging.getLogger("local_stack.persistence")

RECORDING = "moto-recording.jsonl"
# The template's tables and buckets the recording was made for: replaying it into other
# definitions would leave tables without their new indexes.
RESOURCES = "resources.json"
# DynamoDB operations that change nothing (X-Amz-Target suffixes); S3 reads are GET and HEAD.
_DYNAMODB_READS = frozenset(
    {"GetItem", "BatchGetItem", "Query", "Scan", "TransactGetItems", "ExecuteStatement"}
)


class DataFolderMismatch(RuntimeError):
    """The data folder holds data for other table or bucket definitions."""


def _changes_state(request: Any) -> bool:
    target = str(request.headers.get("X-Amz-Target", ""))
    if target:
        operation = target.rpartition(".")[2]
        return not (operation in _DYNAMODB_READS or operation.startswith(("Describe", "List")))
    return str(request.method) not in ("GET", "HEAD", "OPTIONS")


def _resources(template: Template) -> dict[str, Any]:
    return {
        "dynamodb_tables": template.dynamodb_tables(),
        "dynamodb_ttl": template.dynamodb_ttl(),
        "s3_buckets": sorted(template.s3_buckets()),
    }


def check_resources(data_dir: Path, template: Template) -> None:
    """Remembers the template's resources in a new data folder; refuses a folder made for
    other ones."""
    data_dir.mkdir(parents=True, exist_ok=True)
    wanted = json.loads(json.dumps(_resources(template)))
    saved = data_dir / RESOURCES
    if saved.exists() and json.loads(saved.read_text()) != wanted:
        raise DataFolderMismatch(
            f"the tables or buckets in the template changed since {data_dir} was recorded; "
            "`make reset` (or delete the folder) to start empty"
        )
    saved.write_text(json.dumps(wanted, indent=1, sort_keys=True))


def start_recording(data_dir: Path) -> None:
    """Installs the recorder; call before the moto server serves its first request."""
    import moto.moto_api
    from moto.moto_api._internal.recorder.models import Recorder

    class StateChangeRecorder(Recorder):
        """moto's recorder without the reads: the file, and the replay, stay proportional
        to the changes, not to the traffic."""

        def _record_request(self, request: Any, body: bytes | None = None) -> None:
            if _changes_state(request):
                super()._record_request(request, body)

    os.environ["MOTO_RECORDER_FILEPATH"] = str(data_dir / RECORDING)
    os.environ["MOTO_ENABLE_RECORDING"] = "true"
    moto.moto_api.recorder = StateChangeRecorder()


def replay(data_dir: Path, endpoint_url: str) -> int:
    """Replays the recording into the (empty, serving) moto at `endpoint_url`; returns how
    many requests it held."""
    import moto.moto_api

    recording = data_dir / RECORDING
    if not recording.exists():
        return 0
    with recording.open() as lines:
        count = sum(1 for _ in lines)
    moto.moto_api.recorder.replay_recording(target_host=endpoint_url)
    log.info("replayed %d recorded requests from %s", count, recording)
    return count

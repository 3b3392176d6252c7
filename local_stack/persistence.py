"""Local data that survives a restart of `make run`.

A clean stop pickles moto's DynamoDB and S3 backends to a snapshot (fast to load, whatever
the data's size). Between snapshots, moto's own request recorder appends every request that
changes state to a journal, and a start after a crash replays that journal over the last
snapshot. Each snapshot names a fresh journal, written atomically, so a stop interrupted at
any point never replays a request twice."""

import importlib
import json
import logging
import os
import pickle
from pathlib import Path
from typing import Any

from local_stack.template import Template

log = logging.getLogger("local_stack.persistence")

SNAPSHOT = "moto-state.pickle"
FIRST_JOURNAL = "journal-0.jsonl"
# The template's tables and buckets the data was made for: other definitions (a new index)
# would not match the restored tables.
RESOURCES = "resources.json"
# The moto backends the template's resources live in (module, attribute).
BACKENDS = {
    "dynamodb": ("moto.dynamodb.models", "dynamodb_backends"),
    "s3": ("moto.s3.models", "s3_backends"),
}
# What every BackendDict has from its constructor; anything else in one is state (S3's map of
# bucket names to accounts, which routes presigned GETs, for one).
_BACKEND_DICT_SETUP = frozenset(
    {"backend", "service_name", "_use_boto3_regions", "_additional_regions", "_id"}
)
# DynamoDB operations that change nothing (X-Amz-Target suffixes); S3 reads are GET and HEAD.
_DYNAMODB_READS = frozenset(
    {"GetItem", "BatchGetItem", "Query", "Scan", "TransactGetItems", "ExecuteStatement"}
)
# What the local event pollers call several times a second: a stream read, or a receive
# (a message taken but not deleted before a crash is delivered again, as SQS would).
_POLLS = frozenset(
    {"GetRecords", "GetShardIterator", "ReceiveMessage", "GetQueueUrl", "GetQueueAttributes"}
)


class DataFolderMismatch(RuntimeError):
    """The data folder holds data for other table or bucket definitions."""


def changes_state(request: Any) -> bool:
    target = str(request.headers.get("X-Amz-Target", ""))
    if target:
        operation = target.rpartition(".")[2]
        reads = _DYNAMODB_READS | _POLLS
        return not (operation in reads or operation.startswith(("Describe", "List")))
    return str(request.method) not in ("GET", "HEAD", "OPTIONS")


def _backends(service: str) -> Any:
    module, attribute = BACKENDS[service]
    return getattr(importlib.import_module(module), attribute)


def _install_recorder(journal: Path) -> None:
    import moto.moto_api
    from moto.moto_api._internal.recorder.models import Recorder

    class StateChangeRecorder(Recorder):
        """moto's recorder without the reads: the journal grows with changes, not traffic."""

        def _record_request(self, request: Any, body: bytes | None = None) -> None:
            if changes_state(request):
                super()._record_request(request, body)

    os.environ["MOTO_RECORDER_FILEPATH"] = str(journal)
    os.environ["MOTO_ENABLE_RECORDING"] = "true"
    moto.moto_api.recorder = StateChangeRecorder()


class LocalData:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.journal = folder / FIRST_JOURNAL

    def check_resources(self, template: Template) -> None:
        """Remembers the template's resources in a new folder; refuses one made for others."""
        self.folder.mkdir(parents=True, exist_ok=True)
        wanted = json.loads(
            json.dumps(
                {
                    "dynamodb_tables": template.dynamodb_tables(),
                    "dynamodb_ttl": template.dynamodb_ttl(),
                    "s3_buckets": sorted(template.s3_buckets()),
                }
            )
        )
        saved = self.folder / RESOURCES
        if saved.exists() and json.loads(saved.read_text()) != wanted:
            raise DataFolderMismatch(
                f"the tables or buckets in the template changed since {self.folder} was "
                "written; `make reset` (or delete the folder) to start empty"
            )
        saved.write_text(json.dumps(wanted, indent=1, sort_keys=True))

    def open(self) -> None:
        """Loads the last snapshot into moto's backends and starts journaling; call before
        the moto server serves its first request."""
        snapshot = self.folder / SNAPSHOT
        if snapshot.exists():
            try:  # our own file, written by save() below from moto's objects
                state = pickle.loads(snapshot.read_bytes())  # noqa: S301
            except Exception as error:  # another moto version's classes, a damaged file
                raise DataFolderMismatch(
                    f"cannot read {snapshot} ({error!r}); `make reset` to start empty"
                ) from error
            self.journal = self.folder / state["journal"]
            for service, saved in state["backends"].items():
                backends = _backends(service)
                for (account_id, region), backend in saved["regions"].items():
                    backends[account_id][region] = backend
                for name, value in saved["attributes"].items():
                    setattr(backends, name, value)
            log.info("restored %s", snapshot)
        _install_recorder(self.journal)

    def replay_journal(self, endpoint_url: str) -> int:
        """Replays the changes made after the snapshot (after a crash; none after a clean
        stop) into the serving moto at `endpoint_url`; returns how many."""
        import moto.moto_api

        if not self.journal.exists():
            return 0
        with self.journal.open() as lines:
            count = sum(1 for _ in lines)
        if count:
            moto.moto_api.recorder.replay_recording(target_host=endpoint_url)
            log.info("replayed %d changes from %s", count, self.journal)
        return count

    def save(self) -> None:
        """Snapshots the backends (call with no request in flight) and starts a new journal."""
        number = int(self.journal.stem.rpartition("-")[2]) + 1
        journal = self.folder / f"journal-{number}.jsonl"
        backends = {}
        for service in BACKENDS:
            service_backends = _backends(service)
            regions = {
                (account_id, region): backend
                for account_id, region, backend in service_backends.iter_backends()
            }
            attributes = {
                name: value
                for name, value in vars(service_backends).items()
                if name not in _BACKEND_DICT_SETUP
            }
            backends[service] = {"regions": regions, "attributes": attributes}
        state = {"journal": journal.name, "backends": backends}
        partial = self.folder / f"{SNAPSHOT}.partial"
        partial.write_bytes(pickle.dumps(state))
        os.replace(partial, self.folder / SNAPSHOT)  # atomic: old or new, never half
        old, self.journal = self.journal, journal
        _install_recorder(journal)
        old.unlink(missing_ok=True)
        log.info("saved the local data to %s", self.folder)

"""In-process Lambda "containers": each is a separately imported copy of a handler module."""

import itertools
import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from local_stack.events import LambdaContext
from local_stack.modules import import_file
from local_stack.template import FunctionSpec

log = logging.getLogger("local_stack.runtime")

Handler = Callable[[Any, Any], Any]
DEFAULT_MAX_CONTAINERS = 10
_module_ids = itertools.count(1)


class FunctionInitError(RuntimeError):
    """The handler module failed to import (Lambda's Runtime.ImportModuleError)."""


def load_handler(spec: FunctionSpec) -> Handler:
    """Imports `app.lambda_handler` from the function's CodeUri under a fresh module name."""
    module_path, _, attribute = spec.handler.rpartition(".")
    if not module_path:
        raise FunctionInitError(f"{spec.logical_id}: bad Handler {spec.handler!r}")
    relative = Path(*module_path.split("."))
    file = spec.code_uri / relative.with_suffix(".py")
    if not file.is_file():
        file = spec.code_uri / relative / "__init__.py"
    if not file.is_file():
        raise FunctionInitError(f"{spec.logical_id}: no handler module at {file}")
    # A unique name per container: each container imports its own module, as on Lambda.
    name = f"local_stack_fn_{spec.logical_id}_{next(_module_ids)}"
    try:
        module = import_file(file, name)
    except Exception as error:
        raise FunctionInitError(f"{spec.logical_id}: importing {file} failed: {error}") from error
    handler = getattr(module, attribute, None)
    if not callable(handler):
        raise FunctionInitError(f"{spec.logical_id}: {file} has no callable {attribute!r}")
    return handler  # type: ignore[no-any-return]


@dataclass
class _Pool:
    idle: list[Handler]
    size: int = 0


class FunctionRuntime:
    """Warm containers per function: one request at a time each, grown on demand up to a cap."""

    def __init__(
        self, functions: dict[str, FunctionSpec], max_containers: int = DEFAULT_MAX_CONTAINERS
    ) -> None:
        self.functions = functions
        self.max_containers = max_containers
        self._pools = {logical_id: _Pool(idle=[]) for logical_id in functions}
        self._available = threading.Condition()

    @contextmanager
    def _container(self, logical_id: str) -> Iterator[Handler]:
        pool = self._pools[logical_id]
        with self._available:
            while not pool.idle and pool.size >= self.max_containers:
                self._available.wait()
            handler = pool.idle.pop() if pool.idle else None
            if handler is None:
                pool.size += 1  # reserve the slot before the (slow) import, outside the lock
        if handler is None:
            try:
                handler = load_handler(self.functions[logical_id])
                log.info("%s: started container %d", logical_id, pool.size)
            except BaseException:
                with self._available:
                    pool.size -= 1
                    self._available.notify()
                raise
        try:
            yield handler
        finally:
            # A container whose invocation failed is still warm on Lambda: reuse it.
            with self._available:
                pool.idle.append(handler)
                self._available.notify()

    def invoke(self, logical_id: str, event: Any) -> Any:
        spec = self.functions[logical_id]
        with self._container(logical_id) as handler:
            context = LambdaContext(logical_id, spec.memory_mb, spec.timeout_seconds)
            started = time.monotonic()
            try:
                return handler(event, context)
            finally:
                elapsed = time.monotonic() - started
                if elapsed > spec.timeout_seconds:
                    log.warning(
                        "%s ran %.1f s, over its %d s timeout: Lambda would have stopped it",
                        logical_id,
                        elapsed,
                        spec.timeout_seconds,
                    )

"""Runs the template's scheduled functions on a short local cadence instead of their rate."""

import logging
import threading
import time

from local_stack.events import build_scheduled_event
from local_stack.runtime import FunctionRuntime
from local_stack.template import ScheduledFunction

log = logging.getLogger("local_stack.scheduler")


class Scheduler:
    def __init__(
        self, functions: list[ScheduledFunction], runtime: FunctionRuntime, every_seconds: float
    ) -> None:
        self.functions = functions
        self.runtime = runtime
        self.every_seconds = every_seconds
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self.every_seconds <= 0 or not self.functions:
            return
        self._thread = threading.Thread(target=self._loop, name="scheduler", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopped.set()
        if self._thread is not None:
            self._thread.join(timeout=30)  # a stuck run must not hold up Ctrl-C forever

    def _loop(self) -> None:
        while not self._stopped.wait(self.every_seconds):
            for function in self.functions:
                self.run_once(function)

    def run_once(self, function: ScheduledFunction) -> None:
        started = time.monotonic()
        event = build_scheduled_event(f"{function.logical_id}-schedule")
        try:
            self.runtime.invoke(function.logical_id, event)
        except Exception:
            # Like EventBridge: a failed run is logged and the next one still happens.
            log.exception("scheduled %s failed", function.logical_id)
            return
        log.info(
            "scheduled %s ok %.1f ms", function.logical_id, (time.monotonic() - started) * 1000
        )

"""One helper process beside a worker, for the CPU-bound part of its batches (Avro
decoding, folding): spawned, never forked (the worker holds librdkafka's threads),
deaf to SIGINT, and gone within a second of the worker (it exits when its parent does).
The worker's schema registry is handed to it once, at start."""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
from concurrent.futures import ProcessPoolExecutor

from services.adapters.avro import SchemaRegistry

_registry: SchemaRegistry | None = None


def spawn(registry: SchemaRegistry) -> ProcessPoolExecutor:
    return ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"), initializer=_start,
                               initargs=(os.getpid(), registry))


def registry() -> SchemaRegistry:
    """In the helper: the registry it was started with."""
    if _registry is None:
        raise RuntimeError("the helper process was not started with a schema registry")
    return _registry


def _start(parent: int, registry: SchemaRegistry) -> None:
    global _registry
    _registry = registry
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_exit_with, args=(parent,), name="orphan-watch", daemon=True).start()


def _exit_with(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(0)

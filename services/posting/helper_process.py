"""One spawned helper process beside the posting consumer (decoder, writer).

Spawned, never forked: the consumer holds librdkafka's threads. The helper ignores
SIGINT (the consumer decides when to stop) and exits by itself within a second when
the consumer's process is gone, so none outlives it, even after SIGKILL."""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor

import psycopg

from services.adapters.postgres import db

_connections: dict[str, psycopg.Connection] = {}


def start(initializer: Callable[..., None], *initargs) -> ProcessPoolExecutor:
    """A pool of one process that runs initializer(*initargs) first (both picklable)."""
    return ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"), initializer=_begin,
                               initargs=(os.getpid(), initializer, initargs))


def _begin(parent: int, initializer: Callable[..., None], initargs: tuple) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_exit_with, args=(parent,), name="orphan-watch", daemon=True).start()
    initializer(*initargs)


def _exit_with(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(0)


def connection(database_url: str, application_name: str) -> psycopg.Connection:
    """The helper's connection, as the posting consumer's role: opened on first use and
    again after it broke."""
    conn = _connections.get(application_name)
    if conn is None or conn.closed or conn.broken:
        conn = _connections[application_name] = db.connect(database_url, application_name=application_name,
                                                            role="splitbook_posting")
    return conn

"""Server-side batching: concurrent requests of one signature merged into one model call."""

from __future__ import annotations

import asyncio
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

Arrays = dict[str, np.ndarray]


@dataclass(frozen=True)
class BatchingOptions:
    """Server-side batching of concurrent requests (like TF Serving's batching.config)."""

    enabled: bool = True
    max_batch_size: int = 64  # rows per merged batch
    batch_timeout_ms: float = 1.0  # longest wait for more requests after the first one
    num_batch_threads: int = 2  # batches of one signature that may run at the same time


class Closed(Exception):
    """The batcher was closed (its version was swapped out) before the request was queued."""


class _Task:
    __slots__ = ("arrays", "rows", "arrived", "done", "loop", "future", "result", "error")

    def __init__(self, arrays: Arrays, rows: int, loop=None, future=None):
        self.arrays, self.rows, self.arrived = arrays, rows, time.monotonic()
        self.loop, self.future = loop, future  # an asyncio caller, else a blocked thread
        self.done = threading.Event() if future is None else None
        self.result: Arrays | None = None
        self.error: BaseException | None = None


def _settle(tasks: list[_Task]) -> None:
    """Hand results to waiting coroutines (runs in their event loop)."""
    for task in tasks:
        if task.future.done():  # the caller went away
            continue
        if task.error is not None:
            task.future.set_exception(task.error)
        else:
            task.future.set_result(task.result)


@dataclass
class BatchStats:
    """Counters since start: requests answered, batches run, rows run."""

    requests: int = 0
    batches: int = 0
    rows: int = 0


class Batcher:
    """Merges concurrent calls of one signature into batches run by ``num_batch_threads`` workers.

    A batch closes when it holds ``max_batch_size`` rows or ``batch_timeout_ms`` after its first
    request arrived. The wait applies only while traffic is concurrent (the previous batch merged
    several requests, or other requests are running now), so a lone sequential client is not
    delayed by the timeout. While a worker collects a batch, arriving requests do not wake it (one
    wake-up per batch, not per request) unless the batch is full.
    """

    def __init__(self, run: Callable[[Arrays], Arrays], options: BatchingOptions, name: str):
        self._run = run
        self._max = max(1, options.max_batch_size)
        self._timeout = max(0.0, options.batch_timeout_ms) / 1000.0
        self._queue: deque[_Task] = deque()
        self._queued_rows = 0
        self._lock = threading.Lock()
        self._work = threading.Condition(self._lock)  # idle workers wait here for a first request
        self._full = threading.Condition(self._lock)  # the collecting worker waits here
        self._collecting = False
        self._closed = False
        self._concurrent = False  # did the last batch merge several requests?
        self._pending = 0  # submitted and not yet answered
        self.stats = BatchStats()
        for i in range(max(1, options.num_batch_threads)):
            threading.Thread(target=self._loop, name=f"batcher-{name}-{i}", daemon=True).start()

    # kept for tests and monitoring written against the first version
    @property
    def batches_run(self) -> int:
        return self.stats.batches

    @property
    def requests_run(self) -> int:
        return self.stats.requests

    def _enqueue(self, task: _Task) -> None:
        with self._lock:
            if self._closed:
                raise Closed
            self._queue.append(task)
            self._queued_rows += task.rows
            self._pending += 1
            if not self._collecting:
                self._work.notify()
            elif self._queued_rows >= self._max:
                self._full.notify()

    def submit(self, arrays: Arrays, rows: int) -> Arrays:
        """Run ``arrays`` as part of a batch; block until its own outputs are ready."""
        task = _Task(arrays, rows)
        self._enqueue(task)
        task.done.wait()
        if task.error is not None:
            raise task.error
        return task.result

    def submit_async(self, arrays: Arrays, rows: int) -> asyncio.Future:
        """Queue ``arrays``; a future (of the running event loop) resolved with its own outputs.

        A batch's coroutines are woken with one call into their loop, not one per request.
        """
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        self._enqueue(_Task(arrays, rows, loop, future))
        return future

    def close(self) -> None:
        """Finish what is queued, then stop the workers."""
        with self._lock:
            self._closed = True
            self._work.notify_all()
            self._full.notify_all()

    def _loop(self) -> None:
        while True:
            batch = self._next_batch()
            if batch is None:
                return
            self._execute(batch)

    def _take(self, batch: list[_Task], rows: int) -> int:
        while self._queue and rows + self._queue[0].rows <= self._max:
            task = self._queue.popleft()
            self._queued_rows -= task.rows
            batch.append(task)
            rows += task.rows
        return rows

    def _next_batch(self) -> list[_Task] | None:
        with self._lock:
            while (self._collecting or not self._queue) and not self._closed:
                self._work.wait()
            if not self._queue:
                self._work.notify_all()
                return None
            self._collecting = True
            first = self._queue.popleft()
            self._queued_rows -= first.rows
            batch = [first]
            rows = self._take(batch, first.rows)
            deadline = first.arrived + self._timeout
            while rows < self._max and not self._closed:
                if self._queue and rows + self._queue[0].rows > self._max:
                    break
                remaining = deadline - time.monotonic()
                running_elsewhere = self._pending > len(batch) + len(self._queue)
                if remaining <= 0 or not (self._concurrent or running_elsewhere or len(batch) > 1):
                    break
                self._full.wait(remaining)
                rows = self._take(batch, rows)
            self._concurrent = len(batch) > 1
            self._collecting = False
            if self._queue:
                self._work.notify()  # another worker starts the next batch
            return batch

    def _execute(self, batch: list[_Task]) -> None:
        try:
            if len(batch) == 1:
                batch[0].result = self._run(batch[0].arrays)
                total = batch[0].rows
            else:
                merged = {k: np.concatenate([t.arrays[k] for t in batch]) for k in batch[0].arrays}
                total = sum(t.rows for t in batch)
                out = self._run(merged)
                lo = 0
                for task in batch:
                    hi = lo + task.rows
                    task.result = {
                        k: (v[lo:hi] if v.ndim and v.shape[0] == total else v) for k, v in out.items()
                    }
                    lo = hi
        except BaseException as err:  # noqa: BLE001  (handed to the waiting requests)
            if len(batch) > 1:  # isolate the bad request: run each on its own
                for task in batch:
                    self._execute([task])
                return
            batch[0].error = err
            total = batch[0].rows
        with self._lock:
            self._pending -= len(batch)
            self.stats.batches += 1
            self.stats.requests += len(batch)
            self.stats.rows += total
        by_loop: dict[object, list[_Task]] = {}
        for task in batch:
            if task.done is not None:
                task.done.set()
            else:
                by_loop.setdefault(task.loop, []).append(task)
        for loop, tasks in by_loop.items():
            try:
                loop.call_soon_threadsafe(_settle, tasks)
            except RuntimeError:  # the loop was closed: nobody is waiting any more
                pass

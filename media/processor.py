"""PhotoProcessor: runs media.pipeline in a pool of worker processes, off the event loop, with a time limit.

A photo that kills its worker (decoder crash, OOM kill) or runs past `photo_timeout_s` is refused with a 422,
and the pool is replaced so the next photo finds healthy workers. Photos caught in a pool that broke
because of another photo are retried once on the fresh pool.
"""

from __future__ import annotations

import asyncio
import ctypes
import logging
import multiprocessing
import resource
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from kernel import metrics
from media import pipeline
from media.errors import PhotoRejected
from media.photo import Limits, ProcessedPhoto, Variant

__all__ = ["PhotoProcessor", "PhotoRejected", "ProcessedPhoto", "Variant"]

log = logging.getLogger("warga.media")

Work = Callable[[bytes, Limits], ProcessedPhoto]


def _worker_init(memory_limit_bytes: int) -> None:
    # A decoder asked for absurd memory fails with MemoryError (a 413) instead of inviting the OOM killer.
    if memory_limit_bytes > 0:
        resource.setrlimit(resource.RLIMIT_AS, (memory_limit_bytes, memory_limit_bytes))
    _keep_heap()


def _keep_heap() -> None:
    """Let glibc keep freed image buffers for the next photo instead of returning them to the kernel: each
    photo otherwise re-faults ~20 MB of fresh pages (about 8 % of a 12 MP photo's CPU time, measured)."""
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:  # not glibc: nothing to tune
        return
    m_trim_threshold, m_mmap_threshold = -1, -3
    libc.mallopt(
        m_mmap_threshold, 32 * 1024 * 1024
    )  # Pillow allocates in 16 MB blocks: keep them on the heap
    libc.mallopt(m_trim_threshold, 128 * 1024 * 1024)


class PhotoProcessor:
    def __init__(self, settings: Any, work: Work = pipeline.run) -> None:
        self.limits = Limits.from_settings(settings)
        self.workers = max(1, int(settings.photo_workers))
        self.timeout_s = float(settings.photo_timeout_s)
        self.memory_limit = int(getattr(settings, "photo_worker_memory_mib", 0)) * 1024 * 1024
        self._work = work
        self._pool: ProcessPoolExecutor | None = None
        self._generation = 0  # bumped on each replacement, so two photos seeing one breakage replace it once
        self._lock = threading.Lock()
        # One job per worker at a time: a job sent to the pool starts at once, so the time limit measures
        # decoding, not queueing; waiting photos queue here, on the event loop, cancellable.
        self._slots = asyncio.Semaphore(self.workers)
        self.replacements = 0
        self.in_flight = 0  # jobs handed to workers and not finished yet
        self._stopped = False

    def start(self) -> None:
        with self._lock:
            if self._pool is None:
                self._pool = self._new_pool()
                self._stopped = False

    def stop(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
            self._stopped = True
        if pool is not None:
            _kill(pool)

    def worker_pids(self) -> list[int]:
        """The live workers' process ids (for tests and the benchmark's memory figure)."""
        pool = self._pool
        return [] if pool is None else list(getattr(pool, "_processes", {}) or {})

    async def locate(self, data: bytes) -> tuple[float, float] | None:
        """The photo's EXIF GPS position (lat, lon) or None, read in a worker without decoding pixels."""
        pipeline.check_size(data, self.limits)
        loop = asyncio.get_running_loop()
        pool = self._pool
        if pool is None:
            raise PhotoRejected(503, "photo_unavailable", "Photo processing is not running; retry.")
        try:
            future = pool.submit(pipeline.locate, data, self.limits)
            return await asyncio.wait_for(asyncio.wrap_future(future, loop=loop), self.timeout_s)
        except (BrokenProcessPool, TimeoutError, RuntimeError):  # RuntimeError: pool replaced meanwhile
            # Header parsing does not hang or crash in practice; if it did, process() deals with the pool.
            raise PhotoRejected(422, "photo_failed", "The photo could not be read.") from None

    async def process(self, data: bytes) -> ProcessedPhoto:
        """Validate and re-encode one photo in a worker; raises PhotoRejected (413/415/422) when refused."""
        metrics.photo_queue.inc()  # waiting for a slot or in a worker: what an operator sees pile up
        started = time.perf_counter()
        try:
            return await self._process(data)
        finally:
            metrics.photo_queue.dec()
            metrics.photo_seconds.observe(time.perf_counter() - started)

    async def _process(self, data: bytes) -> ProcessedPhoto:
        pipeline.check_size(data, self.limits)  # before shipping a 100 MB body to another process
        for attempt in (1, 2):
            # The retry runs alone in a one-off worker: the photo that broke the shared pool (maybe this
            # one, maybe another) can then only break itself, never the bystanders retried with it.
            solo = attempt == 2
            await self._slots.acquire()
            try:
                future, generation, pool = self._submit(data, solo)
            except BaseException:
                self._slots.release()
                raise
            self.in_flight += 1
            # The slot frees when the worker is really done (or dead), even if our caller gave up waiting.
            future.add_done_callback(self._release_from(asyncio.get_running_loop()))
            try:
                return await asyncio.wait_for(asyncio.wrap_future(future), self.timeout_s)
            except TimeoutError:
                log.warning("photo worker timed out after %.1f s; killing it", self.timeout_s)
                if solo:
                    _kill(pool)
                else:
                    self._replace(generation)
                raise PhotoRejected(
                    422, "photo_timeout", "The photo took too long to process; try a smaller photo."
                ) from None
            except BrokenProcessPool:
                log.warning("photo worker died (attempt %d)", attempt)
                if not solo:
                    self._replace(generation)
            finally:
                if solo:
                    pool.shutdown(wait=False)
        raise PhotoRejected(422, "photo_failed", "The photo could not be processed; it may be damaged.")

    def _release_from(self, loop: asyncio.AbstractEventLoop) -> Callable[[Any], object]:
        def done(_: Any) -> None:
            try:
                loop.call_soon_threadsafe(self._job_done)
            except RuntimeError:  # the loop already closed (process exit): nothing left to release
                pass

        return done

    def _job_done(self) -> None:
        self.in_flight -= 1
        self._slots.release()

    def _submit(self, data: bytes, solo: bool) -> tuple[Future[ProcessedPhoto], int, ProcessPoolExecutor]:
        for _ in range(2):
            with self._lock:
                if self._pool is None and self._stopped:
                    raise PhotoRejected(503, "photo_unavailable", "Photo processing is shutting down; retry.")
                if self._pool is None:
                    raise RuntimeError("PhotoProcessor.start() first")
                pool, generation = self._pool, self._generation
            if solo:
                pool = self._new_pool(workers=1)
            try:
                return pool.submit(self._work, data, self.limits), generation, pool
            except (BrokenProcessPool, RuntimeError):
                self._replace(generation)  # broke (or was replaced) between our jobs
        raise PhotoRejected(422, "photo_failed", "The photo service is restarting; try again.")

    def _replace(self, generation: int) -> None:
        """Kill the pool of that generation (if still current) and start a fresh one."""
        with self._lock:
            if self._pool is None or generation != self._generation:
                return
            old = self._pool
            self._pool = self._new_pool()
            self._generation += 1
            self.replacements += 1
        _kill(old)

    def _new_pool(self, workers: int = 0) -> ProcessPoolExecutor:
        # forkserver: workers fork from a clean single-threaded server that preloaded Pillow, not from this
        # process with its event loop, threads and sockets.
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["media.pipeline"])
        return ProcessPoolExecutor(
            max_workers=workers or self.workers,
            mp_context=context,
            initializer=_worker_init,
            initargs=(self.memory_limit,),
        )


def _kill(pool: ProcessPoolExecutor) -> None:
    """Stop a pool now: kill its workers (one may be stuck in a decoder), fail its pending futures."""
    processes = list((getattr(pool, "_processes", None) or {}).values())
    for proc in processes:
        if proc.is_alive():
            proc.kill()
    pool.shutdown(wait=False, cancel_futures=True)
    for proc in processes:
        proc.join(timeout=5)

"""Reading many paged listings at once, a few requests in flight, for the full sync.

Threads only do HTTP (and parse the JSON); whoever iterates `batches()` (the sync, in its own
thread) does every database write. Each page of each listing is requested exactly once: page 1
tells `meta.total_pages`, then the rest of that listing is queued; without a total, the next page
is queued only once a page came back non-empty (CONTRACT.md §3's two stop conditions). Work is
taken lowest listing first, so the pages of the listings added first are fetched first and little
waits in memory.

On a 429 the client holds every thread back for the Retry-After it was given (see TelnyxClient),
and the fetcher halves how many requests it keeps in flight, growing back by one after a run of
pages without one. The first page that fails for good stops the fetching; `batches()` raises its
error, so a listing not read to its end is never treated as complete.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import queue
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from portal.telnyx import TelnyxClient
from portal.telnyx.client import Listing

IDLE_SECONDS = 5.0  # `batches()` yields an empty batch after this long without a page (heartbeats)
GROW_AFTER = 20  # pages without a 429 before one more request may be in flight again


@dataclass(eq=False)
class Source:
    """One listing being read: how many of its pages are queued and back; `tag` is the caller's."""

    listing: Listing
    tag: Any
    order: int
    queued: int = 0
    received: int = 0


@dataclass
class Page:
    """A page as it came back; `last` is set on the last page of its listing to come back."""

    source: Source
    number: int
    items: list = field(repr=False)
    last: bool = False

    @property
    def tag(self):
        return self.source.tag


class PageFetcher:
    """Fetch pages of listings with at most `width` requests in flight (1: in the calling thread)."""

    def __init__(self, api: TelnyxClient, *, width: int, max_waiting: int | None = None) -> None:
        self.api = api
        self.limit = max(1, width)
        self.width = self.limit  # what is allowed now: lowered after a 429
        self.max_waiting = max_waiting or 4 * self.limit  # pages fetched and not yet taken
        self.in_flight = 0
        self.peak_in_flight = 0
        self.wait_seconds = 0.0  # time `batches()` spent waiting for a page (the caller's idle time)
        self._orders = itertools.count()
        self._work: list[tuple[int, int, Source]] = []  # (listing order, page number, source)
        self._done: queue.SimpleQueue = queue.SimpleQueue()
        self._waiting = 0  # pages in _done not yet taken by batches()
        self._pending = 0  # pages queued or in flight
        self._cond = threading.Condition()
        self._error: BaseException | None = None
        self._closed = False
        self._calm = 0
        self._threads: list[threading.Thread] = []

    def __enter__(self) -> PageFetcher:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # --- what the caller does -----------------------------------------------------------------

    def add(self, listing: Listing, tag: Any) -> Source:
        """Start reading a listing (its page 1 is queued)."""
        source = Source(listing, tag, next(self._orders))
        with self._cond:
            self._queue(source, 1)
            self._cond.notify()
        if self.limit > 1 and len(self._threads) < self.limit:
            self._start_threads()
        return source

    def batches(self, *, group: int = 4) -> Iterator[list[Page]]:
        """Pages as they come back, in batches of what is ready (at most `group` when fetched inline).

        Ends when every page of every listing added is back; an empty batch now and then while
        waiting (so the caller can renew its lease); raises the error of a page that failed.
        """
        while True:
            if self._error is None and self._all_back():
                return
            pages = self._fetch_inline(group) if self.limit == 1 else self._take(4 * group)
            if self._error is not None:
                raise self._error
            yield pages

    def close(self) -> None:
        """Stop the threads (a request in flight finishes or fails on its own)."""
        with self._cond:
            self._closed = True
            self._work.clear()
            self._cond.notify_all()
        for thread in self._threads:
            thread.join(timeout=30)

    # --- plumbing -----------------------------------------------------------------------------

    def _queue(self, source: Source, number: int) -> None:
        heapq.heappush(self._work, (source.order, number, source))
        source.queued = max(source.queued, number)
        self._pending += 1

    def _all_back(self) -> bool:
        with self._cond:
            return self._pending == 0 and self._waiting == 0

    def _fetch_inline(self, group: int) -> list[Page]:
        pages: list[Page] = []
        while len(pages) < group and self._work:
            _order, number, source = heapq.heappop(self._work)
            started = time.perf_counter()
            self.peak_in_flight = 1
            try:
                items, total = self.api.listing_page(source.listing, number)
            except Exception as exc:  # handed to the caller by batches()
                self._error = exc
                break
            finally:
                self._waited(time.perf_counter() - started)
            self._pending -= 1
            pages.append(self._received(source, number, items, total))
        return pages

    def _take(self, most: int) -> list[Page]:
        started = time.perf_counter()
        pages: list[Page] = []
        with contextlib.suppress(queue.Empty):
            pages.append(self._done.get(timeout=IDLE_SECONDS))
        self._waited(time.perf_counter() - started)
        while pages and len(pages) < most:
            try:
                pages.append(self._done.get_nowait())
            except queue.Empty:
                break
        pages = [page for page in pages if page is not None]  # None: a wake-up after an error
        with self._cond:
            self._waiting -= len(pages)
            self._cond.notify_all()
        return pages

    def _waited(self, seconds: float) -> None:
        self.wait_seconds += seconds
        self.api.idle_seconds += seconds

    def _received(self, source: Source, number: int, items: list, total: int | None) -> Page:
        """Queue what this page says comes next; called with the lock held (or inline)."""
        if total is not None:
            for more in range(source.queued + 1, total + 1):  # a total that grew queues the extra pages
                self._queue(source, more)
        elif items and number == source.queued:
            self._queue(source, number + 1)  # no total: page by page, until an empty page
        source.received += 1
        return Page(source, number, items, last=source.received == source.queued)

    def _start_threads(self) -> None:
        for index in range(len(self._threads), self.limit):
            thread = threading.Thread(target=self._worker, name=f"sync-fetch-{index}", daemon=True)
            self._threads.append(thread)
            thread.start()

    def _worker(self) -> None:
        try:
            while True:
                with self._cond:
                    while not self._closed and (
                        not self._work or self.in_flight >= self.width or self._waiting >= self.max_waiting
                    ):
                        self._cond.wait()
                    if self._closed:
                        return
                    _order, number, source = heapq.heappop(self._work)
                    self.in_flight += 1
                    self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
                    throttled = self.api.throttled
                try:
                    items, total = self.api.listing_page(source.listing, number)
                except Exception as exc:
                    with self._cond:
                        self.in_flight -= 1
                        if self._error is None:
                            self._error = exc
                        self._closed = True
                        self._work.clear()
                        self._cond.notify_all()
                    self._done.put(None)  # wake batches() up to raise it
                    return
                with self._cond:
                    self.in_flight -= 1
                    self._pace(slowed=self.api.throttled > throttled)
                    page = self._received(source, number, items, total)
                    self._pending -= 1
                    self._waiting += 1
                    # Put while holding the lock: a listing's `last` page is never taken before another of its pages.
                    self._done.put(page)
                    self._cond.notify_all()
        finally:
            # A thread that touched the ORM (the simulator in-process) has its own connections.
            from django.db import connections

            connections.close_all()

    def _pace(self, *, slowed: bool) -> None:
        if slowed:
            self.width, self._calm = max(1, self.width // 2), 0
        elif self.width < self.limit:
            self._calm += 1
            if self._calm >= GROW_AFTER:
                self.width, self._calm = self.width + 1, 0

"""The Telnyx Branded Calling client: one method per endpoint the portal uses (CONTRACT.md §5).

Strict and boring: explicit timeouts; every non-2xx and transport failure becomes a typed error;
GETs are retried (429, 5xx, connection errors; honouring Retry-After) and nothing else ever is —
a retried bulk add after a lost 201 would fail as "already attached" (ARCHITECTURE.md §6.2).
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from portal.telnyx import errors, schemas

logger = logging.getLogger("portal.telnyx")

PAGE_SIZE = 250
_sleep = time.sleep  # module-level so tests can make retries instant
MAX_RETRY_WAIT = 60.0


@dataclass(frozen=True)
class Listing[T]:
    """A paged listing (path, query, how to parse an item): what `pages()` and a concurrent fetcher read."""

    path: str
    parse: Callable[[dict], T]
    params: dict = field(default_factory=dict)


class TelnyxClient:
    """A client for one Telnyx account (one API key); use as a context manager per unit of work."""

    def __init__(
        self,
        *,
        api_key: str,
        base_url: str,
        timeout: float = 10.0,
        transport: httpx.BaseTransport | None = None,
        max_retries: int = 2,
        max_rate_limit_retries: int | None = None,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        self._http = httpx.Client(
            base_url=base_url.rstrip("/") + "/",
            timeout=httpx.Timeout(timeout, connect=min(5.0, timeout)),
            headers={"Authorization": f"Bearer {api_key}", "Accept": "application/json"},
            transport=transport,
        )
        self._key_hint = f"…{api_key[-4:]}" if api_key else "(none)"
        self.max_retries = max_retries
        # 429s are the server pacing us, not failures: a caller may give them a budget of their own.
        self.max_rate_limit_retries = (
            max_retries if max_rate_limit_retries is None else max_rate_limit_retries
        )
        self._sleep = sleep or (lambda seconds: _sleep(seconds))
        self.calls = 0  # HTTP requests made, retries included (benchmarks read it)
        self.http_seconds = 0.0  # time spent waiting on Telnyx (summed over threads)
        self.throttled = 0  # 429 answers received
        self.idle_seconds = 0.0  # time a caller of this client spent waiting for pages (benchmarks)
        # One client may be shared by a sync's fetching threads (httpx.Client is thread-safe): the
        # counters and the rate gate below are guarded by this lock.
        self._lock = threading.Lock()
        self._resume_at = 0.0  # monotonic time before which no request is sent (after a 429)

    def __repr__(self) -> str:  # never show the key
        return f"<TelnyxClient {self._http.base_url} key {self._key_hint}>"

    def __enter__(self) -> TelnyxClient:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    # --- plumbing -----------------------------------------------------------------------------

    def _request(self, method: str, path: str, **kwargs) -> httpx.Response:
        attempt = throttled = 0
        waited = False
        while True:
            if not waited:
                self._gate_wait()
            waited = False
            with self._lock:
                self.calls += 1
            started = time.perf_counter()
            try:
                response = self._http.request(method, path.lstrip("/"), **kwargs)
            except httpx.TimeoutException as exc:
                error: errors.TelnyxError = errors.RequestTimeout(
                    f"Telnyx did not answer in time ({method} {path})."
                )
                error.__cause__ = exc
            except httpx.TransportError as exc:
                error = errors.TransportError(
                    f"Could not reach Telnyx ({method} {path}): {exc.__class__.__name__}."
                )
                error.__cause__ = exc
            else:
                self._count(time.perf_counter() - started, response)
                if response.is_success:
                    return response
                error = self._error(response)
            retryable = isinstance(error, errors.RateLimitError | errors.ServerError | errors.TransportError)
            rate_limited = isinstance(error, errors.RateLimitError)
            budget_left = (
                throttled < self.max_rate_limit_retries if rate_limited else attempt < self.max_retries
            )
            if method != "GET" or not retryable or not budget_left:
                raise error
            delay = self._retry_delay(error, throttled if rate_limited else attempt)
            logger.info(
                "telnyx: %s %s failed (%s), retry %d in %.2f s",
                method,
                path,
                error.status,
                (throttled if rate_limited else attempt) + 1,
                delay,
            )
            if rate_limited:
                # Every thread of this client holds back, not only the one that was told to.
                self._gate_hold(delay)
                throttled += 1
            else:
                attempt += 1
            self._sleep(delay)
            waited = True

    def _count(self, seconds: float, response: httpx.Response) -> None:
        with self._lock:
            self.http_seconds += seconds
            if response.status_code == 429:
                self.throttled += 1
        # Telnyx's documented headers: nothing left in this window means waiting for its reset.
        remaining = response.headers.get("x-ratelimit-remaining")
        if response.status_code != 429 and remaining is not None and remaining.strip() == "0":
            try:
                reset = float(response.headers.get("x-ratelimit-reset", ""))
            except ValueError:
                reset = 0.0
            if 0 < reset <= MAX_RETRY_WAIT:
                self._gate_hold(reset)

    def _gate_hold(self, seconds: float) -> None:
        with self._lock:
            self._resume_at = max(self._resume_at, time.monotonic() + seconds)

    def _gate_wait(self) -> None:
        with self._lock:
            wait = self._resume_at - time.monotonic()
        if wait > 0:
            self._sleep(wait)

    @staticmethod
    def _retry_delay(error: errors.TelnyxError, attempt: int) -> float:
        if (
            isinstance(error, errors.RateLimitError)
            and error.retry_after
            and 0 < error.retry_after <= MAX_RETRY_WAIT
        ):
            return error.retry_after
        return min(0.5 * 2**attempt, 8.0) * random.uniform(0.75, 1.0)

    @staticmethod
    def _error(response: httpx.Response) -> errors.TelnyxError:
        try:
            body = response.json()
        except ValueError:
            body = None
        items = []
        if isinstance(body, dict) and isinstance(body.get("errors"), list):
            items = [errors.ErrorItem.from_dict(e) for e in body["errors"] if isinstance(e, dict)]
        message = (
            items[0].detail or items[0].title if items else f"Telnyx answered HTTP {response.status_code}."
        )
        cls = errors.error_for_status(response.status_code)
        kwargs: dict[str, Any] = {"status": response.status_code, "errors": items, "body": body}
        if cls is errors.RateLimitError:
            kwargs["retry_after"] = _retry_after(response)
        return cls(message, **kwargs)

    def _json(self, method: str, path: str, **kwargs) -> Any:
        response = self._request(method, path, **kwargs)
        if not response.content:
            return {}
        try:
            return response.json()
        except ValueError as exc:
            raise errors.ServerError(
                "Telnyx sent a response that is not JSON.", status=response.status_code
            ) from exc

    def _data(self, method: str, path: str, **kwargs) -> Any:
        return self._json(method, path, **kwargs).get("data")

    def pages[T](
        self, path: str, parse: Callable[[dict], T], params: dict | None = None
    ) -> Iterator[list[T]]:
        """Every page at size 250; stops on an empty page or when the last page is reached."""
        number = 1
        while True:
            body = self._json(
                "GET", path, params={**(params or {}), "page[number]": number, "page[size]": PAGE_SIZE}
            )
            items = body.get("data") or []
            if not items:
                return
            yield [parse(item) for item in items]
            meta = body.get("meta") or {}
            current = meta.get("page_number") or number
            total = meta.get("total_pages")
            if total is not None and current >= total:
                return
            number = current + 1

    def listing_page[T](self, listing: Listing[T], number: int) -> tuple[list[T], int | None]:
        """One page (size 250) of a listing: its parsed items and `meta.total_pages` (None if absent)."""
        body = self._json(
            "GET", listing.path, params={**listing.params, "page[number]": number, "page[size]": PAGE_SIZE}
        )
        total = (body.get("meta") or {}).get("total_pages")
        return [listing.parse(item) for item in body.get("data") or []], total if isinstance(
            total, int
        ) else None

    def _iterate[T](self, path: str, parse: Callable[[dict], T], params: dict | None = None) -> Iterator[T]:
        for page in self.pages(path, parse, params):
            yield from page

    def page[T](self, path: str, parse: Callable[[dict], T], *, number: int = 1, size: int = 20, params=None):
        """One page and its meta, for lists shown page by page."""
        body = self._json("GET", path, params={**(params or {}), "page[number]": number, "page[size]": size})
        return [parse(i) for i in body.get("data") or []], schemas.build(schemas.PageMeta, body.get("meta"))

    # --- terms of service ---------------------------------------------------------------------

    def tos_status(self) -> dict:
        """Whether the account agreed to the current Branded Calling terms."""
        return self._data("GET", "terms_of_service/status", params={"product_type": "branded_calling"})

    def tos_agree(self) -> dict:
        """Agree to the current Branded Calling terms (idempotent)."""
        return self._data("POST", "terms_of_service/branded_calling/agree")

    # --- enterprises --------------------------------------------------------------------------

    def enterprise_create(self, body: dict) -> schemas.Enterprise:
        """Register an enterprise."""
        return schemas.build(schemas.Enterprise, self._data("POST", "enterprises", json=body))

    def enterprise_iter(self) -> Iterator[schemas.Enterprise]:
        """Every enterprise of the account."""
        return self._iterate("enterprises", lambda raw: schemas.build(schemas.Enterprise, raw))

    def enterprise_get(self, enterprise_id: str) -> schemas.Enterprise:
        """One enterprise."""
        return schemas.build(schemas.Enterprise, self._data("GET", f"enterprises/{enterprise_id}"))

    def enterprise_update(self, enterprise_id: str, body: dict) -> schemas.Enterprise:
        """Replace the mutable fields (send the full set, built from a fresh GET)."""
        return schemas.build(schemas.Enterprise, self._data("PUT", f"enterprises/{enterprise_id}", json=body))

    def enterprise_delete(self, enterprise_id: str) -> None:
        """Delete an enterprise (204)."""
        self._request("DELETE", f"enterprises/{enterprise_id}")

    def enterprise_activate(self, enterprise_id: str) -> schemas.Enterprise:
        """Turn Branded Calling on for an enterprise (idempotent)."""
        return schemas.build(
            schemas.Enterprise, self._data("POST", f"enterprises/{enterprise_id}/branded_calling")
        )

    # --- DIRs ---------------------------------------------------------------------------------

    def dir_create(self, enterprise_id: str, body: dict) -> schemas.Dir:
        """Create a draft DIR under an enterprise."""
        return schemas.Dir.from_dict(self._data("POST", f"enterprises/{enterprise_id}/dir", json=body))

    def dir_iter(self, **filters: str) -> Iterator[schemas.Dir]:
        """Every DIR of the account, optionally filtered (`status`, `enterprise_id`, …)."""
        params = {f"filter[{k}]": v for k, v in filters.items()}
        return self._iterate("dir", schemas.Dir.from_dict, params)

    def dir_get(self, dir_id: str) -> schemas.Dir:
        """One DIR."""
        return schemas.Dir.from_dict(self._data("GET", f"dir/{dir_id}"))

    def dir_update(self, dir_id: str, body: dict) -> schemas.Dir:
        """Edit a DIR (a real change to a verified DIR sends it back to draft)."""
        return schemas.Dir.from_dict(self._data("PATCH", f"dir/{dir_id}", json=body))

    def dir_delete(self, dir_id: str) -> None:
        """Request deletion (any 2xx, with or without a body)."""
        self._request("DELETE", f"dir/{dir_id}")

    def dir_submit(self, dir_id: str) -> schemas.Dir:
        """Submit a DIR for vetting."""
        return schemas.Dir.from_dict(self._data("POST", f"dir/{dir_id}/submit"))

    def dir_infringement_update(self, dir_id: str, body: dict) -> schemas.Dir:
        """Fix and re-vet a DIR suspended by an open claim."""
        return schemas.Dir.from_dict(self._data("PUT", f"dir/{dir_id}/infringement_update", json=body))

    def document_types(self) -> list[dict]:
        """The document types a DIR or batch may reference."""
        return self._data("GET", "dir/document_types") or []

    def call_reason_iter(self) -> Iterator[dict]:
        """The pre-vetted call reason library."""
        return self._iterate("call_reasons", lambda raw: raw)

    def call_reasons_validate(self, reasons: list[str]) -> schemas.CallReasonCheck:
        """Which reasons would need manual vetting."""
        raw = self._data("POST", "call_reasons/validate", json=reasons) or {}
        return schemas.CallReasonCheck(
            all_pre_approved=bool(raw.get("all_pre_approved")),
            requires_manual_vetting=bool(raw.get("requires_manual_vetting")),
            non_approved_reasons=tuple(raw.get("non_approved_reasons") or ()),
        )

    def comment_iter(self, dir_id: str) -> Iterator[schemas.Comment]:
        """The DIR's vetting thread."""
        return self._iterate(f"dir/{dir_id}/comments", lambda raw: schemas.build(schemas.Comment, raw))

    def comment_create(
        self, dir_id: str, content: str, parent_comment_id: str | None = None
    ) -> schemas.Comment:
        """Reply in the vetting thread."""
        body: dict[str, Any] = {"content": content}
        if parent_comment_id:
            body["parent_comment_id"] = parent_comment_id
        return schemas.build(schemas.Comment, self._data("POST", f"dir/{dir_id}/comments", json=body))

    def loa_render(self, dir_id: str, phone_numbers: list[str], *, agent=None, signature=None) -> bytes:
        """Telnyx's pre-filled LOA PDF for up to 15 numbers."""
        body: dict[str, Any] = {"phone_numbers": phone_numbers}
        if agent:
            body["agent"] = agent
        if signature:
            body["signature"] = signature
        return self._request(
            "POST", f"dir/{dir_id}/loa", json=body, headers={"Accept": "application/pdf"}
        ).content

    # --- documents ----------------------------------------------------------------------------

    def document_upload(
        self, content: bytes, filename: str, customer_reference: str | None = None
    ) -> schemas.Document:
        """Upload a file (multipart); link it within 30 minutes or Telnyx deletes it."""
        data = {"customer_reference": customer_reference} if customer_reference else None
        raw = self._data("POST", "documents", files={"file": (filename, content)}, data=data)
        return schemas.build(schemas.Document, raw)

    def document_get(self, document_id: str) -> schemas.Document:
        """Document metadata."""
        return schemas.build(schemas.Document, self._data("GET", f"documents/{document_id}"))

    def document_download(self, document_id: str) -> bytes:
        """The document's bytes."""
        return self._request("GET", f"documents/{document_id}/download", headers={"Accept": "*/*"}).content

    def document_delete(self, document_id: str) -> None:
        """Delete an unlinked document."""
        self._request("DELETE", f"documents/{document_id}")

    # --- numbers and batches ------------------------------------------------------------------

    def numbers_add(
        self, dir_id: str, phone_numbers: list[str], documents: list[dict]
    ) -> list[schemas.DirPhoneNumber]:
        """Attach 1–15 numbers in one new batch — all or nothing. Never retried: see the module docstring."""
        raw = self._data(
            "POST",
            f"dir/{dir_id}/phone_numbers",
            json={"phone_numbers": phone_numbers, "documents": documents},
        )
        return [schemas.DirPhoneNumber.from_dict(item) for item in raw or []]

    def number_iter(self, dir_id: str) -> Iterator[schemas.DirPhoneNumber]:
        """Every number attached to a DIR."""
        return self._iterate(f"dir/{dir_id}/phone_numbers", schemas.DirPhoneNumber.from_dict)

    @staticmethod
    def enterprise_listing() -> Listing[schemas.Enterprise]:
        """Every enterprise of the account (for `listing_page` or a concurrent fetcher)."""
        return Listing("enterprises", _enterprise)

    @staticmethod
    def dir_listing() -> Listing[schemas.Dir]:
        """Every DIR of the account."""
        return Listing("dir", schemas.Dir.from_dict)

    @staticmethod
    def batch_listing(dir_id: str) -> Listing[schemas.Batch]:
        """A DIR's batches, without parsing their embedded numbers (listed separately)."""
        return Listing(f"dir/{dir_id}/phone_number_batches", schemas.Batch.summary_from_dict)

    @staticmethod
    def number_listing(dir_id: str) -> Listing[schemas.DirPhoneNumber]:
        """The numbers attached to a DIR."""
        return Listing(f"dir/{dir_id}/phone_numbers", schemas.DirPhoneNumber.from_dict)

    def enterprise_pages(self) -> Iterator[list[schemas.Enterprise]]:
        """Every enterprise, a page (250) at a time, for bulk mirroring."""
        return self.pages("enterprises", _enterprise)

    def dir_pages(self) -> Iterator[list[schemas.Dir]]:
        """Every DIR of the account, a page at a time."""
        return self.pages("dir", schemas.Dir.from_dict)

    def batch_pages(self, dir_id: str) -> Iterator[list[schemas.Batch]]:
        """A DIR's batches a page at a time, without parsing their embedded numbers (listed separately)."""
        return self.pages(f"dir/{dir_id}/phone_number_batches", schemas.Batch.summary_from_dict)

    def number_pages(self, dir_id: str) -> Iterator[list[schemas.DirPhoneNumber]]:
        """The attached numbers, a page (250) at a time, for bulk mirroring."""
        return self.pages(f"dir/{dir_id}/phone_numbers", schemas.DirPhoneNumber.from_dict)

    def numbers_remove(self, dir_id: str, phone_numbers: list[str]) -> schemas.RemoveResult:
        """Detach up to 100 numbers; partial success lists the ones that could not be removed."""
        body = self._json("DELETE", f"dir/{dir_id}/phone_numbers", json={"phone_numbers": phone_numbers})
        return schemas.RemoveResult(
            removed=tuple(body.get("data") or ()),
            not_removed=tuple((body.get("meta") or {}).get("errors") or ()),
        )

    def batch_iter(self, dir_id: str, status: str | None = None) -> Iterator[schemas.Batch]:
        """Every vetting batch of a DIR, newest first."""
        params = {"filter[status]": status} if status else None
        return self._iterate(f"dir/{dir_id}/phone_number_batches", schemas.Batch.from_dict, params)

    def batch_get(self, dir_id: str, batch_id: str) -> schemas.Batch:
        """One batch with its numbers."""
        return schemas.Batch.from_dict(self._data("GET", f"dir/{dir_id}/phone_number_batches/{batch_id}"))

    # --- claims -------------------------------------------------------------------------------

    def claim_iter(self, dir_id: str) -> Iterator[schemas.InfringementClaim]:
        """Infringement claims against a DIR."""
        return self._iterate(
            f"dir/{dir_id}/infringement_claims", lambda raw: schemas.build(schemas.InfringementClaim, raw)
        )

    def claim_get(self, claim_id: str) -> schemas.InfringementClaim:
        """One claim."""
        return schemas.build(schemas.InfringementClaim, self._data("GET", f"infringement_claims/{claim_id}"))

    def claim_contest(
        self, claim_id: str, notes: str, documents: list[dict] | None = None
    ) -> schemas.InfringementClaim:
        """Contest a claim with notes and evidence."""
        body: dict[str, Any] = {"contest_notes": notes}
        if documents:
            body["documents"] = documents
        return schemas.build(
            schemas.InfringementClaim,
            self._data("POST", f"infringement_claims/{claim_id}/contest", json=body),
        )

    # --- inventory ----------------------------------------------------------------------------

    def inventory_iter(self, *, digits: str | None = None) -> Iterator[dict]:
        """The account's phone numbers (optionally those containing `digits`)."""
        params = {"filter[phone_number]": digits} if digits else None
        return self._iterate("phone_numbers", lambda raw: raw, params)

    def verify_ownership(self, phone_numbers: list[str]) -> tuple[set[str], list[str]]:
        """(owned numbers in an editable state, the rest as sent)."""
        raw = (
            self._data(
                "POST", "phone_numbers/actions/verify_ownership", json={"phone_numbers": phone_numbers}
            )
            or {}
        )
        found = {f.get("number_val_e164") for f in raw.get("found") or [] if isinstance(f, dict)}
        return found, list(raw.get("not_found") or [])


def _enterprise(raw: dict) -> schemas.Enterprise:
    return schemas.build(schemas.Enterprise, raw)


def _retry_after(response: httpx.Response) -> float | None:
    """Seconds from `retry-after-ms`, or `Retry-After` as seconds or an HTTP date."""
    if "retry-after-ms" in response.headers:
        try:
            return float(response.headers["retry-after-ms"]) / 1000
        except ValueError:
            pass
    value = response.headers.get("retry-after")
    if not value:
        return None
    try:
        return float(value)
    except ValueError:
        try:
            return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
        except (TypeError, ValueError):
            return None

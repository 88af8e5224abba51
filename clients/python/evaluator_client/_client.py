"""A small client for the Evaluator HTTP API (Python standard library + numpy).

    from evaluator_client import Client

    client = Client("http://127.0.0.1:8080")
    run = client.create_run(num_classes=19, ignore_labels=[255], partitions=2, run_id="val-epoch-3")
    writer = run.partition(0)
    for gt, pred in batches:                 # numpy arrays (or CPU/GPU torch tensors), same shape
        writer.push(gt, pred)                # counted exactly once, even if retried
    run.complete()
    report = run.wait()                      # the final report (a dict); also run.report()

Delivery: every batch of a partition has a sequence number (0, 1, 2, ...). The server counts
batch ``seq`` only when it is the next one it expects; a repeat of a counted batch is
acknowledged as a duplicate and not counted again. So the writer

* retries the *same* sequence number on connection errors, timeouts and 5xx answers;
* keeps every batch it sent until the server acknowledges it (an answer is sent only once the
  count is persisted), and on ``409 gap`` resends from the ``expected_seq`` the server names;
* may have several batches in flight (``in_flight=N``): they can arrive out of order, which the
  gap handling above repairs; duplicates are harmless.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Dict, Iterator, List, Optional, Tuple

import numpy as np

__all__ = ["Client", "Run", "PartitionWriter", "EvaluatorError", "GapError", "confusion_matrix", "narrow_labels"]

# numpy dtype -> the dtype names of the API (little-endian on the wire).
_WIRE_DTYPES = {
    np.dtype(np.uint8): "uint8",
    np.dtype(np.uint16): "uint16",
    np.dtype(np.int32): "int32",
    np.dtype(np.int64): "int64",
}


class EvaluatorError(Exception):
    """An HTTP error answer of the API (an RFC 7807 problem), or a request that kept failing."""

    def __init__(self, status: int, title: str, detail: str = "", body: Optional[dict] = None):
        super().__init__(f"HTTP {status} {title}: {detail}" if status else f"{title}: {detail}")
        self.status = status
        self.title = title
        self.detail = detail
        self.body = body or {}


class GapError(EvaluatorError):
    """The server expects a batch this writer no longer holds (it cannot resend it)."""

    def __init__(self, expected_seq: int, detail: str):
        super().__init__(409, "gap", detail, {"expected_seq": expected_seq})
        self.expected_seq = expected_seq


def _is_tensor(x: Any) -> bool:
    """A torch tensor (duck-typed: torch is never imported here)."""
    return hasattr(x, "detach") and hasattr(x, "cpu") and hasattr(x, "dtype")


_INT32 = (-(2**31), 2**31 - 1)


def _narrow_tensor(t: Any) -> Any:
    """A torch tensor narrowed on its own device before it is copied to the host (uint8 when the
    labels fit, else int32 when they fit, else as it is), so that fewer bytes cross the bus.
    Checked: the min and max decide, nothing is ever truncated."""
    name = str(t.dtype)
    if name == "torch.bool" or t.is_floating_point() or t.is_complex():
        raise TypeError(f"label arrays must hold integers, not {t.dtype}")
    if t.numel() == 0 or name == "torch.uint8":
        return t
    lo, hi = int(t.min()), int(t.max())
    if 0 <= lo and hi <= 255:
        return t.to(dtype=_torch_dtype(t, "uint8"))
    if _INT32[0] <= lo and hi <= _INT32[1] and t.element_size() > 4:
        return t.to(dtype=_torch_dtype(t, "int32"))
    return t


def _torch_dtype(t: Any, name: str) -> Any:
    import torch  # only reached with a tensor in hand, so torch is installed

    return getattr(torch, name)


def narrow_labels(a: Any) -> np.ndarray:
    """The smallest wire dtype (uint8, uint16, int32, int64) that holds every label of ``a``.

    Checked, never lossy: the array's min and max choose the dtype; negative labels keep a
    signed type (int32, or int64 when they do not fit). An empty array becomes uint8. Accepts
    any integer numpy array or torch tensor (on any device: narrowed there first); bool and
    floating arrays are refused (TypeError); uint64 labels past 2**63-1 are a ValueError. The
    result is little-endian and C-contiguous, ready to send."""
    if _is_tensor(a):
        a = _narrow_tensor(a.detach()).cpu().numpy()
    a = np.asarray(a)
    if a.dtype == np.bool_ or a.dtype.kind not in "iu":
        raise TypeError(f"label arrays must hold integers, not {a.dtype}")
    if a.size == 0:
        return np.ascontiguousarray(a, dtype="<u1")
    lo, hi = int(a.min()), int(a.max())
    if lo >= 0:
        if hi <= 0xFF:
            dt = "<u1"
        elif hi <= 0xFFFF:
            dt = "<u2"
        elif hi <= _INT32[1]:
            dt = "<i4"
        elif hi <= 2**63 - 1:
            dt = "<i8"
        else:
            raise ValueError(f"label {hi} is past 2**63-1 and cannot be sent")
    elif lo >= _INT32[0] and hi <= _INT32[1]:
        dt = "<i4"
    elif hi <= 2**63 - 1:
        dt = "<i8"
    else:
        raise ValueError(f"labels from {lo} to {hi} do not fit one signed 64-bit type")
    return np.ascontiguousarray(a, dtype=dt)


def _as_numpy(x: Any) -> np.ndarray:
    if _is_tensor(x):  # a torch tensor, on any device
        x = x.detach().cpu().numpy()
    a = np.asarray(x)
    if a.dtype == np.bool_ or a.dtype.kind not in "iu":
        raise TypeError(f"label arrays must hold integers, not {a.dtype}")
    return a


def _wire(a: np.ndarray) -> Tuple[np.ndarray, str]:
    """The array in a dtype the API takes, little-endian, C order."""
    dt = a.dtype.newbyteorder("=")
    if dt not in _WIRE_DTYPES:
        if dt.kind == "i" and dt.itemsize < 4:
            dt = np.dtype(np.int32)
        elif dt.kind == "u" and dt.itemsize == 4:
            dt = np.dtype(np.int64)
        elif dt.kind == "u" and dt.itemsize == 8:
            if a.size and a.max() > np.iinfo(np.int64).max:
                raise ValueError("uint64 labels above 2**63-1 cannot be sent")
            dt = np.dtype(np.int64)
        else:
            raise TypeError(f"unsupported label dtype {a.dtype}")
    name = _WIRE_DTYPES[dt]
    a = np.ascontiguousarray(a, dtype=dt.newbyteorder("<"))
    return a, name


def confusion_matrix(report: dict) -> np.ndarray:
    """The confusion matrix of a report or snapshot (dense ``confusion_matrix``) or of an event
    (sparse ``confusion_cells``: nonzero [row, column, count]) as an int64 array (rows ground
    truth, columns prediction)."""
    c = report["num_classes"]
    if "confusion_matrix" in report:
        return np.array(report["confusion_matrix"], dtype=np.int64).reshape(c, c)
    m = np.zeros((c, c), dtype=np.int64)
    for row, col, count in report.get("confusion_cells", []):
        m[row, col] = count
    return m


class Client:
    """The API of one node. ``retries`` bounds the attempts of one request on connection errors and 5xx."""

    def __init__(self, url: str, token: Optional[str] = None, timeout: float = 60.0, retries: int = 8,
                 backoff: float = 0.2, max_backoff: float = 5.0):
        self.url = url.rstrip("/")
        self.token = token
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.max_backoff = max_backoff

    # ---- transport -------------------------------------------------------------------------

    def _urlopen(self, request: urllib.request.Request, timeout: float):
        """One HTTP exchange (a seam for tests that inject faults)."""
        return urllib.request.urlopen(request, timeout=timeout)

    def request(self, method: str, path: str, body: Optional[bytes] = None, query: Optional[dict] = None,
                content_type: str = "application/json", retry: bool = True,
                ok: Tuple[int, ...] = (200, 201, 202)) -> Tuple[int, Any]:
        """Sends one request, retrying connection errors and 5xx answers with backoff.

        Returns (status, parsed JSON body or text). 4xx answers other than those in ``ok`` raise
        EvaluatorError at once (they are not transient)."""
        url = self.url + path + ("?" + urllib.parse.urlencode(query) if query else "")
        headers = {"Accept": "application/json"}
        if body is not None:
            headers["Content-Type"] = content_type
        if self.token:
            headers["Authorization"] = "Bearer " + self.token
        attempts = self.retries + 1 if retry else 1
        delay = self.backoff
        last: Optional[BaseException] = None
        for attempt in range(attempts):
            if attempt:
                time.sleep(delay)
                delay = min(self.max_backoff, delay * 2)
            req = urllib.request.Request(url, data=body, method=method, headers=headers)
            try:
                with self._urlopen(req, self.timeout) as res:
                    return res.status, _parse(res.read(), res.headers.get("Content-Type", ""))
            except urllib.error.HTTPError as e:
                payload = _parse(_read(e), e.headers.get("Content-Type", "") if e.headers else "")
                if e.code in ok:
                    return e.code, payload
                if e.code >= 500:
                    last = _problem(e.code, payload)
                    continue
                raise _problem(e.code, payload) from None
            except (urllib.error.URLError, ConnectionError, TimeoutError, OSError) as e:
                last = e
                continue
        if isinstance(last, EvaluatorError):
            raise last
        raise EvaluatorError(0, "unreachable", f"{method} {path} failed after {attempts} attempt(s): {last}")

    # ---- runs ------------------------------------------------------------------------------

    def create_run(self, num_classes: int, run_id: Optional[str] = None, partitions: int = 1, **spec: Any) -> "Run":
        """POST /runs. ``spec`` takes the other fields of the run spec: class_names, ignore_labels,
        label_map, map_predictions, out_of_range, target_classes, categories, beta.

        Creating a run that exists with the same spec resumes it (``run.resumed``); another spec
        is refused (EvaluatorError 409). A run id is generated here when none is given, so that a
        retried request cannot create two runs."""
        run_id = run_id or f"run-{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:6]}"
        body = dict(spec, run_id=run_id, num_classes=num_classes, partitions=partitions)
        status, answer = self.request("POST", "/runs", json.dumps(body).encode())
        return Run(self, answer["run_id"], answer["partitions"], resumed=bool(answer.get("resumed")))

    def run(self, run_id: str) -> "Run":
        """An existing run (its partition count is read from the server)."""
        state = self.state(run_id)
        return Run(self, run_id, len(state["partitions"]), resumed=True)

    def runs(self) -> List[dict]:
        """GET /runs: every run of the node's journal."""
        return self.request("GET", "/runs")[1]

    def state(self, run_id: str) -> dict:
        """GET /runs/{id} (JSON): status, pixels, mean IoU and the partitions' watermarks."""
        return self.request("GET", "/runs/" + _q(run_id))[1]


class Run:
    def __init__(self, client: Client, run_id: str, partitions: int, resumed: bool = False):
        self.client = client
        self.run_id = run_id
        self.partitions = partitions
        self.resumed = resumed

    def __repr__(self) -> str:
        return f"Run({self.run_id!r}, partitions={self.partitions})"

    def partition(self, p: int, next_seq: Optional[int] = None, in_flight: int = 1) -> "PartitionWriter":
        """A writer of partition ``p``. It starts at ``next_seq`` or, by default, at the server's
        watermark for the partition (so a restarted client continues where the server is)."""
        if not 0 <= p < self.partitions:
            raise ValueError(f"partition {p} is not in [0, {self.partitions})")
        if next_seq is None:
            next_seq = self.watermarks()[p]
        return PartitionWriter(self, p, next_seq, in_flight)

    def watermarks(self) -> List[int]:
        state = self.client.state(self.run_id)
        return [q["watermark"] for q in sorted(state["partitions"], key=lambda q: q["partition"])]

    def snapshot(self) -> dict:
        """GET /runs/{id}/snapshot: the latest report (final or not)."""
        return self.client.request("GET", f"/runs/{_q(self.run_id)}/snapshot")[1]

    def complete(self) -> dict:
        """POST /runs/{id}/complete: every partition ends at its acknowledged watermark."""
        return self.client.request("POST", f"/runs/{_q(self.run_id)}/complete", b"")[1]

    def cancel(self) -> dict:
        """POST /runs/{id}/cancel: its partitions stop, what was committed stays, status "cancelled"
        (idempotent). A finished run raises EvaluatorError 409."""
        return self.client.request("POST", f"/runs/{_q(self.run_id)}/cancel", b"")[1]

    def delete(self) -> None:
        """DELETE /runs/{id}: the run's journal events and snapshots go. A running run raises
        EvaluatorError 409 (cancel it first); an unknown one 404."""
        self.client.request("DELETE", "/runs/" + _q(self.run_id), ok=(200, 204))

    def wait(self, timeout: Optional[float] = None, poll: float = 0.25) -> dict:
        """Polls the snapshot until it is final; returns it. Raises TimeoutError."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            s = self.snapshot()
            if s.get("final"):
                return s
            if deadline is not None and time.monotonic() >= deadline:
                raise TimeoutError(f"run {self.run_id} not final after {timeout} s (status {s.get('status')})")
            time.sleep(poll)

    def events(self, timeout: Optional[float] = None) -> Iterator[Tuple[str, dict]]:
        """GET /runs/{id}/events (server-sent events): yields (event, snapshot) with event
        "snapshot" or "final"; ends after the final one. An event's matrix is sparse
        (``confusion_cells``); ``confusion_matrix(snapshot)`` reads either form."""
        c = self.client
        headers = {"Accept": "text/event-stream"}
        if c.token:
            headers["Authorization"] = "Bearer " + c.token
        req = urllib.request.Request(f"{c.url}/runs/{_q(self.run_id)}/events", headers=headers)
        with c._urlopen(req, timeout if timeout is not None else c.timeout) as res:
            event, data = "message", []  # type: Tuple[str, List[str]]
            for raw in res:
                line = raw.decode("utf-8").rstrip("\r\n")
                if not line:
                    if data:
                        yield event, json.loads("\n".join(data))
                        if event == "final":
                            return
                    event, data = "message", []
                elif line.startswith(":"):
                    continue
                else:
                    field, _, value = line.partition(":")
                    value = value[1:] if value.startswith(" ") else value
                    if field == "event":
                        event = value
                    elif field == "data":
                        data.append(value)

    def report(self) -> dict:
        """GET /runs/{id}/report.json (only once the run is final; 409 before)."""
        return self.client.request("GET", f"/runs/{_q(self.run_id)}/report.json")[1]

    def report_csv(self) -> str:
        return self.client.request("GET", f"/runs/{_q(self.run_id)}/report.csv")[1]

    def cityscapes_json(self) -> dict:
        """GET /runs/{id}/cityscapes.json: a finished ``"protocol": "cityscapes"`` run's result file
        as cityscapesScripts writes it (``classScores``, ``classInstScores``, ``categoryScores``, …,
        ``confMatrix``; NaN read back as float("nan")); 409 while running or for another run."""
        return self.client.request("GET", f"/runs/{_q(self.run_id)}/cityscapes.json")[1]

    def bootstrap(self, resamples: int = 1000, seed: int = 0, confidence: float = 0.95) -> dict:
        """GET /runs/{id}/bootstrap: the report's ``bootstrap`` object (intervals of the mean IoU
        and of each class's IoU) of a final run made with --per-image. A running run or one without
        per-image results raises EvaluatorError 409; resamples above the server's
        evaluator.http.max-bootstrap-resamples 400."""
        query = {"resamples": resamples, "seed": seed, "confidence": confidence}
        return self.client.request("GET", f"/runs/{_q(self.run_id)}/bootstrap", query=query)[1]


class PartitionWriter:
    """Sends one partition's batches (label arrays) and matrices in sequence order.

    ``push`` returns once the batch is acknowledged (with ``in_flight=1``), or as soon as fewer
    than ``in_flight`` batches are outstanding; ``flush`` waits for all of them and raises the
    first error."""

    def __init__(self, run: Run, partition: int, next_seq: int = 0, in_flight: int = 1):
        if in_flight < 1:
            raise ValueError("in_flight must be >= 1")
        self.run = run
        self.partition = partition
        self.next_seq = next_seq
        self.in_flight = in_flight
        self.watermark = 0  # batches [0, watermark) are acknowledged (persisted) by the server
        self.counted = 0  # batches this writer saw counted
        self.duplicates = 0  # batches acknowledged as already counted
        self.skipped = 0  # of those, batches not even sent: already below the acknowledged watermark
        self.gaps = 0  # 409 gap answers handled
        self._unacked: Dict[int, Tuple[bytes, dict, str]] = {}  # seq -> (body, query, kind)
        self._lock = threading.Lock()
        self._slots = threading.BoundedSemaphore(in_flight)
        self._pool = ThreadPoolExecutor(max_workers=in_flight) if in_flight > 1 else None
        self._futures: List[Future] = []

    # ---- public ----------------------------------------------------------------------------

    def push(self, gt: Any, pred: Any, narrow: bool = True) -> Optional[Dict[str, Any]]:
        """Sends one batch: ground truth and prediction label arrays of one shape (any integer
        dtype; numpy arrays or torch tensors). Returns the acknowledgement when in_flight == 1.

        With ``narrow`` (the default) each array is sent in the smallest dtype that holds its
        labels (``narrow_labels``: checked by min/max, never lossy), so an int64 ``argmax`` of
        labels below 256 travels as uint8, 8 times fewer bytes."""
        if narrow:
            g, p = narrow_labels(gt), narrow_labels(pred)
        else:
            g, p = _as_numpy(gt), _as_numpy(pred)
        if g.shape != p.shape:
            raise ValueError(f"ground truth {g.shape} and prediction {p.shape} differ in shape")
        if g.size == 0:
            raise ValueError("an empty batch cannot be sent")
        shape = g.shape if g.ndim else (1,)
        g, gname = _wire(g)
        p, pname = _wire(p)
        query = {"shape": ",".join(str(d) for d in shape), "gt_dtype": gname, "pred_dtype": pname}
        return self._enqueue(g.tobytes() + p.tobytes(), query, "batches")

    def push_matrix(self, matrix: Any, ignored: int = 0, out_of_range: int = 0) -> Optional[dict]:
        """Sends a precomputed C×C int64 confusion matrix (rows ground truth) as one batch."""
        m = np.asarray(matrix)
        if m.ndim != 2 or m.shape[0] != m.shape[1]:
            raise ValueError(f"a confusion matrix must be square, not {m.shape}")
        if m.dtype.kind not in "iu" or (m.size and m.min() < 0):
            raise ValueError("a confusion matrix holds non-negative integers")
        m = np.ascontiguousarray(m, dtype="<i8")
        query = {}
        if ignored:
            query["ignored"] = str(int(ignored))
        if out_of_range:
            query["out_of_range"] = str(int(out_of_range))
        return self._enqueue(m.tobytes(), query, "matrices")

    def flush(self) -> None:
        """Waits until every batch sent so far is acknowledged; raises the first failure."""
        futures, self._futures = self._futures, []
        for f in futures:
            f.result()

    def close(self) -> None:
        try:
            self.flush()
        finally:
            if self._pool is not None:
                self._pool.shutdown(wait=True)

    def __enter__(self) -> "PartitionWriter":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    @property
    def unacknowledged(self) -> List[int]:
        with self._lock:
            return sorted(self._unacked)

    # ---- delivery --------------------------------------------------------------------------

    def _enqueue(self, body: bytes, query: dict, kind: str) -> Optional[dict]:
        for f in self._futures:  # a batch that failed for good stops the writer
            failure = f.exception() if f.done() else None
            if failure is not None:
                raise failure
        with self._lock:
            seq = self.next_seq
            self.next_seq += 1
            self._unacked[seq] = (body, query, kind)
        if self._pool is None:
            return self._deliver(seq)
        self._slots.acquire()
        future = self._pool.submit(self._deliver_async, seq)
        self._futures = [f for f in self._futures if not f.done() or f.exception() is not None]
        self._futures.append(future)
        return None

    def _deliver_async(self, seq: int) -> dict:
        try:
            return self._deliver(seq)
        finally:
            self._slots.release()

    def _deliver(self, seq: int) -> dict:
        """Sends batch ``seq`` until it is acknowledged; on a gap, resends from expected_seq first."""
        client = self.run.client
        for round_ in range(100):
            if round_ >= 2:  # the gap persists (others still in flight, or a node restarting): back off
                time.sleep(min(client.max_backoff, client.backoff * 2 ** (round_ - 2)))
            with self._lock:
                if seq < self.watermark:
                    self.duplicates += 1
                    self.skipped += 1
                    self._unacked.pop(seq, None)
                    return {"seq": seq, "status": "duplicate", "watermark": self.watermark}
                held = self._unacked.get(seq)
            if held is None:
                raise GapError(seq, f"batch {seq} of partition {self.partition} is no longer held")
            answer = self._send(seq, held)
            if answer.get("status") != "gap":
                return answer
            # expected_seq is what the shard counted so far, not necessarily persisted: batches
            # below it stay held until a real acknowledgement covers them.
            expected = int(answer["expected_seq"])
            with self._lock:
                self.gaps += 1
            for s in range(expected, seq):
                with self._lock:
                    if s < self.watermark:
                        continue
                    earlier = self._unacked.get(s)
                if earlier is None:
                    raise GapError(s, f"the server expects batch {s} of partition {self.partition}, "
                                      "which this writer does not hold: resend from there")
                if self._send(s, earlier).get("status") == "gap":
                    break  # the server expects something else now: start over from its answer
        raise EvaluatorError(409, "gap", f"batch {seq} of partition {self.partition} could not be placed")

    def _send(self, seq: int, held: Tuple[bytes, dict, str]) -> dict:
        body, query, kind = held
        path = f"/runs/{_q(self.run.run_id)}/partitions/{self.partition}/{kind}/{seq}"
        try:
            status, answer = self.run.client.request("POST", path, body, query, "application/octet-stream")
        except EvaluatorError as e:
            if e.status == 409 and e.title == "gap" and "expected_seq" in e.body:
                return {"status": "gap", "expected_seq": e.body["expected_seq"]}
            raise
        with self._lock:
            if answer.get("status") == "counted":
                self.counted += 1
            elif answer.get("status") == "duplicate":
                self.duplicates += 1
        self._acknowledge(int(answer["watermark"]))
        return answer

    def _acknowledge(self, watermark: int) -> None:
        """Batches below the server's (persisted) watermark need never be sent again."""
        with self._lock:
            if watermark > self.watermark:
                self.watermark = watermark
            for s in [s for s in self._unacked if s < self.watermark]:
                del self._unacked[s]


def _q(s: str) -> str:
    return urllib.parse.quote(s, safe="")


def _read(e: urllib.error.HTTPError) -> bytes:
    try:
        raw: Any = e.read()
    except Exception:  # noqa: BLE001 - an error answer without a readable body
        return b""
    return raw.encode() if isinstance(raw, str) else (raw or b"")


def _parse(raw: bytes, content_type: str) -> Any:
    text = raw.decode("utf-8", errors="replace")
    if "json" in content_type:
        try:
            return json.loads(text)
        except ValueError:
            return text
    return text


def _problem(status: int, payload: Any) -> EvaluatorError:
    if isinstance(payload, dict):
        return EvaluatorError(status, payload.get("title", "error"), payload.get("detail", ""), payload)
    return EvaluatorError(status, "error", str(payload)[:500])

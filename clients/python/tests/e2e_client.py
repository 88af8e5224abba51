#!/usr/bin/env python3
"""End-to-end check of the evaluator_client package against a running node:

    python3 clients/python/tests/e2e_client.py http://127.0.0.1:8080

Creates an ingest run with 3 partitions and sends numpy batches (mixed dtypes, ignored pixels)
and precomputed int64 matrices through the client while faults are injected: a request that
never leaves, a lost answer (the batch is counted, the client resends it: a duplicate), a 503,
a batch held back so that the next one arrives first (409 gap: the writer resends from
expected_seq), a whole partition sent twice, and a writer that starts ahead of the server.
Then it completes the run, reads the final report (SSE, polling and report.json) and checks
the confusion matrix against numpy's own bincount recount, exactly. Exit 0 on success.
"""

import io
import os
import sys
import threading
import time
import urllib.error
import urllib.parse

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # clients/python
from evaluator_client import Client, EvaluatorError, GapError, confusion_matrix  # noqa: E402

C = 7
IGNORE = 255
NAMES = ["road", "sidewalk", "building", "vegetation", "sky", "person", "car"]


def check(cond, message):
    if not cond:
        raise AssertionError(message)


class FaultyClient(Client):
    """A client whose transport fails on purpose, once per chosen request."""

    def __init__(self, url):
        super().__init__(url, timeout=30, retries=6, backoff=0.05)
        self.lock = threading.Lock()
        self.attempts = {}  # (partition, seq) -> attempts seen
        self.log = []
        self.gap_seen = threading.Event()

    @staticmethod
    def _where(request):
        parts = urllib.parse.urlparse(request.full_url).path.strip("/").split("/")
        # runs/{id}/partitions/{p}/batches|matrices/{seq}
        if len(parts) == 6 and parts[2] == "partitions":
            return int(parts[3]), int(parts[5])
        return None

    def _urlopen(self, request, timeout):
        where = self._where(request)
        if where is None:
            return super()._urlopen(request, timeout)
        with self.lock:
            n = self.attempts.get(where, 0) + 1
            self.attempts[where] = n
        if n == 1 and where == (0, 2):
            self.log.append("p0 b2: request lost before sending")
            raise urllib.error.URLError("injected: connection refused")
        if n == 1 and where == (0, 5):
            self.log.append("p0 b5: 503 without sending")
            raise urllib.error.HTTPError(request.full_url, 503, "injected", {"Content-Type": "text/plain"},
                                         io.BytesIO(b"injected: busy"))
        if n == 1 and where == (1, 3):
            # Hold batch 3 back until batch 4 has hit the gap, then let it go (a late duplicate).
            self.log.append("p1 b3: held back")
            check(self.gap_seen.wait(30), "batch 4 of partition 1 never met a gap")
        try:
            res = super()._urlopen(request, timeout)
        except urllib.error.HTTPError as e:
            if e.code == 409 and where == (1, 4):
                self.gap_seen.set()
            raise
        if n == 1 and where == (0, 4):
            res.read()
            res.close()
            self.log.append("p0 b4: answer lost after counting")
            raise ConnectionResetError("injected: connection reset after the request was counted")
        return res


def make_batches(rng, count, p):
    """(gt, pred) pairs of assorted shapes and dtypes, with ignored pixels in the ground truth."""
    dtypes = [np.uint8, np.uint16, np.int32, np.int64]
    out = []
    for i in range(count):
        h, w = int(rng.integers(8, 40)), int(rng.integers(8, 40))
        gt = rng.integers(0, C, size=(h, w))
        pred = np.where(rng.random((h, w)) < 0.7, gt, rng.integers(0, C, size=(h, w)))
        gt[rng.random((h, w)) < 0.05] = IGNORE
        gt = gt.astype(np.uint8 if i % 2 == 0 else dtypes[(i + p) % 4])
        pred = pred.astype(dtypes[(i * 3 + p) % 4])
        if i % 5 == 3:
            pred = pred.astype(pred.dtype.newbyteorder(">"))  # big-endian input is converted
        if i % 7 == 6:
            gt, pred = gt.T, pred.T  # non-contiguous views are copied
        out.append((gt, pred))
    return out


def recount(pairs, matrices):
    m = np.zeros((C, C), dtype=np.int64)
    total = ignored = 0
    for gt, pred in pairs:
        g = gt.astype(np.int64).ravel()
        q = pred.astype(np.int64).ravel()
        keep = g != IGNORE
        m += np.bincount(g[keep] * C + q[keep], minlength=C * C).reshape(C, C)
        total += g.size
        ignored += int((~keep).sum())
    for mat, ign in matrices:
        m += mat
        total += int(mat.sum()) + ign
        ignored += ign
    return m, total, ignored


def mean_iou(m):
    tp = np.diag(m).astype(np.float64)
    union = m.sum(0) + m.sum(1) - np.diag(m)
    ious = [tp[c] / union[c] for c in range(C) if union[c] > 0]
    return sum(ious) / len(ious)


def main(url):
    started = time.monotonic()
    rng = np.random.default_rng(20240611)
    client = FaultyClient(url)
    run_id = f"py-client-{os.getpid()}"
    spec = dict(class_names=NAMES, ignore_labels=[IGNORE])
    run = client.create_run(C, run_id=run_id, partitions=3, **spec)
    check(not run.resumed and run.partitions == 3, f"new run: {run!r} resumed={run.resumed}")

    # The same spec again resumes; another spec is refused.
    again = client.create_run(C, run_id=run_id, partitions=3, **spec)
    check(again.resumed, "creating the same run twice resumes it")
    try:
        client.create_run(C, run_id=run_id, partitions=3, class_names=NAMES, ignore_labels=[254])
        raise AssertionError("a different spec under the same run id was accepted")
    except EvaluatorError as e:
        check(e.status == 409, f"a different spec is a 409, got {e}")

    sent_pairs, sent_matrices = [], []

    # Partition 0: one at a time, through a lost request, a lost answer and a 503.
    p0 = make_batches(rng, 8, 0)
    w0 = run.partition(0)
    check(w0.next_seq == 0, f"a new partition starts at 0, not {w0.next_seq}")
    for gt, pred in p0:
        ack = w0.push(gt, pred)
        check(ack["status"] in ("counted", "duplicate"), f"acknowledgement {ack}")
    sent_pairs += p0
    check(w0.duplicates >= 1, f"the lost answer of batch 4 makes a duplicate (dups={w0.duplicates})")
    check(w0.unacknowledged == [] and w0.watermark == len(p0), f"all acknowledged: {w0.unacknowledged} wm={w0.watermark}")

    # Partition 1: four in flight; batch 3 is held back so that batch 4 arrives first (a gap).
    p1 = make_batches(rng, 12, 1)
    with run.partition(1, in_flight=4) as w1:
        for gt, pred in p1:
            w1.push(gt, pred)
    sent_pairs += p1
    check(w1.gaps >= 1, f"partition 1 met the deliberate gap (gaps={w1.gaps})")
    check(w1.unacknowledged == [] and w1.watermark == len(p1), f"partition 1 all acknowledged, wm={w1.watermark}")

    # Partition 2: precomputed int64 matrices (cells past 2**31 and 2**53) and batches.
    w2 = run.partition(2)
    big = np.zeros((C, C), dtype=np.int64)
    big[0, 0] = 2**53 + 1  # not representable as a float64
    big[1, 2] = 3_000_000_000
    big[6, 6] = 2**31 + 5
    mats = [(big, 11), (np.arange(C * C, dtype=np.int64).reshape(C, C), 0)]
    for mat, ign in mats:
        w2.push_matrix(mat, ignored=ign)
    sent_matrices += mats
    p2 = make_batches(rng, 5, 2)
    for gt, pred in p2:
        w2.push(gt, pred)
    sent_pairs += p2

    # The whole of partition 2 sent again from 0 (a restarted client): all duplicates.
    again2 = run.partition(2, next_seq=0)
    for mat, ign in mats:
        check(again2.push_matrix(mat, ignored=ign)["status"] == "duplicate", "a resent matrix is a duplicate")
    for gt, pred in p2:
        check(again2.push(gt, pred)["status"] == "duplicate", "a resent batch is a duplicate")
    check(again2.counted == 0 and again2.duplicates == len(mats) + len(p2),
          f"resending counts nothing: counted {again2.counted}, duplicates {again2.duplicates}")
    check(again2.skipped == len(mats) + len(p2) - 1, "after the first duplicate, the writer knows the watermark")

    # A writer that starts ahead of the server: a gap it cannot fill is reported with expected_seq.
    ahead = run.partition(2, next_seq=w2.next_seq + 3)
    try:
        ahead.push(*p2[0])
        raise AssertionError("a batch 3 ahead of the server was accepted")
    except GapError as e:
        check(e.expected_seq == w2.next_seq, f"expected_seq {e.expected_seq} == {w2.next_seq}")

    # A fresh writer picks up the server's watermark (resume).
    resumed = client.run(run_id)
    check(resumed.partitions == 3, "the run has 3 partitions")
    check(resumed.watermarks() == [len(p0), len(p1), len(mats) + len(p2)], f"watermarks {resumed.watermarks()}")
    check(resumed.partition(1).next_seq == len(p1), "a writer resumes at the server's watermark")

    # Not finished yet: no report.
    try:
        run.report()
        raise AssertionError("report.json of a running run")
    except EvaluatorError as e:
        check(e.status == 409, f"report.json before the end is a 409, got {e}")

    run.complete()
    final_event = None
    for event, snap in run.events(timeout=60):
        if event == "final":
            final_event = snap
    check(final_event is not None and final_event["status"] == "completed", f"final SSE event: {final_event}")
    final = run.wait(timeout=60)
    report = run.report()

    expected, total, ignored = recount(sent_pairs, sent_matrices)
    got = confusion_matrix(report)
    check(got.dtype == np.int64 and np.array_equal(got, expected),
          f"confusion matrix differs from the recount:\n{got}\n!=\n{expected}")
    cell = report["confusion_matrix"][0][0]  # a Python int straight from the JSON text
    check(cell > 2**53 and cell == int(expected[0, 0]), f"the cell past 2**53 is exact: {cell}")
    for snap in (final, final_event):
        check(np.array_equal(confusion_matrix(snap), expected), "the final snapshot matrix equals the recount")
    px = report["pixels"]
    check(px == {"total": total, "counted": int(expected.sum()), "ignored": ignored, "out_of_range": 0},
          f"pixels {px} vs total={total} counted={int(expected.sum())} ignored={ignored}")
    check(report["class_names"] == NAMES, "class names")
    check(abs(report["mean_iou"] - mean_iou(expected)) < 1e-12, f"mean IoU {report['mean_iou']} vs {mean_iou(expected)}")
    check(report["status"] == "completed" and report["final"], "completed")

    # A completed run takes nothing more.
    try:
        run.partition(0, next_seq=len(p0)).push(*p0[0])
        raise AssertionError("a batch after completion was accepted")
    except EvaluatorError as e:
        check(e.status == 409 and e.title == "run closed", f"a batch after completion: {e}")

    csv = run.report_csv()
    check(csv.splitlines()[0].startswith("id,name,iou"), "report.csv header")
    check(any(r["run_id"] == run_id and r["status"] == "completed" for r in client.runs()), "GET /runs lists it")

    # The end of a run's life: cancel (idempotent, refused once finished), delete (refused while running).
    try:
        run.cancel()
        raise AssertionError("cancelling a completed run was accepted")
    except EvaluatorError as e:
        check(e.status == 409, f"cancel of a completed run: {e}")
    other = client.create_run(num_classes=3, run_id=run_id + "-cancelled")
    try:
        other.delete()
        raise AssertionError("deleting a running run was accepted")
    except EvaluatorError as e:
        check(e.status == 409, f"delete of a running run: {e}")
    check(other.cancel()["status"] == "cancelled", "cancel")
    check(other.cancel()["status"] == "cancelled", "cancel again")
    other.delete()
    check(all(r["run_id"] != other.run_id for r in client.runs()), "a deleted run is not listed")

    print("faults injected: " + "; ".join(client.log))
    print(f"partition 0: counted {w0.counted}, duplicates {w0.duplicates}; partition 1: gaps {w1.gaps}, "
          f"duplicates {w1.duplicates}; partition 2 resent: {again2.duplicates} duplicates "
          f"({again2.skipped} known from the watermark, not sent)")
    print(f"{int(expected.sum())} pixels counted, matrix equals numpy's recount; mean IoU {report['mean_iou']:.6f}; "
          f"{time.monotonic() - started:.1f} s")
    print("OK")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print("usage: e2e_client.py URL", file=sys.stderr)
        sys.exit(2)
    try:
        sys.exit(main(sys.argv[1]))
    except Exception as e:  # noqa: BLE001 - the test's verdict
        import traceback
        traceback.print_exc()
        print(f"FAILED: {e}", file=sys.stderr)
        sys.exit(1)

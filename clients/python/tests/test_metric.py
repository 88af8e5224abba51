"""count_confusion (device counting) against numpy's bincount, and EvaluatorMetric with a stub server."""

import numpy as np
import pytest

from evaluator_client import EvaluatorMetric, count_confusion

torch = pytest.importorskip("torch")


def reference(preds, target, c, ignore, policy="ignore"):
    """Per-pixel reference of the server's semantics (ignore first, then range checks)."""
    m = np.zeros((c, c), np.int64)
    ignored = oor = 0
    for t, p in zip(np.asarray(target).ravel().tolist(), np.asarray(preds).ravel().tolist()):
        if t in ignore:
            ignored += 1
        elif 0 <= t < c and 0 <= p < c:
            m[t, p] += 1
        else:
            oor += 1
    return m, ignored, oor


@pytest.mark.parametrize("seed", range(6))
def test_device_counting_equals_numpy_bincount(seed):
    rng = np.random.default_rng(seed)
    c = int(rng.integers(1, 40))
    shape = (int(rng.integers(1, 4)), int(rng.integers(1, 30)), int(rng.integers(1, 30)))
    target = rng.integers(0, c, size=shape)
    target[rng.random(shape) < 0.1] = 255
    preds = rng.integers(0, c, size=shape)
    m, ign, oor = count_confusion(torch.from_numpy(preds), torch.from_numpy(target.astype(np.uint8)), c, 255)
    assert m.dtype == torch.int64 and m.device.type == "cpu" and tuple(m.shape) == (c, c)
    keep = target != 255
    expected = np.bincount(target[keep] * c + preds[keep], minlength=c * c).reshape(c, c)
    assert np.array_equal(m.numpy(), expected) and ign == int((~keep).sum()) and oor == 0
    # numpy inputs take the same path with np.bincount
    m2, ign2, _ = count_confusion(preds, target, c, [255])
    assert m2.dtype == np.int64 and np.array_equal(m2, expected) and ign2 == ign


def test_logits_are_reduced_by_argmax_over_dim_1():
    rng = np.random.default_rng(7)
    logits = torch.from_numpy(rng.standard_normal((2, 5, 6, 7)).astype(np.float32))
    target = torch.from_numpy(rng.integers(0, 5, size=(2, 6, 7)))
    m, _, _ = count_confusion(logits, target, 5)
    m_idx, _, _ = count_confusion(logits.argmax(1), target, 5)
    assert torch.equal(m, m_idx) and int(m.sum()) == 2 * 6 * 7
    m_np, _, _ = count_confusion(logits.numpy(), target.numpy(), 5)
    assert np.array_equal(m_np, m.numpy())


def test_out_of_range_matches_the_server():
    c = 4
    target = np.array([0, 1, 255, 4, -1, 2, 3, 255, 2], np.int64)
    preds = np.array([0, 9, 9, 0, 0, -3, 3, 1, 4], np.int64)
    for lib in ("numpy", "torch"):
        t = torch.from_numpy(target) if lib == "torch" else target
        p = torch.from_numpy(preds) if lib == "torch" else preds
        m, ign, oor = count_confusion(p, t, c, 255, out_of_range="ignore")
        em, eign, eoor = reference(preds, target, c, [255])
        assert np.array_equal(np.asarray(m), em) and (ign, oor) == (eign, eoor) == (2, 5), lib
        with pytest.raises(ValueError, match=r"prediction 9 at pixel 1"):
            count_confusion(p, t, c, 255)
    # An ignored pixel is never out of range, whatever its prediction; several ignore labels.
    m, ign, oor = count_confusion(np.array([99, 0]), np.array([7, 6]), 2, [6, 7])
    assert int(m.sum()) == 0 and (ign, oor) == (2, 0)


def test_numpy_labels_of_any_dtype_against_tensor_predictions():
    target = np.array([[0, 300], [2, 1]], dtype=">u2")  # uint16 (no torch dtype), big-endian
    preds = torch.tensor([[0, 1], [2, 2]])
    m, ign, oor = count_confusion(preds, target, 3, 300)
    assert m.tolist() == [[1, 0, 0], [0, 0, 1], [0, 0, 1]] and (ign, oor) == (1, 0)


def test_empty_and_bad_batches():
    m, ign, oor = count_confusion(torch.zeros((0, 4), dtype=torch.long), torch.zeros((0, 4), dtype=torch.long), 3)
    assert int(m.sum()) == 0 and (ign, oor) == (0, 0)
    with pytest.raises(ValueError, match="differ in shape"):
        count_confusion(np.zeros((2, 3), int), np.zeros((3, 2), int), 3)
    with pytest.raises(TypeError):
        count_confusion(np.zeros((2, 3)), np.zeros((2, 3), int), 3)


# ---- EvaluatorMetric against a stub client (no server) ------------------------------------------

class StubWriter:
    def __init__(self, log):
        self.log = log

    def push_matrix(self, m, ignored=0, out_of_range=0):
        self.log.append(("matrix", np.array(m), ignored, out_of_range))

    def push(self, gt, pred):
        self.log.append(("labels", gt, pred))

    def flush(self):
        self.log.append(("flush",))

    def close(self):
        self.log.append(("close",))


class StubRun:
    def __init__(self, run_id, partitions, log):
        self.run_id, self.partitions, self.log = run_id, partitions, log

    def partition(self, p, in_flight=1):
        self.log.append(("partition", self.run_id, p))
        return StubWriter(self.log)

    def complete(self):
        self.log.append(("complete", self.run_id))

    def wait(self):
        return {}

    def report(self):
        m = sum(e[1] for e in self.log if e[0] == "matrix")
        return {"run": self.run_id, "confusion_matrix": np.asarray(m).tolist()}


class StubClient:
    def __init__(self):
        self.log = []
        self.specs = []

    def create_run(self, num_classes, run_id=None, partitions=1, **spec):
        self.specs.append((num_classes, run_id, partitions, spec))
        return StubRun(run_id, partitions, self.log)


def test_metric_pushes_device_matrices_and_computes_and_resets():
    client = StubClient()
    metric = EvaluatorMetric("http://unused", num_classes=3, ignore_index=255, run_id="epoch", client=client,
                             class_names=["a", "b", "c"])
    assert client.specs == [(3, "epoch", 1, {"class_names": ["a", "b", "c"], "ignore_labels": [255],
                                              "out_of_range": "error"})]
    rng = np.random.default_rng(1)
    target = torch.from_numpy(rng.integers(0, 3, size=(2, 4, 4)))
    target[0, 0, 0] = 255
    logits = torch.from_numpy(rng.standard_normal((2, 3, 4, 4)))
    metric.update(logits, target)
    metric.update(torch.zeros((0, 3, 4, 4)), torch.zeros((0, 4, 4), dtype=torch.long))  # nothing to push
    pushes = [e for e in client.log if e[0] == "matrix"]
    assert len(pushes) == 1 and pushes[0][2:] == (1, 0) and int(pushes[0][1].sum()) == 31
    report = metric.compute()
    assert ("complete", "epoch") in client.log and report["run"] == "epoch"
    assert metric.compute() is report
    with pytest.raises(RuntimeError):
        metric.update(logits, target)
    metric.reset()
    assert client.specs[-1][1] == "epoch.1" and metric.run_id == "epoch.1"


def test_server_mode_pushes_argmax_labels():
    client = StubClient()
    metric = EvaluatorMetric("http://unused", num_classes=3, run_id="s", count_on="server", client=client)
    metric.update(torch.randn(1, 3, 2, 2), torch.zeros((1, 2, 2), dtype=torch.long))
    kind, gt, pred = [e for e in client.log if e[0] == "labels"][0]
    assert tuple(pred.shape) == (1, 2, 2) and tuple(gt.shape) == (1, 2, 2)
    with pytest.raises(ValueError):
        EvaluatorMetric("http://unused", num_classes=3, count_on="device", client=client, label_map="cityscapes")
    with pytest.raises(ValueError):
        EvaluatorMetric("http://unused", num_classes=3, count_on="gpu", client=client)

"""narrow_labels: the smallest wire dtype that holds the labels, checked, never lossy."""

import numpy as np
import pytest

from evaluator_client import narrow_labels
from evaluator_client._client import PartitionWriter

ALL_INTS = [np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32, np.uint64]


def expected(lo, hi):
    if lo >= 0:
        return np.uint8 if hi <= 255 else np.uint16 if hi <= 65535 else np.int32 if hi < 2**31 else np.int64
    return np.int32 if lo >= -(2**31) and hi < 2**31 else np.int64


@pytest.mark.parametrize("dtype", ALL_INTS)
@pytest.mark.parametrize("byteorder", ["<", ">"])
def test_every_dtype_at_its_edges(dtype, byteorder):
    info = np.iinfo(dtype)
    edges = sorted({info.min, info.max, 0, 1, 255, 256, 65535, 65536, 2**31 - 1, 2**31, 2**63 - 1,
                    -1, -128, -129, -(2**31), -(2**31) - 1})
    edges = [e for e in edges if info.min <= e <= info.max]
    for lo in edges:
        for hi in edges:
            if lo > hi:
                continue
            a = np.array([[lo, hi], [hi, lo]], dtype=np.dtype(dtype).newbyteorder(byteorder))
            if hi > 2**63 - 1:
                with pytest.raises(ValueError):
                    narrow_labels(a)
                continue
            n = narrow_labels(a)
            assert n.dtype == np.dtype(expected(lo, hi)).newbyteorder("<"), (dtype, lo, hi, n.dtype)
            assert n.dtype.byteorder in ("<", "=", "|") and n.flags.c_contiguous
            assert n.shape == a.shape
            assert [int(x) for x in n.ravel()] == [int(x) for x in a.ravel()]  # never lossy


def test_empty_arrays_become_uint8_of_their_shape():
    for dtype in ALL_INTS:
        n = narrow_labels(np.zeros((0, 5), dtype=dtype))
        assert n.dtype == np.uint8 and n.shape == (0, 5)


def test_negative_labels_keep_a_signed_type():
    assert narrow_labels(np.array([-1, 0, 18], np.int64)).dtype == np.int32
    assert narrow_labels(np.array([-1, 2**40], np.int64)).dtype == np.int64
    assert narrow_labels(np.array([-(2**40), 3], np.int64)).dtype == np.int64


def test_non_contiguous_views_are_copied_exactly():
    a = np.arange(64, dtype=np.int64).reshape(8, 8) * 3
    n = narrow_labels(a.T[::2])
    assert n.dtype == np.uint8 and n.flags.c_contiguous and np.array_equal(n, a.T[::2])


def test_non_integer_arrays_are_refused():
    for bad in (np.array([True, False]), np.array([1.0, 2.0]), np.array(["a"])):
        with pytest.raises(TypeError):
            narrow_labels(bad)


def test_torch_tensors_are_narrowed_on_their_device_first():
    torch = pytest.importorskip("torch")
    cases = [([0, 1, 255], torch.int64, np.uint8), ([0, 256], torch.int64, np.uint16),
             ([-1, 5], torch.int64, np.int32), ([0, 2**40], torch.int64, np.int64),
             ([3, 7], torch.uint8, np.uint8), ([-5, 100], torch.int8, np.int32),
             ([0, 70000], torch.int32, np.int32), ([1, 2], torch.int16, np.uint8)]
    for values, tdtype, ndtype in cases:
        t = torch.tensor(values, dtype=tdtype).reshape(-1, 1)
        n = narrow_labels(t)
        assert n.dtype == ndtype and n.tolist() == t.tolist(), (values, tdtype, n.dtype)
    assert narrow_labels(torch.zeros((0, 3), dtype=torch.int64)).dtype == np.uint8
    for bad in (torch.tensor([True]), torch.tensor([1.5])):
        with pytest.raises(TypeError):
            narrow_labels(bad)


class _Recorder(PartitionWriter):
    def __init__(self):  # no run, no server: records what would be sent
        self.sent = []

    def _enqueue(self, body, query, kind):
        self.sent.append((body, query, kind))
        return {"status": "counted"}


def test_push_sends_argmax_output_as_uint8():
    w = _Recorder()
    gt = np.array([[0, 255], [3, 4]], np.uint8)
    pred = np.array([[0, 1], [3, 18]], np.int64)
    w.push(gt, pred)
    body, query, kind = w.sent[0]
    assert kind == "batches" and query == {"shape": "2,2", "gt_dtype": "uint8", "pred_dtype": "uint8"}
    assert body == gt.tobytes() + pred.astype(np.uint8).tobytes()
    w.push(gt, pred, narrow=False)
    assert w.sent[1][1]["pred_dtype"] == "int64" and len(w.sent[1][0]) == 4 + 32

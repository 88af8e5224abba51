"""EvaluatorMetric: a torchmetrics-style metric whose state lives on an Evaluator node."""

from __future__ import annotations

import time
import uuid
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple, Union

import numpy as np

from ._client import Client, EvaluatorError, PartitionWriter, Run, _is_tensor

__all__ = ["EvaluatorMetric", "count_confusion"]

IgnoreIndex = Union[None, int, Sequence[int]]


def _ignore_list(ignore_index: IgnoreIndex) -> List[int]:
    if ignore_index is None:
        return []
    if isinstance(ignore_index, (int, np.integer)):
        return [int(ignore_index)]
    return [int(i) for i in ignore_index]


def count_confusion(preds: Any, target: Any, num_classes: int, ignore_index: IgnoreIndex = None,
                    out_of_range: str = "error") -> Tuple[Any, int, int]:
    """Counts one batch as the server would: returns (C×C int64 matrix, ignored, out_of_range).

    ``preds`` are class indices of ``target``'s shape, or logits with one more dimension (the
    class axis 1: N×C×H×W → argmax over dim 1). Torch tensors are counted on their own device
    (``torch.bincount``, int64) and the matrix stays there; numpy arrays with ``np.bincount``.
    Semantics of the server: a ground-truth pixel whose label is in ``ignore_index`` is
    ``ignored`` whatever its prediction; otherwise a ground-truth label outside [0, C) or a
    prediction outside [0, C) is out of range: a ValueError naming the value and its index
    (policy ``"error"``, nothing counted), or dropped and counted (policy ``"ignore"``)."""
    c = int(num_classes)
    if out_of_range not in ("error", "ignore"):
        raise ValueError(f"out_of_range is 'error' or 'ignore', not {out_of_range!r}")
    ignore = _ignore_list(ignore_index)
    torch_mode = _is_tensor(preds) or _is_tensor(target)
    if torch_mode:
        import torch

        p = preds if _is_tensor(preds) else torch.as_tensor(_torchable(preds))
        t = target if _is_tensor(target) else torch.as_tensor(_torchable(target), device=p.device)
        p, t = p.detach(), t.detach().to(p.device)
        if p.dim() == t.dim() + 1:
            p = p.argmax(dim=1)
        _check_shapes(tuple(p.shape), tuple(t.shape), p.is_floating_point(), t.is_floating_point())
        t = t.reshape(-1).long()
        p = p.reshape(-1).long()
        if ignore:
            ign = torch.isin(t, torch.tensor(ignore, dtype=torch.long, device=t.device))
        else:
            ign = torch.zeros_like(t, dtype=torch.bool)
        keep = ~ign
        inside = (t >= 0) & (t < c) & (p >= 0) & (p < c)
        oor = keep & ~inside
        n_oor = int(oor.sum())
        if n_oor and out_of_range == "error":
            i = int(torch.nonzero(oor)[0, 0])
            _raise_oor(int(t[i]), int(p[i]), i, c)
        # Pixels not counted go to one extra bin (c*c), dropped after: no gathers.
        idx = torch.where(keep & inside, t * c + p, torch.full_like(t, c * c))
        m = torch.bincount(idx, minlength=c * c + 1)[: c * c].reshape(c, c)
        return m.to(torch.int64), int(ign.sum()), n_oor
    return _count_numpy(np.asarray(preds), np.asarray(target), c, ignore, out_of_range)


def _count_numpy(pa: np.ndarray, ta: np.ndarray, c: int, ignore: List[int], out_of_range: str) -> Tuple[np.ndarray, int, int]:
    if pa.ndim == ta.ndim + 1:
        pa = pa.argmax(axis=1)
    _check_shapes(pa.shape, ta.shape, pa.dtype.kind == "f", ta.dtype.kind == "f")
    t = ta.reshape(-1).astype(np.int64)
    p = pa.reshape(-1).astype(np.int64)
    ign = np.isin(t, np.array(ignore, dtype=np.int64)) if ignore else np.zeros(t.shape, bool)
    keep = ~ign
    inside = (t >= 0) & (t < c) & (p >= 0) & (p < c)
    oor = keep & ~inside
    n_oor = int(oor.sum())
    if n_oor and out_of_range == "error":
        i = int(np.flatnonzero(oor)[0])
        _raise_oor(int(t[i]), int(p[i]), i, c)
    idx = np.where(keep & inside, t * c + p, c * c)
    m = np.bincount(idx, minlength=c * c + 1)[: c * c].reshape(c, c).astype(np.int64)
    return m, int(ign.sum()), n_oor


def _torchable(a: Any) -> np.ndarray:
    """A numpy array torch can take (it has no uint16/uint32/uint64 tensors): integers as int64."""
    a = np.asarray(a)
    if a.dtype.kind == "u" and a.dtype.itemsize > 1:
        a = a.astype(np.int64)
    return np.ascontiguousarray(a, dtype=a.dtype.newbyteorder("="))


def _check_shapes(p: tuple, t: tuple, p_float: bool, t_float: bool) -> None:
    if p != t:
        raise ValueError(f"predictions {p} and target {t} differ in shape (logits: N×C×H×W against N×H×W)")
    if p_float or t_float:
        raise TypeError("class indices must be integers (pass logits with a class axis, N×C×H×W)")


def _raise_oor(gt: int, pred: int, index: int, c: int) -> None:
    which = f"ground-truth label {gt}" if not 0 <= gt < c else f"prediction {pred}"
    raise ValueError(f"{which} at pixel {index} of the batch is outside [0, {c}) "
                     "(not an ignore_index); pass out_of_range='ignore' to drop and count such pixels")


def _dist() -> Tuple[Any, int, int]:
    """(torch.distributed or None, rank, world size)."""
    try:
        import torch.distributed as dist
    except ImportError:
        return None, 0, 1
    if dist.is_available() and dist.is_initialized():
        return dist, dist.get_rank(), dist.get_world_size()
    return None, 0, 1


class EvaluatorMetric:
    """A segmentation metric for training loops (torchmetrics-style) counted by an Evaluator node.

        metric = EvaluatorMetric("http://127.0.0.1:8080", num_classes=19, ignore_index=255)
        for images, labels in val_loader:
            metric.update(model(images), labels)   # logits N×C×H×W or indices N×H×W
        report = metric.compute()                  # the final report (a dict): report["mean_iou"]
        metric.reset()                             # the next epoch is a new run

    ``count_on="device"`` (default) counts each batch on the tensors' own device (int64
    ``torch.bincount``) and pushes only the C×C int64 matrix: no pixel crosses the network.
    ``count_on="server"`` pushes the labels, narrowed to the smallest dtype (uint8 for C ≤ 256).

    Distributed data parallel: when ``torch.distributed`` is initialised, rank r writes
    partition r of a run with ``world_size`` partitions; rank 0 creates the run (its id is
    broadcast to the others) and, in ``compute()``, completes it after a barrier. The
    constructor, ``compute()`` and ``reset()`` are therefore collective: call them on every rank.

    The run id: ``run_id`` (or a generated one) for the first run; ``reset()`` starts
    ``{run_id}.1``, ``{run_id}.2``, ... . Constructing the metric again with the same
    ``run_id`` and spec resumes the run: each writer continues at the server's watermark.
    ``spec`` takes further fields of the run spec (class_names, target_classes, beta, ...);
    label maps are applied by the server only, so they need ``count_on="server"``."""

    run: Run
    writer: PartitionWriter

    def __init__(self, url: str, num_classes: int, ignore_index: IgnoreIndex = None,
                 run_id: Optional[str] = None, count_on: str = "device", token: Optional[str] = None,
                 out_of_range: str = "error", in_flight: int = 1, client: Optional[Client] = None,
                 **spec: Any) -> None:
        if count_on not in ("device", "server"):
            raise ValueError(f"count_on is 'device' or 'server', not {count_on!r}")
        if count_on == "device" and ("label_map" in spec or spec.get("map_predictions")):
            raise ValueError("a label_map is applied by the server: use count_on='server' with it")
        self.client = client if client is not None else Client(url, token=token)
        self.num_classes = int(num_classes)
        self.ignore_index = _ignore_list(ignore_index)
        self.count_on = count_on
        self.out_of_range = out_of_range
        self.in_flight = in_flight
        self.spec = dict(spec)
        self._report: Optional[Dict[str, Any]] = None
        self._dist, self.rank, self.world_size = _dist()
        self._base_id = self._agree(run_id or f"metric-{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:6]}")
        self._generation = 0
        self._start()

    # ---- torchmetrics-style API ---------------------------------------------------------------

    def update(self, preds: Any, target: Any) -> None:
        """Counts one batch (logits N×C×H×W or class indices N×H×W against N×H×W labels)."""
        if self._report is not None:
            raise RuntimeError("compute() completed this run: call reset() to start a new one")
        if self.count_on == "device":
            m, ignored, oor = count_confusion(preds, target, self.num_classes, self.ignore_index, self.out_of_range)
            if _is_tensor(m):
                m = m.cpu().numpy()
            if m.any() or ignored or oor:
                self.writer.push_matrix(m, ignored=ignored, out_of_range=oor)
        else:
            if _is_tensor(preds) and _is_tensor(target) and preds.dim() == target.dim() + 1:
                preds = preds.argmax(dim=1)
            elif not _is_tensor(preds) and np.ndim(preds) == np.ndim(target) + 1:
                preds = np.asarray(preds).argmax(axis=1)
            if int(np.prod(tuple(target.shape))) == 0:
                return
            self.writer.push(target, preds)

    __call__ = update

    def compute(self) -> Dict[str, Any]:
        """Completes the run (rank 0, after every rank has flushed: a barrier) and returns its
        final report (the dict of report.json). Calling it again returns the same report."""
        if self._report is None:
            self.writer.flush()
            if self._dist is not None:
                self._dist.barrier()
            if self.rank == 0:
                self.run.complete()
            self.run.wait()
            self._report = self.run.report()
        return self._report

    def reset(self) -> None:
        """Starts a new run ``{run_id}.{k}`` (collective under DDP)."""
        self.writer.close()
        self._generation += 1
        self._start()

    @property
    def run_id(self) -> str:
        return self.run.run_id

    # ---- internals ------------------------------------------------------------------------------

    def _agree(self, value: str) -> str:
        if self._dist is None:
            return value
        box = [value if self.rank == 0 else None]
        self._dist.broadcast_object_list(box, src=0)
        return str(box[0])

    def _start(self) -> None:
        run_id = self._base_id if self._generation == 0 else f"{self._base_id}.{self._generation}"
        spec = dict(self.spec, ignore_labels=self.ignore_index, out_of_range=self.out_of_range)
        if self.rank == 0:
            self.run = self.client.create_run(self.num_classes, run_id=run_id, partitions=self.world_size, **spec)
        if self._dist is not None:
            self._dist.barrier()
        if self.rank != 0:
            self.run = self.client.run(run_id)
            if self.run.partitions != self.world_size:
                raise EvaluatorError(409, "partitions", f"run {run_id} has {self.run.partitions} partitions, "
                                                        f"not {self.world_size} (the world size)")
        self.writer = self.run.partition(self.rank, in_flight=self.in_flight)
        self._report = None

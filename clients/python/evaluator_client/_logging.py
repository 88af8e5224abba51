"""Logging a report's IoUs to TensorBoard, MLflow or Weights & Biases (duck-typed, no dependency)."""

from __future__ import annotations

import re
from typing import Any, Dict, Mapping, Optional

__all__ = ["log_report", "log_to", "report_scalars"]


def _key(name: str) -> str:
    # MLflow allows letters, digits, _ - . space / ; the others as well by this.
    return re.sub(r"[^0-9A-Za-z_\-. /]", "_", str(name))


def report_scalars(report: Mapping[str, Any], prefix: str = "") -> Dict[str, float]:
    """``{prefix}mean_iou`` and ``{prefix}iou/{class name}`` of a report (classes whose IoU is
    null, i.e. absent from both ground truth and prediction, are left out)."""
    out: Dict[str, float] = {}
    if report.get("mean_iou") is not None:
        out[f"{prefix}mean_iou"] = float(report["mean_iou"])
    names = report.get("class_names") or []
    for c in report.get("per_class", []):
        if c.get("iou") is None:
            continue
        cid = c.get("id")
        name = c.get("name") or (names[cid] if isinstance(cid, int) and cid < len(names) else cid)
        out[f"{prefix}iou/{_key(name)}"] = float(c["iou"])
    return out


def log_report(target: Any, report: Mapping[str, Any], step: Optional[int] = None, prefix: str = "val/") -> Dict[str, float]:
    """Logs mean IoU and per-class IoU of ``report`` (a report or final snapshot dict) to:

    * a TensorBoard ``SummaryWriter`` (anything with ``add_scalar``): ``add_scalar(tag, value, step)``;
    * the ``mlflow`` module or an MLflow client-like object (``log_metrics``):
      ``log_metrics(dict, step=step)``;
    * a ``wandb`` run or the ``wandb`` module (``log``): ``log(dict, step=step)``.

    Returns the scalars logged. Raises TypeError for anything else."""
    scalars = report_scalars(report, prefix)
    if hasattr(target, "add_scalar"):
        for tag, value in scalars.items():
            target.add_scalar(tag, value, step)
    elif hasattr(target, "log_metrics"):
        target.log_metrics(scalars, step=step)
    elif hasattr(target, "log_metric"):
        for tag, value in scalars.items():
            target.log_metric(tag, value, step=step)
    elif hasattr(target, "log"):
        if step is None:
            target.log(scalars)
        else:
            target.log(scalars, step=step)
    else:
        raise TypeError(f"{type(target).__name__} has none of add_scalar, log_metrics, log_metric, log")
    return scalars


log_to = log_report

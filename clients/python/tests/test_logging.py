"""log_report with stub TensorBoard, MLflow and wandb targets that record calls."""

import pytest

from evaluator_client import log_report, log_to

REPORT = {
    "mean_iou": 0.5, "class_names": ["road", "side walk", "car/truck"],
    "per_class": [{"id": 0, "name": "road", "iou": 0.75}, {"id": 1, "name": "side walk", "iou": 0.25},
                  {"id": 2, "name": "car/truck", "iou": None}],
}
EXPECTED = {"val/mean_iou": 0.5, "val/iou/road": 0.75, "val/iou/side walk": 0.25}


class SummaryWriter:
    def __init__(self):
        self.calls = []

    def add_scalar(self, tag, value, global_step=None):
        self.calls.append((tag, value, global_step))


class MlflowModule:
    def __init__(self):
        self.calls = []

    def log_metric(self, key, value, step=None):
        self.calls.append(("log_metric", key, value, step))

    def log_metrics(self, metrics, step=None):
        self.calls.append(("log_metrics", dict(metrics), step))


class WandbRun:
    def __init__(self):
        self.calls = []

    def log(self, data, step=None, commit=None):
        self.calls.append((dict(data), step))


def test_tensorboard_gets_one_scalar_each():
    w = SummaryWriter()
    assert log_report(w, REPORT, step=3) == EXPECTED
    assert w.calls == [(k, v, 3) for k, v in EXPECTED.items()]


def test_mlflow_gets_log_metrics_with_the_step():
    m = MlflowModule()
    log_to(m, REPORT, step=7)
    assert m.calls == [("log_metrics", EXPECTED, 7)]


def test_wandb_gets_one_log_call_and_a_prefix():
    r = WandbRun()
    log_report(r, REPORT, step=2, prefix="")
    assert r.calls == [({k[len("val/"):]: v for k, v in EXPECTED.items()}, 2)]
    log_report(r, REPORT)
    assert r.calls[-1] == (EXPECTED, None)


def test_only_log_metric_and_odd_names():
    class OnlyLogMetric:
        def __init__(self):
            self.calls = []

        def log_metric(self, key, value, step=None):
            self.calls.append((key, value, step))

    t = OnlyLogMetric()
    log_report(t, {"mean_iou": 1.0, "per_class": [{"id": 0, "name": "a:b*c", "iou": 1.0}]}, step=1)
    assert t.calls == [("val/mean_iou", 1.0, 1), ("val/iou/a_b_c", 1.0, 1)]
    with pytest.raises(TypeError):
        log_report(object(), REPORT)

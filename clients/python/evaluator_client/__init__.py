"""Client of the Evaluator HTTP API (standard library + numpy; torch optional).

    from evaluator_client import Client, EvaluatorMetric, log_report

See clients/python/README.md.
"""

from ._client import (
    Client,
    EvaluatorError,
    GapError,
    PartitionWriter,
    Run,
    confusion_matrix,
    narrow_labels,
)
from ._logging import log_report, log_to, report_scalars
from ._metric import EvaluatorMetric, count_confusion
from ._version import __version__

__all__ = [
    "Client",
    "Run",
    "PartitionWriter",
    "EvaluatorError",
    "GapError",
    "confusion_matrix",
    "narrow_labels",
    "EvaluatorMetric",
    "count_confusion",
    "log_report",
    "log_to",
    "report_scalars",
    "__version__",
]

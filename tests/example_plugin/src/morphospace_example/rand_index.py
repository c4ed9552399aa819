"""The Rand index: the smallest useful Evaluator."""

from morphospace.core import Evaluator, Metric
from morphospace.core.validation import check_labels
from morphospace_example.config import RandIndexConfig


class RandIndex(Evaluator):
    Config = RandIndexConfig

    def evaluate(self, labels_true, labels_pred):
        labels_true = check_labels(labels_true, len(labels_true), name="labels_true")
        labels_pred = check_labels(labels_pred, len(labels_true), name="labels_pred")
        same_true = labels_true[:, None] == labels_true[None, :]
        same_pred = labels_pred[:, None] == labels_pred[None, :]
        n = len(labels_true)
        agree = (same_true == same_pred).sum() - n  # off-diagonal pairs, counted twice
        return {"rand_index": Metric(agree / (n * (n - 1)), higher_is_better=True)}

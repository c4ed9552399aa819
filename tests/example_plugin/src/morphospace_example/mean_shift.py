"""Per-condition mean shift: the smallest useful Translator.

``fit`` learns the mean image of each condition; ``translate`` moves images from
``source`` to ``target`` by adding ``mean[target] - mean[source]``. It is exact when
conditions differ by an additive offset, and a baseline for generative translators.
"""

import numpy as np

from morphospace.core import Translator
from morphospace.core.errors import InputError
from morphospace.core.validation import check_array, check_labels
from morphospace_example.config import MeanShiftConfig


class MeanShift(Translator):
    """Adds the difference of per-condition means (per pixel, or per channel)."""

    Config = MeanShiftConfig

    def fit(self, images, conditions):
        images = check_array(images, name="images", ndim=4)
        conditions = check_labels(conditions, len(images), name="conditions").astype(str)
        self.conditions_ = np.unique(conditions)
        means = np.stack([images[conditions == c].mean(axis=0) for c in self.conditions_])
        if not self.config.per_pixel:
            means = means.mean(axis=(2, 3), keepdims=True)
        self.means_ = means  # (conditions, C, H, W), or (conditions, C, 1, 1)
        return self

    def translate(self, images, source, target):
        self.check_is_fitted()
        images = check_array(images, name="images", ndim=4, channels=self.means_.shape[1])
        if self.config.per_pixel and images.shape[2:] != self.means_.shape[2:]:
            raise InputError(
                f"images: expected {self.means_.shape[2:]} pixels (the fitted size), "
                f"found {images.shape[2:]}"
            )
        source = np.asarray(source)
        if source.ndim == 0:
            source = np.full(len(images), source)
        source = check_labels(source, len(images), name="source").astype(str)
        (target_index,) = self._index(np.asarray([target]).astype(str))
        shifted = images + (self.means_[target_index] - self.means_[self._index(source)])
        return shifted.astype(np.result_type(images.dtype, np.float32))

    def _index(self, conditions):
        unknown = sorted(set(conditions) - set(self.conditions_))
        if unknown:
            raise InputError(
                f"condition(s) {', '.join(unknown)} were not seen in fit; "
                f"known: {', '.join(self.conditions_)}"
            )
        return np.searchsorted(self.conditions_, conditions)

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

    def report_figures(self, context):
        """A few images of other conditions above their translations to the step's target."""
        import matplotlib.pyplot as plt

        reads = context.record.reads
        target = reads["target"]
        images, translated = context.rep(reads["images"]), context.rep(context.key)
        conditions = context.adata.obs[reads["conditions"]].astype(str).to_numpy()
        rows = [r for r in context.held_out_first() if conditions[r] != target][:4]
        if not rows:
            return []
        shown = np.concatenate([images[rows, 0], translated[rows, 0]])
        fig, axes = plt.subplots(2, len(rows), figsize=(2 * len(rows), 4.2), squeeze=False)
        for column, row in enumerate(rows):
            for ax, image, title in (
                (axes[0, column], images[row, 0], conditions[row]),
                (axes[1, column], translated[row, 0], f"as {target}"),
            ):
                ax.imshow(image, cmap="gray", vmin=shown.min(), vmax=shown.max())
                ax.set_title(title, fontsize=8)
                ax.axis("off")
        fig.tight_layout()
        return [(f"Translation {context.key} to {target}", fig)]

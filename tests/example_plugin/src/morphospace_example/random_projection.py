"""A Gaussian random projection: the smallest useful Encoder."""

import numpy as np

from morphospace.core import Encoder
from morphospace.core.errors import InputError
from morphospace.core.validation import check_array
from morphospace_example.config import RandomProjectionConfig


class RandomProjection(Encoder):
    """Projects features onto ``n_components`` random Gaussian directions."""

    Config = RandomProjectionConfig

    def fit(self, x, y=None):
        x = check_array(x, name="x", ndim=2)
        rng = np.random.default_rng(self.config.seed)
        scale = 1 / np.sqrt(self.config.n_components)
        self.components_ = rng.normal(0, scale, (x.shape[1], self.config.n_components))
        return self

    def encode(self, x):
        self.check_is_fitted()
        x = check_array(x, name="x", ndim=2)
        if x.shape[1] != self.components_.shape[0]:
            raise InputError(
                f"x has {x.shape[1]} features, the projection was fitted on "
                f"{self.components_.shape[0]}"
            )
        return x @ self.components_

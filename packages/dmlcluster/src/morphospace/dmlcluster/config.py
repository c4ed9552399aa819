"""Configs of every dmlcluster component: hyperparameters and declarations only.

Light on purpose (pydantic and the core's config bases): the registry, ``morphospace
info`` and pipeline validation read these without importing scikit-learn,
metric-learn or igraph.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from morphospace.core.config import ClustererConfig, EncoderConfig, EvaluatorConfig, Seed


# ---------------------------------------------------------------------- encoders
class PreprocessingConfig(EncoderConfig):
    """Scaling and PCA, the front end every dmlcluster encoder shares."""

    scale: bool = Field(True, description="standardise each feature to mean 0, variance 1")
    pca_components: int | None = Field(
        50,
        ge=1,
        description="keep at most this many principal components after scaling "
        "(fewer if the data has fewer features); None skips PCA",
    )
    seed: Seed = Field(0, description="random seed")


class PCAConfig(EncoderConfig):
    """The no-metric-learning baseline: scaling and PCA only."""

    scale: bool = Field(True, description="standardise each feature to mean 0, variance 1")
    n_components: int = Field(
        50,
        ge=1,
        description="keep at most this many principal components "
        "(fewer if the data has fewer features)",
    )


class MetricLearnerConfig(PreprocessingConfig):
    """A supervised linear metric learned after scaling and PCA."""

    requires_labels: ClassVar[bool] = True

    n_components: int | None = Field(
        None, ge=1, description="output dimension of the learned map; None keeps the input's"
    )


class SoftNeighbourConfig(MetricLearnerConfig):
    """A metric learned through a softmax over ``exp(-d²)`` (NCA, MLKR): its start matters."""

    tol: float | None = Field(None, gt=0, description="L-BFGS tolerance; None: scipy's default")
    init: Literal["nearest_neighbour", "auto"] = Field(
        "nearest_neighbour",
        description="starting map: 'auto' is metric-learn's (LDA, PCA or identity); "
        "'nearest_neighbour' is the same directions, shrunk if needed so the median "
        "squared distance to a cell's nearest neighbour is at most 1 (the softmax "
        "starts unsaturated)",
    )


class NCAConfig(SoftNeighbourConfig):
    max_iter: int = Field(100, ge=1, description="L-BFGS iterations (metric-learn's default)")


class FastNCAConfig(MetricLearnerConfig):
    max_iter: int = Field(300, ge=1, description="Adam steps")
    batch_size: int = Field(1024, ge=1, description="anchor cells per step")
    n_candidates: int = Field(
        2048, ge=2, description="random neighbour candidates per step (the softmax's support)"
    )
    learning_rate: float = Field(0.05, gt=0, description="Adam step size, decayed to 0")
    dtype: Literal["float32", "float64"] = Field("float32", description="arithmetic precision")


class LMNNConfig(MetricLearnerConfig):
    n_neighbors: int = Field(3, ge=1, description="target neighbours per cell")
    max_iter: int = Field(1000, ge=1, description="gradient steps (metric-learn's default)")
    learn_rate: float = Field(1e-7, gt=0, description="initial step size")
    regularization: float = Field(
        0.5, ge=0, le=1, description="weight of the pull term against the push term"
    )


class MLKRConfig(SoftNeighbourConfig):
    max_iter: int = Field(1000, ge=1, description="L-BFGS iterations (metric-learn's default)")
    targets: Literal["auto", "codes", "onehot"] = Field(
        "auto",
        description="how class labels become regression targets: 'codes' regresses the "
        "class index (exact for two classes), 'onehot' the one-hot vector; 'auto' "
        "uses codes for two classes and one-hot for more",
    )


class LFDAConfig(MetricLearnerConfig):
    k: int | None = Field(
        None, ge=1, description="neighbour used for the local scaling; None: min(7, dims - 1)"
    )
    embedding_type: Literal["weighted", "orthonormalized", "plain"] = Field(
        "weighted", description="how the generalised eigenvectors are scaled"
    )


# ---------------------------------------------------------------------- clusterers
class LeidenConfig(ClustererConfig):
    n_neighbors: int = Field(15, ge=1, description="neighbours per cell in the kNN graph")
    resolution: float = Field(1.0, gt=0, description="higher gives more, smaller clusters")
    flavor: Literal["igraph", "leidenalg"] = Field(
        "igraph", description="Leiden implementation: igraph's built-in or the leidenalg package"
    )
    n_iterations: int = Field(
        -1, description="Leiden passes; negative runs until the partition is stable"
    )
    seed: Seed = Field(0, description="random seed")


class KMeansConfig(ClustererConfig):
    n_clusters: int = Field(8, ge=1, description="number of clusters")
    n_init: int = Field(10, ge=1, description="restarts; the best inertia is kept")
    seed: Seed = Field(0, description="random seed")


# ---------------------------------------------------------------------- evaluators
class LabelAgreementConfig(EvaluatorConfig):
    """Evaluators that compare predicted clusters with true labels."""

    inputs: ClassVar[dict[str, str]] = {"labels_true": "labels", "labels_pred": "labels"}


class PurityConfig(LabelAgreementConfig):
    pass


class ARIConfig(LabelAgreementConfig):
    pass


class NMIConfig(LabelAgreementConfig):
    average_method: Literal["min", "geometric", "arithmetic", "max"] = Field(
        "arithmetic", description="normaliser of the mutual information (scikit-learn's default)"
    )

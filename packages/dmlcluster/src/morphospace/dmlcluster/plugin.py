"""The dmlcluster entry point: declares components, datasets and pipelines by name.

Imports nothing but :mod:`morphospace.core.plugin`; every target below is loaded on
first use.
"""

from morphospace.core.plugin import (
    ComponentSpec,
    DatasetSpec,
    PipelineSpec,
    hookimpl,
)

_PACKAGE = "morphospace.dmlcluster"
_CONFIG = f"{_PACKAGE}.config"


def _spec(kind: str, name: str, target: str, config: str, summary: str) -> ComponentSpec:
    return ComponentSpec(
        kind=kind,
        name=name,
        target=f"{_PACKAGE}.{target}",
        config=f"{_CONFIG}:{config}",
        summary=summary,
    )


@hookimpl
def morphospace_api_version():
    return 2  # the plugin API this plugin is written for (core 0.2)


@hookimpl
def morphospace_components():
    return [
        _spec(
            "encoder",
            "pca",
            "pca:PCAEncoder",
            "PCAConfig",
            "scaling + PCA, the no-metric-learning baseline",
        ),
        _spec(
            "encoder",
            "nca",
            "nca:NCAEncoder",
            "NCAConfig",
            "Neighbourhood Components Analysis (metric-learn, exact, quadratic in cells)",
        ),
        _spec(
            "encoder",
            "fast_nca",
            "fast_nca:FastNCAEncoder",
            "FastNCAConfig",
            "NCA by mini-batch Adam on sampled neighbours: linear in cells",
        ),
        _spec(
            "encoder",
            "lmnn",
            "lmnn:LMNNEncoder",
            "LMNNConfig",
            "Large Margin Nearest Neighbour metric (metric-learn)",
        ),
        _spec(
            "encoder",
            "mlkr",
            "mlkr:MLKREncoder",
            "MLKRConfig",
            "Metric Learning for Kernel Regression on class targets (metric-learn)",
        ),
        _spec(
            "encoder",
            "lfda",
            "lfda:LFDAEncoder",
            "LFDAConfig",
            "Local Fisher Discriminant Analysis (metric-learn)",
        ),
        _spec(
            "clusterer",
            "leiden",
            "leiden:Leiden",
            "LeidenConfig",
            "Leiden communities of a kNN graph (igraph or leidenalg)",
        ),
        _spec("clusterer", "kmeans", "kmeans:KMeans", "KMeansConfig", "k-means (scikit-learn)"),
        _spec(
            "evaluator",
            "purity",
            "label_agreement:Purity",
            "PurityConfig",
            "cluster purity: each cluster votes for its majority class",
        ),
        _spec(
            "evaluator",
            "ari",
            "label_agreement:AdjustedRandIndex",
            "ARIConfig",
            "adjusted Rand index between clusters and classes",
        ),
        _spec(
            "evaluator",
            "nmi",
            "label_agreement:NormalizedMutualInfo",
            "NMIConfig",
            "normalised mutual information between clusters and classes",
        ),
    ]


@hookimpl
def morphospace_datasets():
    return [
        DatasetSpec(
            name="breast_cancer",
            target=f"{_PACKAGE}.datasets:breast_cancer",
            summary="Wisconsin diagnostic breast cancer: 569 nuclei x 30 image features, "
            "obs['diagnosis'], obs['train']",
        ),
        DatasetSpec(
            name="pbmc68k_reduced",
            target=f"{_PACKAGE}.datasets:pbmc68k_reduced",
            summary="scanpy's 700 PBMCs x 765 genes, obs['bulk_labels'], obs['train'] "
            "(needs scanpy)",
        ),
        DatasetSpec(
            name="synthetic_ifc",
            target=f"{_PACKAGE}.synthetic_ifc:make_imaging_flow_cytometry",
            summary="synthetic imaging-flow-cytometry features: K populations, non-linear "
            "classes, heavy tails, a cell-cycle trajectory",
        ),
    ]


@hookimpl
def morphospace_pipelines():
    return [
        PipelineSpec(
            name="breast_cancer",
            resource=f"{_PACKAGE}:pipelines/breast_cancer.yaml",
            summary="none/NCA/LMNN/MLKR/LFDA + Leiden on breast_cancer, held-out and "
            "in-sample purity",
            demo=True,
        ),
        PipelineSpec(
            name="pbmc68k_reduced",
            resource=f"{_PACKAGE}:pipelines/pbmc68k_reduced.yaml",
            summary="none/NCA/LMNN/MLKR/LFDA + Leiden on pbmc68k_reduced, held-out and "
            "in-sample purity (about 25 s, most of it LMNN and the report)",
            demo=True,
        ),
        PipelineSpec(
            name="synthetic_ifc",
            resource=f"{_PACKAGE}:pipelines/synthetic_ifc.yaml",
            summary="scalable NCA + Leiden on 20,000 synthetic imaging-flow-cytometry cells",
        ),
    ]

"""The hypervae entry point: declares components, datasets and pipelines; imports none."""

from morphospace.core.plugin import (
    ComponentSpec,
    DatasetSpec,
    PipelineSpec,
    hookimpl,
)

_PKG = "morphospace.hypervae"


@hookimpl
def morphospace_api_version():
    return 2  # the plugin API this plugin is written for (core 0.2)


@hookimpl
def morphospace_components():
    return [
        ComponentSpec(
            kind="encoder",
            name="poincare_vae",
            target=f"{_PKG}.vae:PoincareVAE",
            config=f"{_PKG}.config:PoincareVAEConfig",
            summary="3D conv VAE on patches with a Poincaré-ball latent (or Euclidean ablation)",
        ),
        ComponentSpec(
            kind="segmenter",
            name="segmenter",
            target=f"{_PKG}.segmentation:HierarchicalSegmenter",
            config=f"{_PKG}.config:SegmenterConfig",
            summary="trains the VAE, then segments whole volumes at several hierarchy levels",
        ),
        ComponentSpec(
            kind="clusterer",
            name="poincare_kmeans",
            target=f"{_PKG}.poincare_kmeans:PoincareKMeans",
            config=f"{_PKG}.config:PoincareKMeansConfig",
            summary="k-means on the Poincaré ball with Fréchet-mean centroids",
        ),
        ComponentSpec(
            kind="evaluator",
            name="dice",
            target=f"{_PKG}.dice:Dice",
            config=f"{_PKG}.config:DiceConfig",
            summary="Dice and IoU per hierarchy level after Hungarian matching",
        ),
    ]


@hookimpl
def morphospace_datasets():
    return [
        DatasetSpec(
            name="toy_hierarchy",
            target=f"{_PKG}.toy_hierarchy:toy_hierarchy",
            summary="3D volumes: cells containing nuclei containing vesicles, labels at 3 levels",
        ),
        DatasetSpec(
            name="cells3d_nuclei",
            target=f"{_PKG}.real_nuclei:cells3d_nuclei",
            summary="real 3D nuclei (skimage's cells3d, nuclear channel) with nucleus labels",
        ),
    ]


@hookimpl
def morphospace_pipelines():
    return [
        PipelineSpec(
            name="toy_segmentation",
            resource=f"{_PKG}:pipelines/toy_segmentation.yaml",
            summary="toy volumes -> hyperbolic VAE -> sliding-window segmentation -> Dice",
            demo=True,
        ),
        PipelineSpec(
            name="cells3d_nuclei",
            resource=f"{_PKG}:pipelines/cells3d_nuclei.yaml",
            summary="real 3D nuclei (cells3d) -> hyperbolic VAE -> nucleus/background -> Dice",
        ),
    ]

"""The plugin's entry point: declares components by name, imports none of them."""

from morphospace.core.plugin import (
    PLUGIN_API_VERSION,
    ComponentSpec,
    DatasetSpec,
    PipelineSpec,
    hookimpl,
)


@hookimpl
def morphospace_api_version():
    return PLUGIN_API_VERSION


@hookimpl
def morphospace_components():
    return [
        ComponentSpec(
            kind="encoder",
            name="random_projection",
            target="morphospace_example.random_projection:RandomProjection",
            config="morphospace_example.config:RandomProjectionConfig",
            summary="Gaussian random projection of a feature table",
        ),
        ComponentSpec(
            kind="clusterer",
            name="quantile_bins",
            target="morphospace_example.quantile_bins:QuantileBins",
            config="morphospace_example.config:QuantileBinsConfig",
            summary="bins cells by quantiles of their first coordinate",
        ),
        ComponentSpec(
            kind="evaluator",
            name="rand_index",
            target="morphospace_example.rand_index:RandIndex",
            config="morphospace_example.config:RandIndexConfig",
            summary="Rand index: fraction of cell pairs on which two labelings agree",
        ),
    ]


@hookimpl
def morphospace_datasets():
    return [
        DatasetSpec(
            name="blobs",
            target="morphospace_example.blobs:make_blobs",
            summary="Gaussian blobs in a feature table, label in obs['blob']",
        )
    ]


@hookimpl
def morphospace_pipelines():
    return [
        PipelineSpec(
            name="blobs_pipeline",
            resource="morphospace_example:pipelines/blobs.yaml",
            summary="blobs -> random projection -> quantile bins -> Rand index",
        )
    ]

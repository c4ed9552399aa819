"""The plugin's entry point: declares components by name, imports none of them."""

from morphospace.core.plugin import (
    ComponentSpec,
    DatasetSpec,
    PipelineSpec,
    hookimpl,
)


@hookimpl
def morphospace_api_version():
    return 2  # the plugin API this plugin is written for (core 0.2)


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
        ComponentSpec(
            kind="translator",
            name="mean_shift",
            target="morphospace_example.mean_shift:MeanShift",
            config="morphospace_example.config:MeanShiftConfig",
            summary="moves images between conditions by the difference of their mean images",
        ),
    ]


@hookimpl
def morphospace_datasets():
    return [
        DatasetSpec(
            name="blobs",
            target="morphospace_example.blobs:make_blobs",
            summary="Gaussian blobs in a feature table, label in obs['blob']",
        ),
        DatasetSpec(
            name="spots",
            target="morphospace_example.spots:make_spots",
            summary="spot images under two conditions, in obsm['image'] and obs['condition']",
        ),
    ]


@hookimpl
def morphospace_pipelines():
    return [
        PipelineSpec(
            name="blobs_pipeline",
            resource="morphospace_example:pipelines/blobs.yaml",
            summary="blobs -> random projection -> quantile bins -> Rand index",
        ),
        PipelineSpec(
            name="spots_pipeline",
            resource="morphospace_example:pipelines/spots.yaml",
            summary="spots -> mean shift from control to treated",
        ),
    ]

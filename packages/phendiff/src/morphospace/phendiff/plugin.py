"""The phendiff entry point: declares components, datasets and pipelines; imports none."""

from morphospace.core.plugin import ComponentSpec, DatasetSpec, PipelineSpec, hookimpl

_PKG = "morphospace.phendiff"


@hookimpl
def morphospace_api_version():
    return 2  # the plugin API this plugin is written for (core 0.2)


@hookimpl
def morphospace_components():
    return [
        ComponentSpec(
            kind="translator",
            name="ddim",
            target=f"{_PKG}.translator:DDIMTranslator",
            config=f"{_PKG}.config:DDIMTranslatorConfig",
            summary="conditional DDIM: invert under the source condition, regenerate under another",
        ),
        ComponentSpec(
            kind="encoder",
            name="inception",
            target=f"{_PKG}.inception:InceptionEncoder",
            config=f"{_PKG}.eval_config:InceptionConfig",
            summary="FID's Inception-v3 features of images, from a local weights file",
        ),
        ComponentSpec(
            kind="evaluator",
            name="fid",
            target=f"{_PKG}.fid:FID",
            config=f"{_PKG}.eval_config:FIDConfig",
            summary="FID and KID of translations against the real target, beside the identity",
        ),
        ComponentSpec(
            kind="evaluator",
            name="reconstruction",
            target=f"{_PKG}.reconstruction:Reconstruction",
            config=f"{_PKG}.eval_config:ReconstructionConfig",
            summary="L2 and per-pixel RMSE of images regenerated under their own condition",
        ),
        ComponentSpec(
            kind="evaluator",
            name="feature_shift",
            target=f"{_PKG}.feature_shift:FeatureShift",
            config=f"{_PKG}.eval_config:FeatureShiftConfig",
            summary="does a measurement shift as much in translations as between real conditions",
        ),
    ]


@hookimpl
def morphospace_datasets():
    return [
        DatasetSpec(
            name="synthetic_doses",
            target=f"{_PKG}.datasets:synthetic_doses",
            summary="two-channel cells whose Golgi fragments or cytoplasm shrinks with dose",
        )
    ]


@hookimpl
def morphospace_pipelines():
    return [
        PipelineSpec(
            name="demo",
            resource=f"{_PKG}:pipelines/demo.yaml",
            summary="5 synthetic conditions -> small DDIM -> to compound B -> FID/KID, shift",
            demo=True,
        ),
        PipelineSpec(
            name="doses",
            resource=f"{_PKG}:pipelines/doses.yaml",
            summary="synthetic doses -> DDIM -> untreated to every dose -> FID/KID, shift",
        ),
    ]

"""The drl entry point: declares components, datasets and pipelines; imports none."""

from morphospace.core.plugin import ComponentSpec, DatasetSpec, PipelineSpec, hookimpl

_PKG = "morphospace.drl"


@hookimpl
def morphospace_api_version():
    return 2  # the plugin API this plugin is written for (core 0.2)


@hookimpl
def morphospace_components():
    return [
        ComponentSpec(
            kind="encoder",
            name="ada_gvae",
            target=f"{_PKG}.vae:AdaGVAE",
            config=f"{_PKG}.config:AdaGVAEConfig",
            summary="Ada-GVAE: weakly supervised on source pairs, optionally fine-tuned on yours",
        ),
        ComponentSpec(
            kind="encoder",
            name="beta_vae",
            target=f"{_PKG}.vae:BetaVAE",
            config=f"{_PKG}.config:BetaVAEConfig",
            summary="β-VAE, the unsupervised baseline on the same network",
        ),
        ComponentSpec(
            kind="encoder",
            name="feature_vae",
            target=f"{_PKG}.feature_vae:FeatureVAE",
            config=f"{_PKG}.config:FeatureVAEConfig",
            summary="MLP VAE on frozen backbone features (a local ViT or a registered encoder)",
        ),
        ComponentSpec(
            kind="evaluator",
            name="omes",
            target=f"{_PKG}.omes:OMES",
            config=f"{_PKG}.config:OMESConfig",
            summary="OMES: overlap and multiple-encoding of factors, from one-factor pairs",
        ),
        ComponentSpec(
            kind="evaluator",
            name="dci",
            target=f"{_PKG}.dci:DCI",
            config=f"{_PKG}.config:DCIConfig",
            summary="DCI: disentanglement, completeness, informativeness from GBT importances",
        ),
        ComponentSpec(
            kind="evaluator",
            name="mig",
            target=f"{_PKG}.mig:MIG",
            config=f"{_PKG}.config:MIGConfig",
            summary="MIG: mutual-information gap between the two most informative dimensions",
        ),
        ComponentSpec(
            kind="evaluator",
            name="probe",
            target=f"{_PKG}.probe:Probe",
            config=f"{_PKG}.config:ProbeConfig",
            summary="GBT and MLP accuracy reading a label from the code, stratified folds",
        ),
    ]


@hookimpl
def morphospace_datasets():
    return [
        DatasetSpec(
            name="texture_dsprites",
            target=f"{_PKG}.datasets:texture_dsprites",
            summary="procedural source: textured sprites, 7 known factors, one-factor pairs",
        ),
        DatasetSpec(
            name="synthetic_cells",
            target=f"{_PKG}.datasets:synthetic_cells",
            summary="synthetic microscopy target: class from shape and texture, free factors kept",
        ),
        DatasetSpec(
            name="digits",
            target=f"{_PKG}.datasets:digits",
            summary="scikit-learn's 8x8 handwritten digits, upsampled: a real-image sanity target",
        ),
        DatasetSpec(
            name="nuclei",
            target=f"{_PKG}.datasets:nuclei",
            summary="real fluorescence nuclei (stardist's bundled image): crops, measured factors",
        ),
    ]


@hookimpl
def morphospace_pipelines():
    return [
        PipelineSpec(
            name="transfer",
            resource=f"{_PKG}:pipelines/transfer.yaml",
            summary="Texture-dSprites -> Ada-GVAE -> fine-tune on synthetic cells -> probe + OMES",
            demo=True,
        )
    ]

"""The plugin's entry point: declares components, datasets and pipelines; imports none of them.

Nothing here imports torch: the components' ``Config`` classes live in the light
``morphospace.diffkillr.config``.
"""

from morphospace.core.plugin import (
    ComponentSpec,
    DatasetSpec,
    PipelineSpec,
    hookimpl,
)

_PKG = "morphospace.diffkillr"


@hookimpl
def morphospace_api_version():
    return 2  # the plugin API this plugin is written for (core 0.2)


@hookimpl
def morphospace_components():
    return [
        ComponentSpec(
            kind="encoder",
            name="invariant_net",
            target=f"{_PKG}.invariant_net:DiffeoInvariantNet",
            config=f"{_PKG}.config:DiffeoInvariantNetConfig",
            summary="DiffeoInvariantNet: cell embeddings invariant to realistic diffeomorphisms",
        ),
        ComponentSpec(
            kind="registrar",
            name="mapping_net",
            target=f"{_PKG}.mapping_net:DiffeoMappingNet",
            config=f"{_PKG}.config:DiffeoMappingNetConfig",
            summary="DiffeoMappingNet: UNet velocity field + scaling and squaring registration",
        ),
        ComponentSpec(
            kind="segmenter",
            name="annotator",
            target=f"{_PKG}.annotator:Annotator",
            config=f"{_PKG}.config:AnnotatorConfig",
            summary="DiffKillR workflow: cell bank -> both nets -> annotate whole fields",
        ),
        ComponentSpec(
            kind="evaluator",
            name="matching",
            target=f"{_PKG}.matching:Matching",
            config=f"{_PKG}.config:MatchingConfig",
            summary="matching of cells to the bank: MAP and top-k accuracy",
        ),
        ComponentSpec(
            kind="evaluator",
            name="registration",
            target=f"{_PKG}.registration:Registration",
            config=f"{_PKG}.config:RegistrationConfig",
            summary="DSC, IoU, NCC, L1, field error and folding fraction",
        ),
        ComponentSpec(
            kind="evaluator",
            name="counting",
            target=f"{_PKG}.counting:Counting",
            config=f"{_PKG}.config:CountingConfig",
            summary="counting precision / recall / F1 within a distance tolerance",
        ),
        ComponentSpec(
            kind="evaluator",
            name="orientation",
            target=f"{_PKG}.orientation:Orientation",
            config=f"{_PKG}.config:OrientationConfig",
            summary="orientation error (axial L1 and degrees)",
        ),
    ]


@hookimpl
def morphospace_datasets():
    return [
        DatasetSpec(
            name="synthetic_fields",
            target=f"{_PKG}.datasets:synthetic_fields",
            summary="dense synthetic fields with instance masks, centres, orientations",
        ),
        DatasetSpec(
            name="synthetic_cells",
            target=f"{_PKG}.datasets:synthetic_cells",
            summary="cell patches: archetypes and deformed (or other) cells, true fields",
        ),
        DatasetSpec(
            name="immunohistochemistry",
            target=f"{_PKG}.datasets:immunohistochemistry",
            summary="scikit-image's bundled IHC image (hematoxylin), a few nuclei annotated",
        ),
        DatasetSpec(
            name="cell",
            target=f"{_PKG}.datasets:cell",
            summary="scikit-image's bundled bright-field 'cell' image",
        ),
    ]


@hookimpl
def morphospace_pipelines():
    return [
        PipelineSpec(
            name="annotate",
            resource=f"{_PKG}:pipelines/annotate.yaml",
            summary="bank from 8 annotated cells -> both nets -> annotate fields -> count + DSC",
            demo=True,
        ),
        PipelineSpec(
            name="ihc",
            resource=f"{_PKG}:pipelines/ihc.yaml",
            summary="annotate scikit-image's bundled IHC image from 8 nuclei (figures only)",
        ),
        PipelineSpec(
            name="cells",
            resource=f"{_PKG}:pipelines/cells.yaml",
            summary="match deformed cells to archetypes and register them",
        ),
    ]

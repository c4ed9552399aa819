"""The phendiff entry point: declares components, datasets and pipelines; imports none."""

from morphospace.core.plugin import ComponentSpec, hookimpl

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
    ]

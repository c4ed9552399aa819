"""What a plugin author imports: hook markers, spec records and the API version.

A plugin is a distribution that declares one entry point in the group
``morphospace.plugins``; the entry point names a *light* module (no heavy imports at
top level) that implements the hooks of :mod:`morphospace.core.hookspecs` with
:data:`hookimpl`. Components are named by ``"module:attr"`` strings and are imported
only when first used, so listing plugins stays fast and torch-free.

This module deliberately imports nothing but pluggy and the standard library.
"""

from __future__ import annotations

from dataclasses import dataclass

import pluggy

PROJECT_NAME = "morphospace"
ENTRY_POINT_GROUP = "morphospace.plugins"

#: The plugin API this core implements. A plugin returns the version it targets from
#: ``morphospace_api_version``; a different major version is skipped with the reason.
PLUGIN_API_VERSION = 2

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)

#: The kinds of component, in the order the docs present them.
COMPONENT_KINDS = ("encoder", "segmenter", "registrar", "clusterer", "translator", "evaluator")


@dataclass(frozen=True)
class ComponentSpec:
    """Declares one component: kind, short name, ``"module:Class"`` target, summary.

    ``config`` optionally names the component's ``Config`` class as ``"module:Class"``
    in a light module; then ``morphospace info`` and pipeline validation read it
    without importing the implementation (and its torch).
    """

    kind: str
    name: str
    target: str
    summary: str = ""
    config: str | None = None


@dataclass(frozen=True)
class DatasetSpec:
    """Declares one dataset: a ``"module:function"`` target returning an AnnData."""

    name: str
    target: str
    summary: str = ""


@dataclass(frozen=True)
class PipelineSpec:
    """Declares an example pipeline shipped as a YAML file inside the plugin package.

    ``resource`` is ``"package:relative/path.yaml"``; ``demo=True`` makes
    ``morphospace demo`` run it. ``requires`` names the other plugins whose
    components it uses (e.g. ``("dmlcluster",)``); without them the demo is skipped.
    """

    name: str
    resource: str
    summary: str = ""
    demo: bool = False
    requires: tuple[str, ...] = ()

"""The hooks a morphospace plugin may implement (pluggy specifications).

Every hook is called once per plugin with no heavy work: return records, never
import an implementation module here.
"""

from __future__ import annotations

from morphospace.core.plugin import hookspec


@hookspec
def morphospace_api_version() -> int:
    """Return the plugin API version this plugin targets (``PLUGIN_API_VERSION``)."""


@hookspec
def morphospace_components() -> list:
    """Return a list of :class:`~morphospace.core.plugin.ComponentSpec`."""


@hookspec
def morphospace_datasets() -> list:
    """Return a list of :class:`~morphospace.core.plugin.DatasetSpec`."""


@hookspec
def morphospace_pipelines() -> list:
    """Return a list of :class:`~morphospace.core.plugin.PipelineSpec` (example pipelines)."""


@hookspec
def morphospace_cli(cli) -> None:
    """Add subcommands to the ``morphospace`` click group ``cli``."""

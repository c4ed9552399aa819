"""Discovery of installed plugins and lookup of their components by name.

Plugins are found through the entry-point group ``morphospace.plugins`` with the
standard library's :mod:`importlib.metadata`; each entry point names a light module
whose pluggy hooks return specs (see :mod:`morphospace.core.plugin`). Discovery reads
those specs only: a component's module is imported the first time the component is
used. A plugin that fails to import, targets another plugin-API version or is
disabled with ``MORPHOSPACE_DISABLE_PLUGINS`` is skipped and reported by
:func:`plugins`; with ``strict=True`` (or ``MORPHOSPACE_STRICT_PLUGINS=1``) it raises.

The module-level functions (:func:`list`, :func:`info`, :func:`create`, ...) use one
shared :class:`Registry`; build your own ``Registry(...)`` to discover afresh.
"""

from __future__ import annotations

import builtins
import difflib
import importlib
import inspect
import os
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import metadata
from typing import Any

import pluggy

from morphospace.core import hookspecs
from morphospace.core.errors import ComponentNotFoundError, ConfigError, PluginError
from morphospace.core.plugin import (
    COMPONENT_KINDS,
    ENTRY_POINT_GROUP,
    PLUGIN_API_VERSION,
    PROJECT_NAME,
    ComponentSpec,
    DatasetSpec,
    PipelineSpec,
)

DISABLE_ENV = "MORPHOSPACE_DISABLE_PLUGINS"
STRICT_ENV = "MORPHOSPACE_STRICT_PLUGINS"


@dataclass(frozen=True)
class PluginInfo:
    """One discovered plugin and whether it could be used."""

    name: str
    distribution: str
    version: str
    module: str
    status: str = "ok"  # "ok" | "broken" | "incompatible" | "disabled"
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    @property
    def fix(self) -> str:
        """The command that most likely repairs this plugin."""
        if self.status == "disabled":
            return f"remove {self.name!r} from ${DISABLE_ENV}"
        if self.status == "incompatible":
            return f"pip install --upgrade {self.distribution} morphospace-core"
        return f"pip install --force-reinstall {self.distribution}"


@dataclass(frozen=True)
class ComponentInfo:
    """A component as the registry knows it, before its module is imported."""

    name: str  # qualified: "<plugin>.<component>"
    kind: str
    target: str
    summary: str
    plugin: PluginInfo
    config: str | None = None

    @property
    def short_name(self) -> str:
        return self.name.split(".", 1)[1]


@dataclass(frozen=True)
class DatasetInfo:
    name: str
    target: str
    summary: str
    plugin: PluginInfo


@dataclass(frozen=True)
class PipelineInfo:
    name: str
    resource: str
    summary: str
    demo: bool
    plugin: PluginInfo

    def read_text(self) -> str:
        """The pipeline document shipped inside the plugin package."""
        from importlib import resources

        package, _, path = self.resource.partition(":")
        return resources.files(package).joinpath(path).read_text(encoding="utf-8")


def _env_flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in {"1", "true", "yes", "on"}


def _disabled_names() -> set[str]:
    raw = os.environ.get(DISABLE_ENV, "")
    return {part.strip() for part in raw.replace(";", ",").split(",") if part.strip()}


def _dist_name(ep: Any) -> str:
    dist = getattr(ep, "dist", None)
    return dist.metadata["Name"] if dist is not None else "<unknown distribution>"


def import_target(target: str) -> Any:
    """Import ``"package.module:attr.sub"`` and return the attribute."""
    module_name, sep, attr_path = target.partition(":")
    if not sep or not module_name or not attr_path:
        raise ValueError(f"target must look like 'package.module:attribute', got {target!r}")
    obj: Any = importlib.import_module(module_name)
    for attr in attr_path.split("."):
        obj = getattr(obj, attr)
    return obj


class Registry:
    """Finds plugins and resolves component, dataset and pipeline names.

    Parameters
    ----------
    strict:
        Raise :class:`PluginError` for any broken, incompatible or clashing plugin
        instead of skipping it. Defaults to ``$MORPHOSPACE_STRICT_PLUGINS``.
    entry_points:
        Entry points to use instead of the installed ones (for tests and embedding).
    """

    def __init__(self, strict: bool | None = None, entry_points: Iterable | None = None):
        self.strict = _env_flag(STRICT_ENV) if strict is None else strict
        self._entry_points = builtins.list(entry_points) if entry_points is not None else None
        self._discovered = False
        self._plugins: dict[str, PluginInfo] = {}
        self._components: dict[str, ComponentInfo] = {}
        self._datasets: dict[str, DatasetInfo] = {}
        self._pipelines: dict[str, PipelineInfo] = {}
        self._clashes: dict[str, str] = {}  # qualified name -> message
        self._plugin_clashes: dict[str, str] = {}  # plugin name -> message
        self._names_by_target: dict[str, str] = {}
        self._names_by_class: dict[type, str] = {}
        self._plugin_manager = pluggy.PluginManager(PROJECT_NAME)
        self._plugin_manager.add_hookspecs(hookspecs)

    # ------------------------------------------------------------------ discovery
    def _discover(self) -> None:
        if self._discovered:
            return
        self._discovered = True
        entry_points = self._entry_points
        if entry_points is None:
            entry_points = metadata.entry_points(group=ENTRY_POINT_GROUP)
        entry_points = sorted(entry_points, key=lambda ep: (ep.name, _dist_name(ep), ep.value))
        seen: set[tuple[str, str, str]] = set()
        disabled = _disabled_names()
        for ep in entry_points:
            dist = getattr(ep, "dist", None)
            dist_name = _dist_name(ep)
            version = dist.version if dist is not None else "?"
            key = (dist_name, ep.name, ep.value)
            if key in seen:  # the same distribution visible twice on sys.path
                continue
            seen.add(key)
            plugin = PluginInfo(ep.name, dist_name, version, ep.value)
            if ep.name in disabled or dist_name in disabled:
                self._record(plugin, "disabled", f"disabled by ${DISABLE_ENV}")
                continue
            if ep.name in self._plugins and self._plugins[ep.name].status != "disabled":
                other = self._plugins[ep.name]
                both = " and ".join(sorted([other.distribution, dist_name]))
                message = (
                    f"plugin name {ep.name!r} is claimed by two distributions: {both}; "
                    "uninstall one of them"
                )
                self._plugin_clashes[ep.name] = message
                self._record(plugin, "broken", message)
                continue
            try:
                self._load_plugin(ep, plugin)
            except PluginError:
                raise
            except Exception as exc:  # a plugin must never take the host down
                self._record(plugin, "broken", f"{type(exc).__name__}: {exc}")

    def _record(self, plugin: PluginInfo, status: str, reason: str = "") -> PluginInfo:
        plugin = PluginInfo(
            plugin.name, plugin.distribution, plugin.version, plugin.module, status, reason
        )
        if self.strict and status in {"broken", "incompatible"}:
            raise PluginError(
                f"plugin {plugin.name!r} ({plugin.distribution} {plugin.version}) is "
                f"{status}: {reason}. Fix: {plugin.fix}"
            )
        if plugin.name not in self._plugins or status == "ok":
            self._plugins[plugin.name] = plugin
        else:  # keep the first plugin of that name visible, report the clash apart
            self._plugins[f"{plugin.name} ({plugin.distribution})"] = plugin
        return plugin

    def _hook_results(self, hook_name: str, module: Any) -> builtins.list:
        hook = getattr(self._plugin_manager.hook, hook_name)
        results: builtins.list = []
        for impl in hook.get_hookimpls():
            if impl.plugin is module:
                value = impl.function()
                results.extend(value if isinstance(value, builtins.list | tuple) else [value])
        return results

    def _load_plugin(self, ep: Any, plugin: PluginInfo) -> None:
        try:
            module = ep.load()
        except Exception as exc:
            self._record(plugin, "broken", f"import failed: {type(exc).__name__}: {exc}")
            return
        try:
            self._plugin_manager.register(module, name=f"{plugin.distribution}:{plugin.name}")
        except Exception as exc:
            self._record(plugin, "broken", f"invalid hooks: {exc}")
            return
        versions = self._hook_results("morphospace_api_version", module)
        if not versions:
            self._plugin_manager.unregister(module)
            self._record(plugin, "incompatible", "it does not declare morphospace_api_version()")
            return
        if int(versions[0]) != PLUGIN_API_VERSION:
            self._plugin_manager.unregister(module)
            self._record(
                plugin,
                "incompatible",
                f"it targets plugin API {versions[0]}, this morphospace-core "
                f"implements {PLUGIN_API_VERSION}",
            )
            return
        components = self._hook_results("morphospace_components", module)
        datasets = self._hook_results("morphospace_datasets", module)
        pipelines = self._hook_results("morphospace_pipelines", module)
        problem = _check_specs(components, datasets, pipelines)
        if problem:
            self._plugin_manager.unregister(module)
            self._record(plugin, "broken", problem)
            return
        plugin = self._record(plugin, "ok")
        for spec in components:
            self._add(
                self._components,
                ComponentInfo(
                    f"{plugin.name}.{spec.name}",
                    spec.kind,
                    spec.target,
                    spec.summary,
                    plugin,
                    spec.config,
                ),
            )
            self._names_by_target[spec.target] = f"{plugin.name}.{spec.name}"
        for spec in datasets:
            self._add(
                self._datasets,
                DatasetInfo(f"{plugin.name}.{spec.name}", spec.target, spec.summary, plugin),
            )
        for spec in pipelines:
            self._add(
                self._pipelines,
                PipelineInfo(
                    f"{plugin.name}.{spec.name}", spec.resource, spec.summary, spec.demo, plugin
                ),
            )

    def _add(self, table: dict, item: Any) -> None:
        if item.name in table:
            other = table[item.name]
            both = " and ".join(sorted([other.plugin.distribution, item.plugin.distribution]))
            message = f"{item.name!r} is provided twice, by {both}; uninstall one of them"
            if self.strict:
                raise PluginError(message)
            self._clashes[item.name] = message
            return
        table[item.name] = item

    # ------------------------------------------------------------------ queries
    def plugins(self) -> builtins.list[PluginInfo]:
        """Every discovered plugin, usable or not, with the reason when not."""
        self._discover()
        return builtins.list(self._plugins.values())

    def clashes(self) -> builtins.list[str]:
        """Messages for names that two distributions both provide."""
        self._discover()
        return builtins.list(self._plugin_clashes.values()) + builtins.list(self._clashes.values())

    def list(self, kind: str | None = None) -> builtins.list[ComponentInfo]:
        """Components of usable plugins, optionally of one ``kind``, sorted by name."""
        self._discover()
        if kind is not None:
            _check_kind(kind)
        return sorted(
            (c for c in self._components.values() if kind is None or c.kind == kind),
            key=lambda c: c.name,
        )

    def info(self, name: str) -> ComponentInfo:
        """The registry record of component ``name`` (qualified or unambiguous short)."""
        self._discover()
        return self._resolve(self._components, name, "component")

    def get_class(self, name: str, kind: str | None = None) -> type:
        """Import and return the class of component ``name``, checking its ``kind``."""
        from morphospace.core.interfaces import INTERFACES

        record = self._checked_info(name, kind)
        cls = self._import(record.target, record.name, record.plugin)
        interface = INTERFACES[record.kind]
        if not (isinstance(cls, type) and issubclass(cls, interface)):
            raise PluginError(
                f"{record.name} ({record.plugin.distribution}) declares kind "
                f"{record.kind!r} but {record.target} is not a subclass of "
                f"{interface.__name__}"
            )
        self._names_by_class[cls] = record.name
        return cls

    def config_class(self, name: str, kind: str | None = None) -> type:
        """The ``Config`` class of ``name``, from its light config module when declared."""
        from morphospace.core.config import CONFIG_BASES

        record = self._checked_info(name, kind)
        if record.config is None:
            return self.get_class(record.name).Config
        config_cls = self._import(record.config, record.name, record.plugin)
        base = CONFIG_BASES[record.kind]
        if not (isinstance(config_cls, type) and issubclass(config_cls, base)):
            raise PluginError(
                f"{record.name} ({record.plugin.distribution}) names {record.config} as its "
                f"config, which is not a subclass of {base.__name__}"
            )
        return config_cls

    def validate_params(self, name: str, params: dict, kind: str | None = None) -> Any:
        """Validate ``params`` for component ``name`` without importing its implementation."""
        record = self._checked_info(name, kind)
        return self.config_class(record.name).from_params(params, component=record.name)

    def create(self, kind: str, name: str, **params: Any) -> Any:
        """Create component ``name`` of ``kind`` with validated ``params``."""
        cls = self.get_class(name, kind)
        record = self.info(name)
        return cls(cls.Config.from_params(params, component=record.name))

    def _checked_info(self, name: str, kind: str | None) -> ComponentInfo:
        record = self.info(name)
        if kind is not None:
            _check_kind(kind)
            if record.kind != kind:
                raise ComponentNotFoundError(
                    f"{record.name} is a {record.kind}, not a {kind}; "
                    f"installed {kind}s: {_names(self.list(kind)) or 'none'}"
                )
        return record

    def name_of(self, cls: type) -> str | None:
        """The registry name of a component class, or None if no plugin declares it."""
        if cls in self._names_by_class:
            return self._names_by_class[cls]
        self._discover()
        return self._names_by_target.get(f"{cls.__module__}:{cls.__qualname__}")

    def datasets(self) -> builtins.list[DatasetInfo]:
        self._discover()
        return sorted(self._datasets.values(), key=lambda d: d.name)

    def dataset_info(self, name: str) -> DatasetInfo:
        self._discover()
        return self._resolve(self._datasets, name, "dataset")

    def load_dataset(self, name: str, **params: Any) -> Any:
        """Build dataset ``name`` as an AnnData, with ``params`` checked by signature."""
        record = self.dataset_info(name)
        function = self._import(record.target, record.name, record.plugin)
        try:
            inspect.signature(function).bind(**params)
        except TypeError as exc:
            raise ConfigError(
                f"dataset {record.name}: {exc}; it accepts {_signature_text(function)}"
            ) from None
        adata = function(**params)
        adata.uns["dataset"] = {"name": record.name, "params": dict(params)}
        return adata

    def pipelines(self) -> builtins.list[PipelineInfo]:
        self._discover()
        return sorted(self._pipelines.values(), key=lambda p: p.name)

    def pipeline_info(self, name: str) -> PipelineInfo:
        self._discover()
        return self._resolve(self._pipelines, name, "pipeline")

    def add_cli_commands(self, group: Any) -> builtins.list[str]:
        """Let every usable plugin add subcommands; return the errors of those that fail."""
        self._discover()
        errors = []
        for impl in self._plugin_manager.hook.morphospace_cli.get_hookimpls():
            try:
                impl.function(cli=group)
            except Exception as exc:
                errors.append(f"{impl.plugin_name}: {type(exc).__name__}: {exc}")
        return errors

    # ------------------------------------------------------------------ helpers
    def _resolve(self, table: dict, name: str, what: str) -> Any:
        if name in self._clashes:
            raise PluginError(self._clashes[name])
        matches = (
            [table[name]]
            if name in table
            else [item for key, item in table.items() if key.split(".", 1)[1] == name]
        )
        if len(matches) == 1:
            if matches[0].plugin.name in self._plugin_clashes:
                raise PluginError(self._plugin_clashes[matches[0].plugin.name])
            return matches[0]
        if len(matches) > 1:
            raise ComponentNotFoundError(
                f"{what} name {name!r} is ambiguous: {_names(matches)}; use the qualified name"
            )
        broken = [p for p in self._plugins.values() if not p.ok and name.split(".")[0] == p.name]
        if broken:
            plugin = broken[0]
            raise PluginError(
                f"{what} {name!r} belongs to plugin {plugin.name!r} "
                f"({plugin.distribution} {plugin.version}), which is {plugin.status}: "
                f"{plugin.reason}. Fix: {plugin.fix}"
            )
        candidates = builtins.list(table) + [key.split(".", 1)[1] for key in table]
        close = difflib.get_close_matches(name, candidates, n=3, cutoff=0.6)
        hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
        available = _names(table.values()) if table else "none (no plugin installed)"
        raise ComponentNotFoundError(
            f"no installed plugin provides the {what} {name!r}.{hint} "
            f"Installed {what}s: {available}. "
            "Run `morphospace plugins` to see plugins and why any were skipped."
        )

    def _import(self, target: str, name: str, plugin: PluginInfo) -> Any:
        try:
            return import_target(target)
        except Exception as exc:
            raise PluginError(
                f"{name} could not be loaded from {target} "
                f"({plugin.distribution} {plugin.version}): {type(exc).__name__}: {exc}. "
                f"Fix: {plugin.fix}"
            ) from exc


def _check_kind(kind: str) -> None:
    if kind not in COMPONENT_KINDS:
        raise ComponentNotFoundError(
            f"unknown component kind {kind!r}; expected one of {', '.join(COMPONENT_KINDS)}"
        )


def _check_specs(
    components: builtins.list, datasets: builtins.list, pipelines: builtins.list
) -> str:
    """Return what is wrong with a plugin's specs, or an empty string."""
    for spec, expected in (
        *((c, ComponentSpec) for c in components),
        *((d, DatasetSpec) for d in datasets),
        *((p, PipelineSpec) for p in pipelines),
    ):
        if not isinstance(spec, expected):
            return f"a hook returned {spec!r}, expected a {expected.__name__}"
        if "." in spec.name or not spec.name:
            return f"name {spec.name!r} must be non-empty and contain no '.'"
    for spec in components:
        if spec.kind not in COMPONENT_KINDS:
            return f"component {spec.name!r} has unknown kind {spec.kind!r}"
        for target in (spec.target, spec.config or ":"):
            if ":" not in target:
                return f"component {spec.name!r}: {target!r} is not 'module:attr'"
    names = [c.name for c in components]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        return f"it declares the component(s) {', '.join(duplicates)} twice"
    return ""


def _names(items: Iterable) -> str:
    return ", ".join(sorted(item.name for item in items))


def _signature_text(function: Any) -> str:
    params = inspect.signature(function).parameters.values()
    parts = [p.name if p.default is p.empty else f"{p.name}={p.default!r}" for p in params]
    return "(" + ", ".join(parts) + ")"


_default: Registry | None = None


def default_registry() -> Registry:
    """The process-wide registry used by the module-level functions and the CLI."""
    global _default
    if _default is None:
        _default = Registry()
    return _default


def reset() -> None:
    """Forget the process-wide registry so the next call discovers plugins again."""
    global _default
    _default = None


def plugins() -> builtins.list[PluginInfo]:
    return default_registry().plugins()


def list(kind: str | None = None) -> builtins.list[ComponentInfo]:
    """Installed components, optionally of one kind (``"encoder"``, ``"clusterer"``, ...)."""
    return default_registry().list(kind)


def info(name: str) -> ComponentInfo:
    """The registry record of a component, without importing it."""
    return default_registry().info(name)


def get_class(name: str, kind: str | None = None) -> type:
    return default_registry().get_class(name, kind)


def config_class(name: str, kind: str | None = None) -> type:
    """The ``Config`` class of a component, read without importing its implementation."""
    return default_registry().config_class(name, kind)


def create(kind: str, name: str, **params: Any) -> Any:
    """Create an installed component by name, e.g. ``create("encoder", "dmlcluster.nca")``."""
    return default_registry().create(kind, name, **params)


def datasets() -> builtins.list[DatasetInfo]:
    return default_registry().datasets()


def load_dataset(name: str, **params: Any) -> Any:
    """Build an installed dataset as an AnnData."""
    return default_registry().load_dataset(name, **params)


def pipelines() -> builtins.list[PipelineInfo]:
    return default_registry().pipelines()

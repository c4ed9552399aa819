"""Discovery of installed plugins and lookup of their components by name.

Plugins are found through the entry-point group ``morphospace.plugins`` with the
standard library's :mod:`importlib.metadata`; each entry point names a light module
whose pluggy hooks return specs (see :mod:`morphospace.core.plugin`). Discovery reads
those specs only: a component's module is imported the first time the component is
used. A plugin that fails to import, targets another plugin-API version or is
disabled with ``MORPHOSPACE_DISABLE_PLUGINS`` is skipped and reported by
:func:`plugins`; with ``strict=True`` (or ``MORPHOSPACE_STRICT_PLUGINS=1``) it raises.

The module-level functions (``list``, :func:`info`, :func:`create`, ...) use one
shared :class:`Registry`; build your own ``Registry(...)`` to discover afresh.
``registry.list`` is the public name (as ``timm.list_models``) of
:func:`list_components`; it is served by the module's ``__getattr__`` rather than
defined, so that ``list`` inside this module is still the builtin.
"""

from __future__ import annotations

import dataclasses
import difflib
import importlib
import inspect
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from importlib import metadata
from typing import Any

import pluggy

from morphospace.core import hookspecs
from morphospace.core.errors import (
    ComponentNotFoundError,
    ConfigError,
    MissingDependencyError,
    PluginError,
)
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
    fix: str = ""  # what most likely repairs it, when not ok

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    @property
    def reinstall(self) -> str:
        """The fix for a packaging failure: a missing module or entry-point target."""
        return f"pip install --force-reinstall {self.distribution}"

    @property
    def report_bug(self) -> str:
        """The fix for an error raised by the plugin's own code."""
        return (
            f"report this error to the authors of {self.distribution} {self.version}: "
            "it is a bug in the plugin's code, which reinstalling will not fix"
        )


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
    requires: tuple[str, ...] = ()  # plugins whose components it uses

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


class _LoadFailure(Exception):
    """A plugin's module or target could not be loaded; ``packaging`` says whether a
    reinstall can help (a missing module or attribute) or the plugin's code is at fault."""

    def __init__(self, reason: str, packaging: bool):
        super().__init__(reason)
        self.reason = reason
        self.packaging = packaging


def _describe(exc: BaseException) -> str:
    if isinstance(exc, SystemExit):
        return f"the module called sys.exit({exc.code!r})"
    return f"{type(exc).__name__}: {exc}"


def _load(module_name: str, attr_path: str = "") -> Any:
    """Import ``module_name`` and return its attribute ``attr_path`` (dotted, may be empty).

    Raises :class:`_LoadFailure` for anything but :class:`MissingDependencyError`
    (passed on, it names what to install) and ``KeyboardInterrupt``. ``SystemExit``
    is caught too: a plugin calling ``sys.exit()`` must not end the host.
    """
    try:
        obj = importlib.import_module(module_name)
    except (MissingDependencyError, KeyboardInterrupt):
        raise
    except ImportError as exc:
        raise _LoadFailure(f"import failed: {_describe(exc)}", packaging=True) from exc
    except BaseException as exc:
        raise _LoadFailure(f"import failed: {_describe(exc)}", packaging=False) from exc
    for attr in filter(None, attr_path.split(".")):
        if not hasattr(obj, attr):
            raise _LoadFailure(f"{module_name} has no attribute {attr_path!r}", packaging=True)
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
        self._entry_points = list(entry_points) if entry_points is not None else None
        self._discovered = False
        self._plugins: dict[str, PluginInfo] = {}
        self._components: dict[str, ComponentInfo] = {}
        self._datasets: dict[str, DatasetInfo] = {}
        self._pipelines: dict[str, PipelineInfo] = {}
        self._clashes: dict[str, str] = {}  # qualified name -> message
        self._plugin_clashes: dict[str, str] = {}  # plugin name -> message
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
                fix = f"pip uninstall {dist_name} (or {other.distribution})"
                self._record(plugin, "broken", message, fix)
                continue
            try:
                self._load_plugin(ep, plugin)
            except (PluginError, KeyboardInterrupt):
                raise
            except BaseException as exc:  # a plugin must never take the host down
                self._record(
                    plugin, "broken", f"a hook failed: {_describe(exc)}", plugin.report_bug
                )

    def _record(
        self, plugin: PluginInfo, status: str, reason: str = "", fix: str | None = None
    ) -> PluginInfo:
        if fix is None:
            fix = {
                "ok": "",
                "disabled": f"remove {plugin.name!r} from ${DISABLE_ENV}",
                "incompatible": f"pip install --upgrade {plugin.distribution} morphospace-core",
            }.get(status, plugin.report_bug)
        plugin = dataclasses.replace(plugin, status=status, reason=reason, fix=fix)
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

    def _hook_results(self, hook_name: str, module: Any) -> list:
        hook = getattr(self._plugin_manager.hook, hook_name)
        results: list = []
        for impl in hook.get_hookimpls():
            if impl.plugin is module:
                value = impl.function()
                results.extend(value if isinstance(value, list | tuple) else [value])
        return results

    def _load_plugin(self, ep: Any, plugin: PluginInfo) -> None:
        try:
            module = _load(ep.module, ep.attr or "")
        except MissingDependencyError as exc:
            self._record(plugin, "broken", f"import failed: {exc}", plugin.reinstall)
            return
        except _LoadFailure as failure:
            fix = plugin.reinstall if failure.packaging else plugin.report_bug
            self._record(plugin, "broken", failure.reason, fix)
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
        for spec in datasets:
            self._add(
                self._datasets,
                DatasetInfo(f"{plugin.name}.{spec.name}", spec.target, spec.summary, plugin),
            )
        for spec in pipelines:
            self._add(
                self._pipelines,
                PipelineInfo(
                    f"{plugin.name}.{spec.name}",
                    spec.resource,
                    spec.summary,
                    spec.demo,
                    plugin,
                    tuple(spec.requires),
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
    def plugins(self) -> list[PluginInfo]:
        """Every discovered plugin, usable or not, with the reason when not."""
        self._discover()
        return list(self._plugins.values())

    def clashes(self) -> list[str]:
        """Messages for names that two distributions both provide."""
        self._discover()
        return list(self._plugin_clashes.values()) + list(self._clashes.values())

    def info(self, name: str) -> ComponentInfo:
        """The registry record of component ``name`` (qualified or unambiguous short)."""
        self._discover()
        return self._resolve({"component": self._components}, name)

    def lookup(self, name: str) -> ComponentInfo | DatasetInfo:
        """The component, or else the dataset, called ``name`` (for ``morphospace info``)."""
        self._discover()
        return self._resolve({"component": self._components, "dataset": self._datasets}, name)

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
        cls._registration = record  # names the class's errors and checkpoints, no look-up
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

    def create(self, kind: str, name: str, config: Any = None, **params: Any) -> Any:
        """Create component ``name`` of ``kind`` from validated ``params`` (or a ``config``).

        The component remembers this registry's entry for it, so its errors and its
        checkpoints name it as this registry does.
        """
        cls = self.get_class(name, kind)
        record = self.info(name)
        if config is None:
            config = cls.Config.from_params(params, component=record.name)
        elif params:
            raise ConfigError(f"{record.name}: give either a config or params, not both")
        component = cls(config)
        component._registration = record
        return component

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

    def datasets(self) -> list[DatasetInfo]:
        self._discover()
        return sorted(self._datasets.values(), key=lambda d: d.name)

    def dataset_info(self, name: str) -> DatasetInfo:
        self._discover()
        return self._resolve({"dataset": self._datasets}, name)

    def dataset_parameters(self, name: str) -> list[tuple[str, str, str, str]]:
        """``(name, type, default, "")`` for every parameter of dataset ``name``.

        Read from the dataset function's signature (importing its module), in the
        shape of :meth:`ComponentConfig.fields_table`.
        """
        from morphospace.core.config import type_text

        record = self.dataset_info(name)
        function = self._import(record.target, record.name, record.plugin)
        try:
            signature = inspect.signature(function, eval_str=True)
        except NameError:  # an annotation names a type imported only for type checkers
            signature = inspect.signature(function)
        return [
            (
                p.name,
                "" if p.annotation is p.empty else type_text(p.annotation),
                "required" if p.default is p.empty else f"default {p.default!r}",
                "",
            )
            for p in signature.parameters.values()
        ]

    def check_dataset_params(self, name: str, params: dict[str, Any]) -> dict[str, Any]:
        """``params`` with every literal default of dataset ``name`` filled in.

        Unknown and missing parameters are a :class:`ConfigError`. The parameters are
        read from the dataset function's source, so its module is not imported; types
        are checked when the dataset is built.
        """
        from morphospace.core.signatures import NOT_LITERAL, REQUIRED, read_parameters

        record = self.dataset_info(name)
        parameters = read_parameters(record.target)
        if parameters is None:
            return dict(params)
        names = [p.name for p in parameters]
        unknown = sorted(set(params) - set(names))
        missing = [p.name for p in parameters if p.default is REQUIRED and p.name not in params]
        if unknown or missing:
            problem = f"unknown parameter(s) {', '.join(unknown)}" if unknown else ""
            if missing:
                problem += ("; " if problem else "") + f"missing {', '.join(missing)}"
            raise ConfigError(
                f"dataset {record.name}: {problem}; it accepts {', '.join(names) or 'none'}"
            )
        filled = {
            p.name: p.default
            for p in parameters
            if p.default is not REQUIRED and p.default is not NOT_LITERAL
        }
        filled.update(params)
        return filled

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

    def pipelines(self) -> list[PipelineInfo]:
        self._discover()
        return sorted(self._pipelines.values(), key=lambda p: p.name)

    def pipeline_info(self, name: str) -> PipelineInfo:
        self._discover()
        return self._resolve({"pipeline": self._pipelines}, name)

    def check_requirements(self, pipeline: PipelineInfo) -> None:
        """Raise :class:`MissingDependencyError` if a plugin that ``pipeline`` needs is unusable."""
        self._discover()
        for needed in pipeline.requires:
            plugin = self._plugins.get(needed)
            if plugin is not None and plugin.ok:
                continue
            state = (
                "which is not installed: pip install morphospace-" + needed
                if plugin is None
                else f"which is {plugin.status}: {plugin.reason}. Fix: {plugin.fix}"
            )
            raise MissingDependencyError(
                f"pipeline {pipeline.name} needs the plugin {needed!r}, {state}"
            )

    def add_cli_commands(self, group: Any) -> list[str]:
        """Let every usable plugin add subcommands; return the errors of those that fail."""
        self._discover()
        errors = []
        for impl in self._plugin_manager.hook.morphospace_cli.get_hookimpls():
            try:
                impl.function(cli=group)
            except KeyboardInterrupt:
                raise
            except BaseException as exc:  # sys.exit() in a hook must not end the host
                errors.append(f"{impl.plugin_name}: {_describe(exc)}")
        return errors

    # Last in the class: a method named ``list`` shadows the builtin in the class body
    # for anything after it (type checkers read annotations there).
    def list(self, kind: str | None = None) -> list[ComponentInfo]:
        """Components of usable plugins, optionally of one ``kind``, sorted by name."""
        self._discover()
        if kind is not None:
            _check_kind(kind)
        return sorted(
            (c for c in self._components.values() if kind is None or c.kind == kind),
            key=lambda c: c.name,
        )

    # ------------------------------------------------------------------ helpers
    def _resolve(self, tables: dict[str, dict], name: str) -> Any:
        """The item called ``name`` in the first of ``tables`` (keyed by kind) that has it."""
        if name in self._clashes:
            raise PluginError(self._clashes[name])
        for what, table in tables.items():
            matches = _matches(table, name)
            if len(matches) > 1:
                raise ComponentNotFoundError(
                    f"{what} name {name!r} is ambiguous: {_names(matches)}; use the qualified name"
                )
            if matches:
                if matches[0].plugin.name in self._plugin_clashes:
                    raise PluginError(self._plugin_clashes[matches[0].plugin.name])
                return matches[0]
        raise self._not_found(tables, name)

    def _not_found(self, tables: dict[str, dict], name: str) -> Exception:
        """The error for a name no usable plugin provides: why, close names, what exists."""
        what = " or ".join(tables)
        prefix = name.split(".")[0] if "." in name else None
        plugin = self._plugins.get(prefix) if prefix else None
        if plugin is not None and not plugin.ok:
            return PluginError(
                f"{what} {name!r} belongs to plugin {plugin.name!r} "
                f"({plugin.distribution} {plugin.version}), which is {plugin.status}: "
                f"{plugin.reason}. Fix: {plugin.fix}"
            )
        keys = [key for table in tables.values() for key in table]
        candidates = keys + [key.split(".", 1)[1] for key in keys]
        close = difflib.get_close_matches(name, candidates, n=3, cutoff=0.6)
        why = f" (no plugin named {prefix!r} is installed)" if prefix and not plugin else ""
        hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
        nothing = (
            "none" if any(p.ok for p in self._plugins.values()) else "none (no plugin installed)"
        )
        installed = " ".join(
            f"Installed {kind}s: {_names(table.values()) if table else nothing}."
            for kind, table in tables.items()
        )
        return ComponentNotFoundError(
            f"no installed plugin provides the {what} {name!r}{why}.{hint} {installed} "
            "Run `morphospace plugins` to see plugins and why any were skipped."
        )

    def _import(self, target: str, name: str, plugin: PluginInfo) -> Any:
        """The object a component or dataset names; a missing dependency passes through."""
        module_name, _, attr_path = target.partition(":")
        try:
            return _load(module_name, attr_path)
        except _LoadFailure as failure:
            raise PluginError(
                f"{name} could not be loaded from {target} "
                f"({plugin.distribution} {plugin.version}): "
                f"{failure.reason.removeprefix('import failed: ')}. "
                f"Fix: {plugin.reinstall if failure.packaging else plugin.report_bug}"
            ) from failure.__cause__


def _check_kind(kind: str) -> None:
    if kind not in COMPONENT_KINDS:
        raise ComponentNotFoundError(
            f"unknown component kind {kind!r}; expected one of {', '.join(COMPONENT_KINDS)}"
        )


def _check_specs(components: list, datasets: list, pipelines: list) -> str:
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
    for spec in pipelines:
        if isinstance(spec.requires, str) or not all(isinstance(r, str) for r in spec.requires):
            return f"pipeline {spec.name!r}: requires must be a tuple of plugin names"
    names = [c.name for c in components]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        return f"it declares the component(s) {', '.join(duplicates)} twice"
    return ""


def _matches(table: dict, name: str) -> list:
    """Items of ``table`` called ``name``, qualified or by their short name."""
    if name in table:
        return [table[name]]
    return [item for key, item in table.items() if key.split(".", 1)[1] == name]


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


def plugins() -> list[PluginInfo]:
    return default_registry().plugins()


def list_components(kind: str | None = None) -> list[ComponentInfo]:
    """Installed components, optionally of one kind (``"encoder"``, ``"clusterer"``, ...).

    Public as ``registry.list`` (see the module docstring).
    """
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


def datasets() -> list[DatasetInfo]:
    return default_registry().datasets()


def load_dataset(name: str, **params: Any) -> Any:
    """Build an installed dataset as an AnnData."""
    return default_registry().load_dataset(name, **params)


def pipelines() -> list[PipelineInfo]:
    return default_registry().pipelines()


def __getattr__(name: str) -> Callable[..., list[ComponentInfo]]:
    """Serve ``registry.list`` without a module-level ``list`` hiding the builtin."""
    if name == "list":
        return list_components
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), "list"])

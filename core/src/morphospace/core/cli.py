"""The ``morphospace`` command line: plugins, info, datasets, pipelines, run, demo.

Errors print one paragraph and exit with status 1 (2 for usage errors); ``--debug``
shows the traceback. Listing commands import no implementation module.
"""

from __future__ import annotations

import json
import logging
import signal
import sys
import textwrap
from pathlib import Path
from typing import Any

import click

from morphospace.core.errors import (
    MissingDependencyError,
    MorphospaceError,
    OutputExistsError,
    PluginError,
    cap_message,
)


class Terminated(BaseException):
    """SIGTERM, raised in the main thread so that cleanup (atomic outputs) runs."""


def _raise_terminated(signum: int, frame: Any) -> None:
    raise Terminated()


#: Exit statuses of a run stopped by a signal, as shells report them (128 + signal).
SIGNAL_EXIT = {KeyboardInterrupt: 130, Terminated: 143}


def _error_paragraph(exc: BaseException) -> str:
    """One paragraph that says what went wrong, without a traceback."""
    if isinstance(exc, OutputExistsError):
        exc.hint = "choose another --out or pass --overwrite to replace it"
    if isinstance(exc, MorphospaceError):
        text = f"error: {exc}"
    elif isinstance(exc, OSError) and exc.filename:
        text = f"error: {exc.strerror or type(exc).__name__}: {exc.filename}"
    else:
        text = f"unexpected {type(exc).__name__}: {exc}"
    return textwrap.fill(cap_message(text), width=100, break_long_words=False)


def _print_error(exc: BaseException) -> None:
    click.echo(_error_paragraph(exc), err=True)
    click.echo("(run with --debug for the traceback)", err=True)


class _Group(click.Group):
    """Turns exceptions into one clear paragraph unless ``--debug`` is given."""

    def invoke(self, ctx: click.Context) -> Any:
        debug = bool(ctx.obj and ctx.obj.get("debug")) or "--debug" in sys.argv[1:]
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException):
            raise
        except BrokenPipeError:  # the reader left (`| head`): click exits quietly
            raise
        except (KeyboardInterrupt, Terminated) as exc:
            if debug:
                raise
            click.echo("interrupted: stopped before finishing; nothing was written", err=True)
            ctx.exit(SIGNAL_EXIT[type(exc)])
        except Exception as exc:
            if debug:
                raise
            _print_error(exc)
            ctx.exit(1)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--debug", is_flag=True, help="Show tracebacks.")
@click.option("--strict", is_flag=True, help="Fail on any broken plugin.")
@click.version_option(package_name="morphospace-core", prog_name="morphospace")
@click.pass_context
def cli(ctx: click.Context, debug: bool, strict: bool) -> None:
    """morphospace: learn representations of cell images with installable plugins."""
    from morphospace.core.registry import default_registry

    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug
    if strict:
        bad = [p for p in default_registry().plugins() if p.status in ("broken", "incompatible")]
        clashes = default_registry().clashes()
        if bad or clashes:
            raise PluginError(
                "; ".join(
                    [f"plugin {p.name!r} ({p.distribution}) is {p.status}: {p.reason}" for p in bad]
                    + clashes
                )
            )
    # morphospace's own messages at INFO; other libraries' only from WARNING (matplotlib
    # would otherwise announce "generated new fontManager" on a fresh machine)
    logging.basicConfig(level=logging.WARNING, format="%(message)s", stream=sys.stderr)
    logging.getLogger("morphospace").setLevel(logging.INFO)


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def plugins(as_json: bool) -> None:
    """Installed plugins, their components, and broken plugins with the reason."""
    from morphospace.core import registry

    found = registry.plugins()
    components = registry.list()
    if as_json:
        click.echo(
            json.dumps(
                {
                    "plugins": [vars(p) for p in found],
                    "components": [
                        {
                            "name": c.name,
                            "kind": c.kind,
                            "summary": c.summary,
                            "distribution": c.plugin.distribution,
                        }
                        for c in components
                    ],
                    "clashes": registry.default_registry().clashes(),
                },
                indent=2,
            )
        )
        return
    if not found:
        click.echo("No morphospace plugin is installed. Try: pip install morphospace-dmlcluster")
        return
    for plugin in found:
        status = "" if plugin.ok else f"  [{plugin.status.upper()}]"
        click.echo(f"{plugin.name}  ({plugin.distribution} {plugin.version}){status}")
        if not plugin.ok:
            reason = textwrap.fill(plugin.reason, 96, break_long_words=False)
            click.echo(textwrap.indent(f"{reason}\nfix: {plugin.fix}", "    "))
            continue
        for c in (c for c in components if c.plugin.name == plugin.name):
            click.echo(f"    {c.kind:<10} {c.name:<32} {c.summary}")
    for message in registry.default_registry().clashes():
        click.echo(f"CLASH: {message}")


@cli.command()
@click.argument("name")
def info(name: str) -> None:
    """A component's summary and config schema with defaults (or a dataset's parameters)."""
    from morphospace.core.registry import DatasetInfo, default_registry

    reg = default_registry()
    record = reg.lookup(name)  # a component, else a dataset; the error covers both
    if isinstance(record, DatasetInfo):
        click.echo(
            f"{record.name}  (dataset, {record.plugin.distribution} {record.plugin.version})"
        )
        click.echo(f"  {record.summary}")
        _print_parameters(reg.dataset_parameters(record.name))
        return
    config = reg.config_class(record.name)
    click.echo(
        f"{record.name}  ({record.kind}, {record.plugin.distribution} {record.plugin.version})"
    )
    click.echo(f"  {record.summary}")
    for attr, label in (
        ("input_kinds", "inputs"),
        ("supported_geometries", "geometries"),
        ("inputs", "evaluates"),
    ):
        if hasattr(config, attr):
            value = getattr(config, attr)
            shown = (
                ", ".join(f"{k} ({v})" for k, v in value.items())
                if isinstance(value, dict)
                else ", ".join(value)
            )
            click.echo(f"  {label}: {shown}")
    _print_parameters(config.fields_table())


def _print_parameters(rows: list[tuple[str, str, str, str]]) -> None:
    """``(name, type, default, description)`` rows, as ``fields_table`` returns them: the
    name, type and default on one line, the description wrapped below it, so a long
    type or default never pushes the columns apart."""
    import textwrap

    click.echo("  parameters:")
    if not rows:
        click.echo("    (none)")
    for field_name, type_text, default, description in rows:
        click.echo(f"    {field_name}: {type_text}; {default}")
        for line in textwrap.wrap(description, width=80):
            click.echo(f"        {line}")


@cli.command()
def datasets() -> None:
    """Datasets that installed plugins provide."""
    from morphospace.core import registry

    items = registry.datasets()
    if not items:
        click.echo("No installed plugin provides a dataset.")
    for item in items:
        click.echo(f"{item.name:<36} {item.summary}")


@cli.command()
def pipelines() -> None:
    """Example pipelines that installed plugins ship (run them by name)."""
    from morphospace.core import registry

    items = registry.pipelines()
    if not items:
        click.echo("No installed plugin ships an example pipeline.")
    for item in items:
        click.echo(f"{item.name:<36} {'[demo] ' if item.demo else ''}{item.summary}")


@cli.command()
@click.argument("pipeline")
def validate(pipeline: str) -> None:
    """Check a pipeline (file or example name) without loading data or models."""
    from morphospace.core.pipeline import plan

    steps = plan(pipeline)
    for item in steps:
        click.echo(f"{item.label}: {item.info.kind} -> {item.key}")
    click.echo("pipeline is valid")


@cli.command()
@click.argument("pipeline")
@click.option("--out", required=True, type=click.Path(path_type=Path), help="Output directory.")
@click.option("--overwrite", is_flag=True, help="Replace an existing output directory.")
@click.option(
    "--checkpoints",
    type=click.Path(path_type=Path),
    default=None,
    help="Folder for resumable training state (a step's training.checkpoint_dir goes under it).",
)
@click.option(
    "--inputs",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Folder that files named in the pipeline (its dataset's path and params, steps' "
    "params such as backbone weights) are read from; none is read elsewhere.",
)
@click.option(
    "--scheduler",
    default=None,
    metavar="ADDRESS",
    help="Apply fitted components on the Dask cluster of this scheduler (tcp://host:8786).",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=None,
    help="Apply fitted components on a local Dask cluster of N worker processes.",
)
def run(
    pipeline: str,
    out: Path,
    overwrite: bool,
    checkpoints: Path | None,
    inputs: Path | None,
    scheduler: str | None,
    workers: int | None,
) -> None:
    """Run a pipeline (a YAML/JSON file or an example name) into OUT.

    With --scheduler or --workers, fitted encoders, translators and segmenters are
    applied chunk by chunk (tile by tile) on a Dask cluster (needs
    morphospace-core[scale]); fitting stays in this process.
    """
    from morphospace.core.pipeline import run as run_pipeline

    if scheduler is not None and workers is not None:
        raise click.UsageError("give --scheduler (a running cluster) or --workers, not both")
    result = run_pipeline(
        pipeline,
        out,
        overwrite=overwrite,
        checkpoints=checkpoints,
        inputs=inputs,
        scheduler=scheduler,
        workers=workers,
    )
    _print_metrics(result.metrics)
    click.echo(f"results in {result.out} (report: {result.out / 'report.html'})")


@cli.command()
@click.option(
    "--out", default="morphospace-demo", show_default=True, type=click.Path(path_type=Path)
)
@click.option(
    "--overwrite/--keep",
    default=True,
    show_default=True,
    help="Replace the demo's own earlier results (only folders morphospace wrote).",
)
def demo(out: Path, overwrite: bool) -> None:
    """Run the demo pipeline of every installed plugin on its bundled data.

    A demo whose optional dependency is missing is skipped with what to install. Rerun,
    it replaces its own earlier results; a folder morphospace did not write is never
    replaced.
    """
    from morphospace.core import registry
    from morphospace.core.pipeline import run as run_pipeline

    demos = [p for p in registry.pipelines() if p.demo]
    if not demos:
        raise MorphospaceError(
            "no installed plugin ships a demo pipeline; install one, e.g. "
            "pip install morphospace-dmlcluster"
        )
    ran, skipped = [], []
    for item in demos:
        click.echo(f"== {item.name}: {item.summary}")
        try:
            registry.default_registry().check_requirements(item)
            result = run_pipeline(item.name, out / item.name, overwrite=overwrite)
        except MissingDependencyError as exc:
            click.echo(f"   skipped: {exc}")
            skipped.append(item.name)
            continue
        _print_metrics(result.metrics)
        click.echo(f"   report: {result.out / 'report.html'}")
        ran.append(item.name)
    if not ran:
        raise MissingDependencyError(
            f"every demo pipeline was skipped ({', '.join(skipped)}): install what the "
            "messages above name"
        )
    click.echo(
        f"ran {len(ran)} demo(s) into {out}: {', '.join(ran)}"
        + (f"; skipped {', '.join(skipped)} (see above)" if skipped else "")
    )


def _print_metrics(metrics: dict[str, dict[str, Any]]) -> None:
    for step, values in metrics.items():
        shown = ", ".join(f"{name}={m['value']:.4g}" for name, m in values.items())
        click.echo(f"   {step}: {shown}")


def main() -> None:
    """Entry point of the ``morphospace`` script: add plugin subcommands, then run."""
    from morphospace.core.registry import default_registry

    signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        failed_hooks = default_registry().add_cli_commands(cli)
    except MorphospaceError as exc:  # strict mode refuses a broken plugin at discovery
        if "--debug" in sys.argv[1:]:
            raise
        _print_error(exc)
        sys.exit(1)
    for error in failed_hooks:
        click.echo(f"warning: a plugin's CLI hook failed: {error}", err=True)
    cli(prog_name="morphospace")

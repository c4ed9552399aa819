"""The morphospace command line: listings, runs, and one-paragraph errors."""

import json
import os
import subprocess
import sys

import click
import pydantic
import pytest
from click.testing import CliRunner

from morphospace.core import registry
from morphospace.core.cli import cli

BROKEN = "raise ImportError('needs a library that is not installed')\n"


def _invoke(*args):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def _run_module(*args, pythonpath=None):
    env = dict(os.environ, MORPHOSPACE_PROGRESS="0")
    env.pop("MORPHOSPACE_STRICT_PLUGINS", None)
    if pythonpath:
        env["PYTHONPATH"] = os.pathsep.join([str(pythonpath), env.get("PYTHONPATH", "")])
    return subprocess.run(
        [sys.executable, "-m", "morphospace.core", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def test_plugins_lists_components():
    result = _invoke("plugins")
    assert result.exit_code == 0
    assert "example  (morphospace-example-plugin 0.2.0)" in result.output
    assert "example.random_projection" in result.output


def test_plugins_json():
    data = json.loads(_invoke("plugins", "--json").output)
    assert {
        "name": "example.rand_index",
        "kind": "evaluator",
        "distribution": "morphospace-example-plugin",
        "summary": "Rand index: fraction of cell pairs on which two labelings agree",
    } in data["components"]


def test_info_shows_schema_with_defaults():
    output = _invoke("info", "example.random_projection").output
    assert "encoder, morphospace-example-plugin 0.2.0" in output
    assert "    n_components: int; default 2\n        output dimension" in output
    assert "inputs: features" in output


def test_info_of_a_dataset():
    assert "Gaussian blobs" in _invoke("info", "example.blobs").output


def test_datasets_and_pipelines_are_listed():
    assert "example.blobs" in _invoke("datasets").output
    assert "example.blobs_pipeline" in _invoke("pipelines").output


def test_run_and_validate_a_pipeline_file(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text(registry.default_registry().pipeline_info("example.blobs_pipeline").read_text())
    assert "pipeline is valid" in _invoke("validate", str(path)).output
    result = _invoke("run", str(path), "--out", str(tmp_path / "out"))
    assert result.exit_code == 0, result.output
    assert "rand_index=" in result.output
    assert (tmp_path / "out" / "report.html").exists()


def test_demo_without_a_demo_pipeline_says_what_to_install(tmp_path):
    result = CliRunner().invoke(cli, ["demo", "--out", str(tmp_path / "d")])
    assert result.exit_code == 1
    assert "no installed plugin ships a demo pipeline" in result.output
    assert not (tmp_path / "d").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["info", "example.nope"],
            "no installed plugin provides the component or dataset 'example.nope'",
        ),
        (["run", "missing.yaml", "--out", "{tmp}/o"], "pipeline file missing.yaml does not exist"),
    ],
)
def test_errors_are_one_paragraph_without_traceback(tmp_path, args, message):
    args = [a.format(tmp=tmp_path) for a in args]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 1
    assert message in " ".join(result.output.split())
    assert "Traceback" not in result.output
    assert "--debug" in result.output


def test_debug_shows_the_traceback(tmp_path):
    result = _run_module("--debug", "run", "missing.yaml", "--out", str(tmp_path / "o"))
    assert result.returncode == 1
    assert "Traceback" in result.stderr and "PipelineError" in result.stderr


def test_broken_plugin_is_listed_with_reason_and_fix(fake_plugins):
    fake_plugins.add("fake-broken", "broken", "fake_broken", BROKEN)
    result = _run_module("plugins", pythonpath=fake_plugins.root)
    assert result.returncode == 0
    assert "broken  (fake-broken 0.1)  [BROKEN]" in result.stdout
    assert "needs a library that is not installed" in result.stdout
    assert "pip install --force-reinstall fake-broken" in result.stdout
    assert "example.random_projection" in result.stdout  # the others still work


def test_strict_flag_fails_on_a_broken_plugin(fake_plugins):
    fake_plugins.add("fake-broken", "broken", "fake_broken", BROKEN)
    result = _run_module("--strict", "plugins", pythonpath=fake_plugins.root)
    assert result.returncode == 1
    assert "plugin 'broken' (fake-broken) is broken" in " ".join(result.stderr.split())
    assert "Traceback" not in result.stderr


DEMO_PLUGIN = """
import click
from morphospace.core.plugin import PLUGIN_API_VERSION, DatasetSpec, PipelineSpec, hookimpl

@hookimpl
def morphospace_api_version():
    return PLUGIN_API_VERSION

@hookimpl
def morphospace_pipelines():
    return [
        PipelineSpec("quick", "fake_demo_data:quick.yaml", "a quick demo", demo=True),
        PipelineSpec("extra", "fake_demo_data:extra.yaml", "needs an extra", demo=True),
    ]

@hookimpl
def morphospace_datasets():
    return [DatasetSpec("needs_extra", "fake_demo_data:needs_extra")]

@hookimpl
def morphospace_cli(cli):
    @cli.command("hello")
    @click.argument("who")
    def hello(who):
        '''Say hello (added by a plugin).'''
        click.echo(f"hello {who} from a plugin")
"""


def test_plugins_add_subcommands_and_demo_runs_their_demo_pipeline(fake_plugins, tmp_path):
    fake_plugins.add("fake-demo", "demo", "fake_demo", DEMO_PLUGIN)
    data = fake_plugins.root / "fake_demo_data"
    data.mkdir()
    (data / "__init__.py").write_text(
        "from morphospace.core.errors import MissingDependencyError\n"
        "def needs_extra():\n"
        "    raise MissingDependencyError('needs_extra needs frobnicate: pip install frob')\n"
    )
    quick = registry.default_registry().pipeline_info("example.blobs_pipeline").read_text()
    (data / "quick.yaml").write_text(quick)
    (data / "extra.yaml").write_text(
        "name: extra\ndataset:\n  name: demo.needs_extra\nsteps:\n"
        "  - component: example.random_projection\n"
    )
    hello = _run_module("hello", "lab", pythonpath=fake_plugins.root)
    assert hello.returncode == 0 and "hello lab from a plugin" in hello.stdout
    demo = _run_module("demo", "--out", str(tmp_path / "demo"), pythonpath=fake_plugins.root)
    assert demo.returncode == 0, demo.stderr
    assert "== demo.quick: a quick demo" in demo.stdout
    assert (tmp_path / "demo" / "demo.quick" / "report.html").exists()
    # a demo whose optional dependency is missing is skipped with what to install
    assert "skipped: needs_extra needs frobnicate: pip install frob" in demo.stdout
    assert not (tmp_path / "demo" / "demo.extra").exists()
    assert f"ran 1 demo(s) into {tmp_path / 'demo'}: demo.quick; skipped demo.extra" in demo.stdout
    # run again, the demo replaces its own results; a folder it did not write is kept
    again = _run_module("demo", "--out", str(tmp_path / "demo"), pythonpath=fake_plugins.root)
    assert again.returncode == 0, again.stderr
    (tmp_path / "mine" / "demo.quick").mkdir(parents=True)
    (tmp_path / "mine" / "demo.quick" / "notes.txt").write_text("keep")
    mine = _run_module("demo", "--out", str(tmp_path / "mine"), pythonpath=fake_plugins.root)
    assert mine.returncode != 0 and "Traceback" not in mine.stderr
    assert (tmp_path / "mine" / "demo.quick" / "notes.txt").read_text() == "keep"


def test_demo_fails_when_every_demo_needs_something_missing(monkeypatch, tmp_path):
    from morphospace.core import pipeline
    from morphospace.core.errors import MissingDependencyError
    from morphospace.core.plugin import PipelineSpec

    def missing(*args, **kwargs):
        raise MissingDependencyError("needs frobnicate: pip install frob")

    only = [PipelineSpec("x.only", "x:only.yaml", "the only demo", demo=True)]
    monkeypatch.setattr(registry, "pipelines", lambda: only)
    monkeypatch.setattr(pipeline, "run", missing)
    result = CliRunner().invoke(cli, ["demo", "--out", str(tmp_path / "d")])
    assert result.exit_code == 1
    assert "skipped: needs frobnicate: pip install frob" in result.output
    assert "every demo pipeline was skipped (x.only)" in result.output


def test_info_of_a_dataset_shows_its_parameters():
    output = _invoke("info", "example.blobs").output
    assert "example.blobs  (dataset, morphospace-example-plugin 0.2.0)" in output
    assert "parameters:" in output
    assert "    n_cells: int; default 300" in output.splitlines()


def test_info_of_a_component_of_an_uninstalled_plugin_is_not_called_a_dataset():
    result = CliRunner().invoke(cli, ["info", "notyet.encoder"])
    assert result.exit_code == 1
    message = " ".join(result.output.split())
    assert (
        "no installed plugin provides the component or dataset 'notyet.encoder' "
        "(no plugin named 'notyet' is installed)" in message
    )
    assert "Installed components: example." in message


def test_info_of_a_misspelt_name_suggests_close_components_and_datasets():
    result = CliRunner().invoke(cli, ["info", "example.blob"])
    assert "Did you mean 'example.blobs'" in " ".join(result.output.split())


TYPED_PLUGIN = """
from morphospace.core.plugin import PLUGIN_API_VERSION, ComponentSpec, hookimpl

@hookimpl
def morphospace_api_version():
    return PLUGIN_API_VERSION

@hookimpl
def morphospace_components():
    return [ComponentSpec("encoder", "typed", "fake_typed_impl:Typed", config="fake_typed_impl:C")]
"""

TYPED_IMPL = """
from typing import Literal
from morphospace.core import EncoderConfig

class C(EncoderConfig):
    channels: tuple[str, ...] = ("dna",)
    mode: Literal["fast", "exact"] = "fast"
    limit: int | None = None
"""


def test_info_shows_element_types_and_literal_values(fake_plugins, monkeypatch):
    fake_plugins.add("fake-typed", "typed", "fake_typed", TYPED_PLUGIN, TYPED_IMPL)
    monkeypatch.setattr(registry, "_default", fake_plugins.registry())
    output = _invoke("info", "typed.typed").output
    lines = output.splitlines()
    assert "    channels: tuple[str, ...]; default ('dna',)" in lines
    assert "    mode: one of 'fast', 'exact'; default 'fast'" in lines
    assert "    limit: int | None; default None" in lines


def test_info_shows_a_nested_block_field_by_field_with_long_descriptions_wrapped():
    from morphospace.core.cli import _print_parameters
    from morphospace.core.config import ComponentConfig
    from morphospace.core.training import TrainingConfig

    class Trained(ComponentConfig):
        training: TrainingConfig = TrainingConfig()
        note: str = pydantic.Field("x", description="a description " * 12)

    runner = CliRunner()

    @click.command()
    def show():
        _print_parameters(Trained.fields_table())

    lines = runner.invoke(show).output.splitlines()
    assert "    training: TrainingConfig; a block of the fields below" in lines
    assert "    training.n_steps: int; default 300" in lines
    assert (
        "    training.schedule: one of 'constant', 'cosine', 'linear'; default 'constant'" in lines
    )
    note = lines.index("    note: str; default 'x'")
    assert lines[note + 1].startswith("        a description") and len(lines[note + 1]) <= 88
    assert lines[note + 2].startswith("        ") and "description" in lines[note + 2]


def test_plugins_piped_into_a_closed_reader_exits_quietly():
    env = dict(os.environ, MORPHOSPACE_PROGRESS="0")
    process = subprocess.Popen(
        [sys.executable, "-m", "morphospace.core", "plugins"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    process.stdout.close()  # as `| head -0` does, before the first line is written
    stderr = process.stderr.read().decode()
    process.wait(timeout=120)
    assert "BrokenPipeError" not in stderr
    assert "Exception ignored" not in stderr
    assert stderr == ""


NEEDY_PLUGIN = """
from morphospace.core.plugin import PLUGIN_API_VERSION, PipelineSpec, hookimpl

@hookimpl
def morphospace_api_version():
    return PLUGIN_API_VERSION

@hookimpl
def morphospace_pipelines():
    return [PipelineSpec("needy", "fake_needy:needy.yaml", "needs notyet", demo=True,
                         requires=("notyet",))]
"""


def test_demo_skips_a_pipeline_whose_required_plugin_is_missing(fake_plugins, tmp_path):
    fake_plugins.add("fake-needy", "needy", "fake_needy", NEEDY_PLUGIN)
    demo = _run_module("demo", "--out", str(tmp_path / "demo"), pythonpath=fake_plugins.root)
    assert (
        "skipped: pipeline needy.needy needs the plugin 'notyet', which is not installed: "
        "pip install morphospace-notyet" in demo.stdout
    )
    assert not (tmp_path / "demo" / "needy.needy").exists()


def test_the_cli_logs_its_own_info_but_not_other_libraries(monkeypatch):
    import logging

    monkeypatch.setattr(logging.root, "handlers", [])  # basicConfig configures afresh
    monkeypatch.setattr(logging.root, "level", logging.WARNING)
    assert _invoke("plugins").exit_code == 0
    assert logging.getLogger("morphospace.core.pipeline").isEnabledFor(logging.INFO)
    assert not logging.getLogger("matplotlib.font_manager").isEnabledFor(logging.INFO)

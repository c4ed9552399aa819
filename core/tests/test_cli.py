"""The morphospace command line: listings, runs, and one-paragraph errors."""

import json
import os
import subprocess
import sys

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
    assert "example  (morphospace-example-plugin 0.1.0)" in result.output
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
    assert "encoder, morphospace-example-plugin 0.1.0" in output
    assert "n_components" in output and "default 2" in output and "output dimension" in output
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
        (["info", "example.nope"], "no installed plugin provides the dataset 'example.nope'"),
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

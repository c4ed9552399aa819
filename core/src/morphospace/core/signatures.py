"""A function's parameters read from its source file, without importing its module.

Dataset functions live in implementation modules (numpy, scikit-image, ...) that
validating a pipeline must not import; their names, required parameters and literal
defaults are enough to check a dataset's ``params`` before any work and to record
every default a run used.
"""

from __future__ import annotations

import ast
import importlib.util
from dataclasses import dataclass
from typing import Any

#: The default of a required parameter, or of one whose default is not a literal.
REQUIRED = object()
NOT_LITERAL = object()


@dataclass(frozen=True)
class Parameter:
    name: str
    default: Any  # a literal, REQUIRED or NOT_LITERAL
    keyword_only: bool = False


def read_parameters(target: str) -> list[Parameter] | None:
    """The parameters of ``"module:function"`` from its source; None if it cannot be read."""
    module, _, function = target.partition(":")
    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.origin or not spec.origin.endswith(".py"):
        return None
    try:
        with open(spec.origin, encoding="utf-8") as handle:
            tree = ast.parse(handle.read())
    except (OSError, SyntaxError, UnicodeDecodeError):
        return None
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == function:
            return _parameters(node.args)
    return None


def _literal(node: ast.expr | None) -> Any:
    if node is None:
        return REQUIRED
    try:
        return ast.literal_eval(node)
    except ValueError:
        return NOT_LITERAL


def _parameters(args: ast.arguments) -> list[Parameter] | None:
    if args.vararg or args.kwarg:
        return None  # takes anything: nothing to check
    positional = args.posonlyargs + args.args
    defaults = [None] * (len(positional) - len(args.defaults)) + list(args.defaults)
    found = [Parameter(a.arg, _literal(d)) for a, d in zip(positional, defaults, strict=True)]
    found += [
        Parameter(a.arg, _literal(d), keyword_only=True)
        for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True)
    ]
    return found

"""The base of every component: a validated ``Config`` and sklearn-style learned state.

Hyperparameters live in ``self.config`` (an instance of the class's ``Config``),
learned state in attributes ending in ``_``, and ``fit`` returns ``self``. Creating a
component only validates its config: no model is built and no data is touched until
``fit``, so pipelines can be checked cheaply before they run.
"""

from __future__ import annotations

import abc
import re
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from morphospace.core.config import ComponentConfig
from morphospace.core.errors import CheckpointError, NotFittedError, short_repr

if TYPE_CHECKING:
    from morphospace.core.figures import Figure, FigureContext

#: What a learned-state attribute is called: sklearn's trailing underscore, public.
_LEARNED_NAME = re.compile(r"[a-z][a-z0-9_]*_")


class Component(abc.ABC):  # noqa: B024 - the interfaces add the abstract methods
    """Common base of Encoder, Registrar, Clusterer, Translator and Evaluator."""

    Config: ClassVar[type[ComponentConfig]] = ComponentConfig
    kind: ClassVar[str] = "component"

    def __init__(self, config: ComponentConfig | Mapping[str, Any] | None = None, **params: Any):
        if isinstance(config, self.Config) and not params:
            self.config = config
        else:
            values = (
                config.model_dump() if isinstance(config, ComponentConfig) else dict(config or {})
            )
            values.update(params)
            self.config = self.Config.from_params(values, component=self.display_name())

    @classmethod
    def display_name(cls) -> str:
        """The registry name this class was served under, else the class name.

        A registry stamps the classes it imports (:meth:`Registry.get_class`); nothing
        here runs discovery or consults a global registry.
        """
        registration = cls.__dict__.get("_registration")
        return registration.name if registration is not None else cls.__qualname__

    @property
    def registration(self) -> Any:
        """The registry entry (name, plugin, version) this component was created from, or None.

        Set on the instance by the registry that created it, else the one that imported
        its class; ``save`` records it so a checkpoint names its component.
        """
        return self.__dict__.get("_registration") or type(self).__dict__.get("_registration")

    @property
    def name(self) -> str:
        registration = self.registration
        return registration.name if registration is not None else type(self).__qualname__

    def get_params(self) -> dict[str, Any]:
        """The hyperparameters, JSON-compatible (as saved in ``config.json``)."""
        return self.config.model_dump(mode="json")

    def __repr__(self) -> str:
        changed = self.config.model_dump(exclude_defaults=True)
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in changed.items())})"

    # ------------------------------------------------------------------ fitted state
    def is_fitted(self) -> bool:
        return any(k.endswith("_") and not k.startswith("_") for k in vars(self))

    def check_is_fitted(self) -> None:
        if not self.is_fitted():
            raise NotFittedError(f"{self.name} is not fitted yet; call fit(...) first")

    def _get_state(self) -> dict[str, np.ndarray]:
        """Learned state as arrays. Default: every array, number or string ``attr_``."""
        return {
            key: np.asarray(value)
            for key, value in vars(self).items()
            if key.endswith("_")
            and not key.startswith("_")
            and isinstance(value, np.ndarray | np.generic | int | float | bool | str)
        }

    def _set_state(self, state: Mapping[str, np.ndarray]) -> None:
        """Restore learned state; only public ``attr_`` names that shadow nothing load."""
        for key in state:
            if not _LEARNED_NAME.fullmatch(key) or hasattr(type(self), key):
                raise CheckpointError(
                    f"{self.name}: saved state {short_repr(key)} is not learned state (a "
                    "public name ending in '_' that the class does not define); refusing it"
                )
        for key, value in state.items():
            setattr(self, key, value.item() if value.ndim == 0 else value)

    def _save_state(self, directory: Path) -> None:
        """Write learned state into ``directory``; torch components override this."""
        state = self._get_state()
        if state:
            np.savez(directory / "state.npz", **state)

    def _load_state(self, directory: Path) -> None:
        path = directory / "state.npz"
        if not path.exists():
            return
        try:
            with np.load(path, allow_pickle=False) as data:
                state = {key: data[key] for key in data.files}
        except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
            raise CheckpointError(f"{path} is not a readable npz file: {exc}") from None
        self._set_state(state)

    # ------------------------------------------------------------------ report
    def report_figures(self, context: FigureContext) -> list[Figure]:
        """Figures of this component for the run's report; none by default.

        ``context`` gives the result AnnData, the key this component's step wrote and
        what that step read (:class:`~morphospace.core.figures.FigureContext`); return
        ``[(title, matplotlib figure), ...]``. Called once per run, after every step.
        """
        return []

    # ------------------------------------------------------------------ persistence
    def save(self, directory: str | Path, overwrite: bool = False) -> Path:
        """Save config (JSON) and learned state (npz/safetensors) atomically to ``directory``."""
        from morphospace.core.checkpoint import save_component

        return save_component(self, directory, overwrite=overwrite)

    @classmethod
    def load(cls, directory: str | Path) -> Component:
        """Load a component saved with :meth:`save`, verifying every file's checksum."""
        from morphospace.core.checkpoint import load_component

        return load_component(directory, expected=cls)

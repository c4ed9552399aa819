"""Synthetic dose-response cells: subtle phenotypes whose ground truth is known.

Each image holds one cell, two channels: channel 0 a cytoplasm with a brighter nucleus,
channel 1 a Golgi-like compartment made of ``fragments`` Gaussian spots near the nucleus.
Every cell draws its nuisance (size, elongation, orientation, position, brightness per
channel, camera noise); compounds then move two phenotypes along a Hill curve of the dose,
``E(d) = d^h / (d^h + EC50^h)`` with ``EC50 = 1``, ``h = 1.5``:

- ``A`` fragments the Golgi: ``fragments = 1 + Poisson(2 + 6 E(d))``, spread further out;
- ``B`` contracts the cytoplasm: its area is multiplied by ``1 - 0.6 E(d)``;
- ``C`` does half of each.

At the lowest doses the shift is well inside the cell-to-cell spread of untreated cells
(the subtle phenotypes PhenDiff is for); at the top dose (always 3.0) it is several
standard deviations. The top dose is also toxic: ``TOXIC_LOSS`` of its cells are lost.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from morphospace.core.errors import ConfigError

#: Half-log dose series (as assay plates are laid out); a dataset takes its last n_doses.
DOSE_SERIES = (0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0)
#: Hill curve of every compound: half effect at EC50, steepness HILL.
EC50, HILL = 1.0, 1.5
#: Golgi fragments of an untreated cell: 1 + Poisson(BASE_FRAGMENTS).
BASE_FRAGMENTS = 2.0
#: Per compound: (extra Poisson mean of fragments at full effect, cytoplasm area loss at full
#: effect).
COMPOUND_EFFECTS = {"A": (6.0, 0.0), "B": (0.0, 0.6), "C": (3.0, 0.3)}
#: Share of cells lost to toxicity at the top dose.
TOXIC_LOSS = 0.2
UNTREATED = "untreated"


def hill(dose: float | np.ndarray) -> np.ndarray:
    """Fraction of the full effect reached at ``dose`` (0 at dose 0, 1/2 at EC50)."""
    d = np.asarray(dose, dtype=float)
    return d**HILL / (d**HILL + EC50**HILL)


def condition_name(compound: str, dose: float) -> str:
    """``"A_0.3"``: the compound and the dose as Python writes the float."""
    return f"{compound}_{float(dose)!r}"


def check_int(name: str, value: object, low: int, high: int | None = None) -> int:
    """``value`` as an int in ``[low, high]``, else a ConfigError naming ``name``."""
    ok = not isinstance(value, bool) and isinstance(value, (int, np.integer))
    if ok and value >= low and (high is None or value <= high):
        return int(value)
    expected = f"an integer >= {low}" if high is None else f"an integer in [{low}, {high}]"
    raise ConfigError(f"{name}: expected {expected}, found {value!r}")


@dataclass(frozen=True)
class Cell:
    """The drawn state of one cell, in pixels and radians."""

    radius: float  # cytoplasm mean radius after contraction
    elongation: float  # ratio of the ellipse's axes (>= 1)
    orientation: float
    centre: tuple[float, float]
    lobes: tuple[float, float]  # amplitude and phase of a 3-fold ruffle of the outline
    brightness: tuple[float, float]  # per channel
    fragments: tuple[tuple[float, float, float], ...]  # (row, col, amplitude)


def draw_cells(
    doses: np.ndarray, compounds: list[str], image_size: int, rng: np.random.Generator
) -> tuple[list[Cell], dict[str, np.ndarray]]:
    """One :class:`Cell` per (compound, dose) row and its ground-truth measurements."""
    n = len(doses)
    effect = hill(doses)
    frag_gain = np.array(
        [COMPOUND_EFFECTS[c][0] if c in COMPOUND_EFFECTS else 0 for c in compounds]
    )
    area_loss = np.array(
        [COMPOUND_EFFECTS[c][1] if c in COMPOUND_EFFECTS else 0 for c in compounds]
    )
    base_radius = 0.25 * image_size * np.exp(rng.normal(0, 0.1, n))
    area_scale = 1 - area_loss * effect
    radius = base_radius * np.sqrt(area_scale)
    elongation = rng.uniform(1.0, 1.4, n)
    orientation = rng.uniform(0, np.pi, n)
    centre = image_size / 2 - 0.5 + rng.uniform(-0.06, 0.06, (n, 2)) * image_size
    lobes = np.stack([rng.uniform(0, 0.06, n), rng.uniform(0, 2 * np.pi, n)], 1)
    brightness = np.exp(rng.normal(0, 0.15, (n, 2)))
    n_fragments = 1 + rng.poisson(BASE_FRAGMENTS + frag_gain * effect)
    dispersal = frag_gain / max(COMPOUND_EFFECTS["A"][0], 1) * effect  # 0 .. 1
    cells = []
    for i in range(n):
        a = radius[i] * np.sqrt(elongation[i])  # semi-axes keep the area pi r^2
        b = radius[i] / np.sqrt(elongation[i])
        k = n_fragments[i]
        # fragments sit near the nucleus (0.3-0.5 of the outline), further out when dispersed
        reach = rng.uniform(0.3, 0.5 + 0.35 * dispersal[i], k)
        angle = rng.uniform(0, 2 * np.pi, k)
        u, v = a * reach * np.cos(angle), b * reach * np.sin(angle)
        c, s = np.cos(orientation[i]), np.sin(orientation[i])
        rows = centre[i, 0] + u * s + v * c
        cols = centre[i, 1] + u * c - v * s
        # the Golgi's material is shared between its fragments (more fragments, fainter each)
        amplitude = 0.9 * rng.uniform(0.7, 1.0, k) / np.sqrt(k)
        cells.append(
            Cell(
                radius=float(radius[i]),
                elongation=float(elongation[i]),
                orientation=float(orientation[i]),
                centre=(float(centre[i, 0]), float(centre[i, 1])),
                lobes=(float(lobes[i, 0]), float(lobes[i, 1])),
                brightness=(float(brightness[i, 0]), float(brightness[i, 1])),
                fragments=tuple(zip(rows, cols, amplitude, strict=True)),
            )
        )
    truth = {
        "golgi_fragments": n_fragments.astype(np.int64),
        "cytoplasm_area": np.pi * radius**2,
        "cell_radius": radius,
        "elongation": elongation,
        "orientation": orientation,
        "brightness": brightness[:, 0],
    }
    return cells, truth


def render(cell: Cell, image_size: int, rng: np.random.Generator) -> np.ndarray:
    """The cell's two channels ``(2, H, W)`` float32 in [0, 1], with camera noise."""
    rows, cols = np.mgrid[0:image_size, 0:image_size].astype(np.float64)
    dr, dc = rows - cell.centre[0], cols - cell.centre[1]
    c, s = np.cos(cell.orientation), np.sin(cell.orientation)
    u, v = dc * c + dr * s, -dc * s + dr * c
    a = cell.radius * np.sqrt(cell.elongation)
    b = cell.radius / np.sqrt(cell.elongation)
    rho = np.sqrt((u / a) ** 2 + (v / b) ** 2)
    theta = np.arctan2(v, u)
    rho = rho / (1 + cell.lobes[0] * np.sin(3 * theta + cell.lobes[1]))

    def soft(inside: np.ndarray, scale: float) -> np.ndarray:
        # a one-pixel soft edge: logistic in the distance to the outline
        return 1 / (1 + np.exp(-np.clip(inside * scale, -30, 30)))

    cytoplasm = soft(1 - rho, cell.radius)
    nucleus = soft(0.4 - rho, cell.radius)
    channel0 = cell.brightness[0] * (0.35 * cytoplasm + 0.35 * nucleus)
    sigma = max(0.9, 0.035 * image_size)
    channel1 = np.zeros_like(rows)
    for row, col, amplitude in cell.fragments:
        channel1 += amplitude * np.exp(-((rows - row) ** 2 + (cols - col) ** 2) / (2 * sigma**2))
    channel1 = cell.brightness[1] * channel1 * cytoplasm
    image = np.stack([channel0, channel1]) + 0.03
    image += rng.normal(0, 0.02, image.shape)
    return np.clip(image, 0, 1).astype(np.float32)


def generate(
    n_per_condition: int = 100,
    image_size: int = 64,
    compounds: int = 2,
    n_doses: int = 4,
    train_fraction: float = 0.8,
    seed: int = 0,
) -> tuple[np.ndarray, dict[str, np.ndarray], dict]:
    """Images ``(N, 2, H, W)``, per-cell columns and the true dose-response.

    Conditions come in order: untreated, then each compound's doses, lowest first.
    """
    n_per_condition = check_int("n_per_condition", n_per_condition, 5)
    image_size = check_int("image_size", image_size, 16, 1024)
    n_compounds = check_int("compounds", compounds, 1, len(COMPOUND_EFFECTS))
    n_doses = check_int("n_doses", n_doses, 1, len(DOSE_SERIES))
    if isinstance(train_fraction, bool) or not isinstance(train_fraction, (int, float)):
        raise ConfigError(f"train_fraction: expected a number in (0, 1), found {train_fraction!r}")
    if not 0 < train_fraction < 1:
        raise ConfigError(f"train_fraction: expected a number in (0, 1), found {train_fraction!r}")
    seed = check_int("seed", seed, 0, 2**32 - 1)

    names = list(COMPOUND_EFFECTS)[:n_compounds]
    doses = DOSE_SERIES[-n_doses:]
    top = max(doses)
    survivors = max(2, int(round(n_per_condition * (1 - TOXIC_LOSS))))
    conditions, row_compound, row_dose = [UNTREATED], [UNTREATED], [0.0]
    counts = [n_per_condition]
    for compound in names:
        for dose in doses:
            conditions.append(condition_name(compound, dose))
            row_compound.append(compound)
            row_dose.append(dose)
            counts.append(survivors if dose == top else n_per_condition)
    index = np.repeat(np.arange(len(conditions)), counts)
    rng = np.random.default_rng(seed)
    dose = np.asarray(row_dose)[index]
    compound = [row_compound[i] for i in index]
    cells, truth = draw_cells(dose, compound, image_size, rng)
    noise = np.random.default_rng(rng.integers(0, 2**63))
    images = np.stack([render(cell, image_size, noise) for cell in cells])
    # stratified split: train_fraction of every condition, at least one cell each side
    train = np.zeros(len(index), dtype=bool)
    for k in range(len(conditions)):
        members = np.flatnonzero(index == k)
        n_train = min(max(int(round(train_fraction * len(members))), 1), len(members) - 1)
        train[rng.permutation(members)[:n_train]] = True
    columns = {
        "condition": np.asarray(conditions, dtype=object)[index],
        "compound": np.asarray(compound, dtype=object),
        "dose": dose,
        "train": train,
        **truth,
    }
    response = {}
    for name in names:
        frag_gain, area_loss = COMPOUND_EFFECTS[name]
        response[name] = {
            "doses": list(doses),
            "effect": [float(e) for e in hill(np.asarray(doses))],
            "mean_golgi_fragments": [
                float(1 + BASE_FRAGMENTS + frag_gain * e) for e in hill(np.asarray(doses))
            ],
            "cytoplasm_area_factor": [float(1 - area_loss * e) for e in hill(np.asarray(doses))],
        }
    info = {
        "params": {
            "n_per_condition": n_per_condition,
            "image_size": image_size,
            "compounds": n_compounds,
            "n_doses": n_doses,
            "train_fraction": float(train_fraction),
            "seed": seed,
        },
        "conditions": conditions,
        "channels": ["cytoplasm_nucleus", "golgi"],
        "ec50": EC50,
        "hill": HILL,
        "toxic_loss_at_top_dose": TOXIC_LOSS,
        "untreated_mean_golgi_fragments": 1 + BASE_FRAGMENTS,
        "dose_response": response,
    }
    return images, columns, info

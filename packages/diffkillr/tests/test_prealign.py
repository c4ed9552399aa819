"""Pre-alignment finds the flip/rotation that maps a patch onto its symmetric copy."""

import numpy as np
import pytest

from morphospace.core import Deformation
from morphospace.core.errors import InputError
from morphospace.diffkillr import prealign as P


@pytest.mark.parametrize("metric", ["ncc", "mi"])
@pytest.mark.parametrize("index", range(8))
def test_recovers_each_of_the_eight_symmetries(cells, metric, index):
    moving = cells[0][1:2]  # the teardrop has no symmetry
    fixed = P.apply(moving, np.array([index]))
    aligned, chosen, scores = P.prealign(moving, fixed, metric)
    assert scores.shape == (1, 8)
    np.testing.assert_allclose(aligned, fixed)


@pytest.mark.parametrize("index", range(8))
def test_candidate_field_is_the_exact_symmetry(cells, index):
    moving = cells[0][:1]
    field = P.candidate_field(index, 32)[None]
    warped = Deformation(field).warp(moving, interpolation="nearest")
    np.testing.assert_array_equal(warped, P.apply(moving, np.array([index])))
    np.testing.assert_allclose(P.compose_with(np.array([index]), np.zeros((1, 2, 32, 32))), field)


def test_rejects_pairs_of_different_shapes(cells):
    with pytest.raises(InputError, match="one shape"):
        P.prealign(cells[0][:1], cells[0][:2])


def test_without_flips_only_the_four_rotations_are_tried(cells):
    moving = cells[0][1:2]
    _, chosen, scores = P.prealign(moving, P.apply(moving, np.array([6])), flips=False)
    assert scores.shape == (1, 4) and chosen[0] < 4

"""The DDIM translator: one schedule both ways, per-sample condition dropout, any source to
any target, guidance, training through the core trainer, and bad input."""

import numpy as np
import pytest
import torch

from morphospace.core import registry
from morphospace.core.errors import ConfigError, InputError
from morphospace.core.testing import make_images
from morphospace.phendiff.config import DDIMTranslatorConfig
from morphospace.phendiff.translator import DDIMTranslator, drop_conditions, make_schedulers

TINY = {
    "block_out_channels": (8, 16),
    "training": {"n_steps": 3, "batch_size": 6},
    "inversion_steps": 4,
    "generation_steps": 4,
}
CONDITIONS = np.array(["untreated", "low", "high"] * 4)


@pytest.fixture(scope="module")
def images():
    return make_images(n=12, channels=1, size=16)


@pytest.fixture(scope="module")
def fitted(images):
    return DDIMTranslator(**TINY).fit(images, CONDITIONS)


@pytest.mark.parametrize(
    "settings",
    [{}, {"zero_terminal_snr": True, "prediction_type": "v_prediction"}],
)
def test_inversion_and_generation_walk_the_same_alphas(settings):
    forward, inverse = make_schedulers(DDIMTranslatorConfig(**settings))
    torch.testing.assert_close(forward.alphas_cumprod, inverse.alphas_cumprod)
    forward.set_timesteps(10)
    inverse.set_timesteps(10)
    # inversion visits the generation's timesteps in the reverse order
    assert inverse.timesteps.tolist() == sorted(forward.timesteps.tolist())
    if settings:
        assert forward.alphas_cumprod[-1] == 0  # zero terminal SNR reached both ways


def test_with_a_null_prediction_inversion_then_generation_is_the_identity(fitted, images):
    # eps = 0 makes every DDIM step an exact rescaling: any mismatch between the two
    # schedules (the original code's bug) would show as a reconstruction error here
    original = fitted._guided
    fitted._guided = lambda x, t, classes, scale: torch.zeros_like(x)
    try:
        rebuilt = fitted.translate(images, CONDITIONS, CONDITIONS)
    finally:
        fitted._guided = original
    np.testing.assert_allclose(rebuilt, images, atol=1e-4)


def test_conditions_are_dropped_per_sample_not_per_batch():
    classes = torch.zeros(10_000, dtype=torch.long)
    dropped = drop_conditions(classes, np.random.default_rng(0), p=0.1, null=3)
    share = (dropped == 3).float().mean().item()
    assert 0.09 < share < 0.11  # about p of the samples, not all or none
    assert set(dropped.unique().tolist()) == {0, 3}


def test_training_runs_through_the_core_trainer_with_ema(fitted):
    assert len(fitted.history_["loss"]) == 3
    assert fitted.config.training.ema_decay == 0.999
    assert list(fitted.classes_) == ["high", "low", "untreated"]


def test_same_seed_same_translation(images):
    a = DDIMTranslator(**TINY).fit(images, CONDITIONS).translate(images[:3], "low", "high")
    b = DDIMTranslator(**TINY).fit(images, CONDITIONS).translate(images[:3], "low", "high")
    np.testing.assert_array_equal(a, b)


def test_any_source_goes_to_any_target(fitted, images):
    for target in ("untreated", "low", "high"):
        out = fitted.translate(images, CONDITIONS, target)
        assert out.shape == images.shape
        assert out.min() >= 0 and out.max() <= 1


def test_the_target_changes_the_result(fitted, images):
    low = fitted.translate(images[:2], "untreated", "low")
    high = fitted.translate(images[:2], "untreated", "high")
    assert not np.allclose(low, high)


def test_guidance_other_than_one_mixes_in_the_unconditional_model(fitted, images):
    calls = []
    original = fitted.model_.forward

    def counting(*args, **kwargs):
        calls.append(kwargs["class_labels"].clone())
        return original(*args, **kwargs)

    fitted.model_.forward = counting
    try:
        fitted._guided(torch.zeros(2, 1, 16, 16), 10, torch.tensor([0, 1]), 1.0)
        assert len(calls) == 1  # scale 1: the conditional model only
        fitted._guided(torch.zeros(2, 1, 16, 16), 10, torch.tensor([0, 1]), 3.0)
        assert len(calls) == 3 and calls[-1].tolist() == [3, 3]  # plus the null class
    finally:
        del fitted.model_.forward


def test_invert_and_generate_are_separate_steps(fitted, images):
    noise = fitted.invert(images[:3], "low")
    assert noise.shape == (3, 1, 16, 16)
    np.testing.assert_allclose(
        fitted.generate(noise, "low"), fitted.translate(images[:3], "low", "low")
    )


def test_a_condition_never_seen_in_training_is_named(fitted, images):
    with pytest.raises(InputError, match=r"trained on the conditions high, low, untreated.*'max'"):
        fitted.translate(images, CONDITIONS, "max")


@pytest.mark.parametrize(
    "bad, message",
    [
        (np.full((4, 1, 16, 16), 2.0, dtype=np.float32), r"values in \[0, 1\].*\[2, 2\]"),
        (np.zeros((4, 1, 17, 17), dtype=np.float32), "multiples of 2.*17x17"),
        (np.full((4, 1, 16, 16), np.nan, dtype=np.float32), "NaN"),
        (np.zeros((4, 16, 16), dtype=np.float32), "4"),
    ],
)
def test_images_it_cannot_take_are_refused(bad, message):
    with pytest.raises(InputError, match=message):
        DDIMTranslator(**TINY).fit(bad, np.array(["a", "b"] * 2))


def test_images_of_another_shape_than_training_are_refused(fitted):
    with pytest.raises(InputError, match=r"fitted on samples of shape \(1, 16, 16\)"):
        fitted.translate(np.zeros((2, 1, 32, 32), dtype=np.float32), "low", "high")


def test_conditions_of_the_wrong_length_are_refused(images):
    with pytest.raises(InputError, match="has 3 entries but the data has 12"):
        DDIMTranslator(**TINY).fit(images, np.array(["a", "b", "c"]))


def test_zero_terminal_snr_needs_velocity_prediction():
    with pytest.raises(ConfigError, match="use prediction_type: v_prediction"):
        registry.create("translator", "phendiff.ddim", zero_terminal_snr=True)


def test_velocity_prediction_with_zero_terminal_snr_trains(images):
    translator = DDIMTranslator(**TINY, prediction_type="v_prediction", zero_terminal_snr=True)
    out = translator.fit(images, CONDITIONS).translate(images[:2], "low", "high")
    assert np.isfinite(out).all()


def test_the_report_shows_real_translated_and_difference(images):
    import anndata
    import pandas as pd

    from morphospace.core import tl
    from morphospace.core.figures import FigureContext

    obs = pd.DataFrame(
        {"condition": CONDITIONS, "train": [True] * 8 + [False] * 4},
        index=[f"cell{i}" for i in range(12)],
    )
    adata = anndata.AnnData(obs=obs, obsm={"image": images})
    translator = tl.translate(
        adata,
        DDIMTranslator(**TINY),
        images="image",
        conditions="condition",
        target=["low", "high"],
        key_added="as",
    )
    figures = translator.report_figures(FigureContext(adata, "as_high"))
    assert [title for title, _ in figures] == ["as_high: translations to high"]
    axes = figures[0][1].axes
    assert len(axes) == 4 * 2 * 2  # 4 images not already high: 2 rows of real + 1 target
    assert axes[0].get_title().startswith("real, ")
    assert axes[1].get_title() == "as high"
    assert axes[3].get_title() == "minus real"  # the difference map below the translation


def test_translating_to_several_targets_inverts_once_and_matches_one_by_one(
    fitted, images, monkeypatch
):
    one_by_one = [fitted.translate(images, CONDITIONS, t) for t in ("low", "high")]
    calls = []
    invert = fitted.invert
    monkeypatch.setattr(fitted, "invert", lambda *a: calls.append(1) or invert(*a))
    each = fitted.translate_to_each(images, CONDITIONS, ["low", "high"])
    assert len(calls) == 1
    for got, expected in zip(each, one_by_one, strict=True):
        np.testing.assert_array_equal(got, expected)

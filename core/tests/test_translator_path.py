"""The Translator path end to end: tl.translate, a pipeline run and its report.

The example plugin's ``mean_shift`` moves images between conditions by the difference
of their mean images, and its ``spots`` dataset has an additive condition effect
(treated images are brighter by 0.5 in their upper half), so the numbers are known.
"""

import numpy as np
import pytest

from morphospace.core import Translator, registry, tl
from morphospace.core.errors import InputError, PipelineError
from morphospace.core.pipeline import plan, run


@pytest.fixture
def spots():
    return registry.load_dataset("example.spots", n_images=40)


def _condition(adata, name):
    return (adata.obs["condition"] == name).to_numpy()


def test_translating_control_to_treated_matches_the_treated_mean(spots):
    tl.translate(
        spots, "example.mean_shift", images="image", conditions="condition", target="treated"
    )
    images, translated = spots.obsm["image"], spots.obsm["mean_shift"]
    control, treated = _condition(spots, "control"), _condition(spots, "treated")
    np.testing.assert_allclose(
        translated[control].mean(axis=0), images[treated].mean(axis=0), atol=1e-5
    )
    np.testing.assert_array_equal(translated[treated], images[treated])  # already treated


def test_the_translation_adds_the_condition_effect_where_it_is(spots):
    tl.translate(
        spots, "example.mean_shift", images="image", conditions="condition", target="treated"
    )
    control = _condition(spots, "control")
    added = (spots.obsm["mean_shift"] - spots.obsm["image"])[control]
    assert added[:, :, :8].mean() == pytest.approx(0.5, abs=0.05)  # the upper half
    assert added[:, :, 8:].mean() == pytest.approx(0.0, abs=0.05)


def test_translate_records_what_ran(spots):
    translator = tl.translate(
        spots,
        "example.mean_shift",
        images="image",
        conditions="condition",
        target="treated",
        key_added="as_treated",
        per_pixel=False,
    )
    assert isinstance(translator, Translator)
    record = spots.uns["as_treated"]
    assert record["component"] == "example.mean_shift"
    assert record["target"] == "treated"
    assert record["params"] == {"per_pixel": False}


def test_fit_on_fits_on_the_selected_rows_and_translates_every_row(spots):
    spots.obs["train"] = np.arange(spots.n_obs) < 30
    translator = tl.translate(
        spots,
        "example.mean_shift",
        images="image",
        conditions="condition",
        target="treated",
        fit_on="train",
    )
    assert spots.obsm["mean_shift"].shape == spots.obsm["image"].shape
    assert spots.uns["mean_shift"]["fit_on"] == "train"
    train, treated = spots.obs["train"].to_numpy(), _condition(spots, "treated")
    refit = registry.create("translator", "example.mean_shift").fit(
        spots.obsm["image"][train], spots.obs["condition"].to_numpy()[train]
    )
    np.testing.assert_array_equal(  # the held-out rows did not shape the translation
        translator.translate(spots.obsm["image"], spots.obs["condition"].to_numpy(), "treated"),
        refit.translate(spots.obsm["image"], spots.obs["condition"].to_numpy(), "treated"),
    )
    # which is a test: fitted on every row, the treated mean (and the translation) differs
    assert not np.array_equal(
        spots.obsm["image"][train & treated].mean(0), spots.obsm["image"][treated].mean(0)
    )
    spots.obs["none"] = False
    with pytest.raises(InputError, match=r"fit_on='none' selects no cells"):
        tl.translate(
            spots, "example.mean_shift", images="image", conditions="condition",
            target="treated", fit_on="none",
        )  # fmt: skip


def test_an_unknown_target_condition_names_the_known_ones(spots):
    with pytest.raises(
        InputError, match=r"condition\(s\) mutant were not seen in fit; known: control, treated"
    ):
        tl.translate(
            spots, "example.mean_shift", images="image", conditions="condition", target="mutant"
        )


def test_the_example_pipeline_translates_saves_and_reports(tmp_path):
    result = run("example.spots_pipeline", tmp_path / "out")
    adata = result.adata
    control, treated = _condition(adata, "control"), _condition(adata, "treated")
    np.testing.assert_allclose(
        adata.obsm["as_treated"][control].mean(axis=0),
        adata.obsm["image"][treated].mean(axis=0),
        atol=1e-5,
    )
    out = tmp_path / "out"
    report = (out / "report.html").read_text(encoding="utf-8")
    assert "example-spots" in report and "example.mean_shift" in report
    assert "Translation as_treated to treated" in report  # the translator's own figure
    assert [p.name for p in (out / "figures").iterdir()] == [
        "00-translation-as-treated-to-treated.png"
    ]
    assert "target: treated" in (out / "pipeline.resolved.yaml").read_text(encoding="utf-8")
    saved = Translator.load(out / "components" / "as_treated")
    np.testing.assert_array_equal(
        saved.translate(adata.obsm["image"], adata.obs["condition"].to_numpy(), "treated"),
        adata.obsm["as_treated"],
    )


def test_a_translate_step_without_a_target_is_refused_before_running():
    pipeline = {
        "dataset": {"name": "example.spots"},
        "steps": [
            {"component": "example.mean_shift", "images": "image", "conditions": "condition"}
        ],
    }
    with pytest.raises(PipelineError, match="target"):
        plan(pipeline)


def test_several_targets_fit_once_and_write_one_key_each(spots):
    translator = tl.translate(
        spots,
        "example.mean_shift",
        images="image",
        conditions="condition",
        target=["control", "treated"],
        key_added="as",
    )
    assert {"as_control", "as_treated"} <= set(spots.obsm)
    np.testing.assert_array_equal(
        spots.obsm["as_treated"],
        translator.translate(spots.obsm["image"], spots.obs["condition"].to_numpy(), "treated"),
    )
    assert spots.uns["as_control"]["target"] == "control"


def _to_both_conditions(n_images: int, **step) -> dict:
    """A pipeline translating every spots image to both conditions, into ``as_<target>``."""
    return {
        "dataset": {"name": "example.spots", "params": {"n_images": n_images}},
        "steps": [
            {
                "component": "example.mean_shift",
                "images": "image",
                "conditions": "condition",
                "target": ["control", "treated"],
                "key_added": "as",
                **step,
            }
        ],
    }


def test_a_pipeline_translating_to_several_targets_reports_each(tmp_path):
    result = run(_to_both_conditions(12), tmp_path / "out")
    assert {"as_control", "as_treated"} <= set(result.adata.obsm)
    figures = sorted(p.name for p in (tmp_path / "out" / "figures").iterdir())
    assert figures == [
        "00-translation-as-control-to-control.png",
        "01-translation-as-treated-to-treated.png",
    ]


@pytest.mark.parametrize("fmt", ["ome-tiff", "ome-zarr"])
def test_translated_images_are_exported_as_image_files_beside_the_result(tmp_path, fmt):
    pytest.importorskip("tifffile")
    pytest.importorskip("zarr")
    from morphospace.core.io import read_image

    result = run(_to_both_conditions(6, export=fmt), tmp_path / "out")
    folder = tmp_path / "out" / "images" / "as_treated"
    suffix = ".ome.tif" if fmt == "ome-tiff" else ".ome.zarr"
    files = sorted(p.name for p in folder.iterdir())
    assert files == [f"{i:05d}{suffix}" for i in range(6)] + ["index.csv"]
    index = (folder / "index.csv").read_text(encoding="utf-8").splitlines()
    assert index[0] == "file,obs_name" and index[1] == f"00000{suffix},{result.adata.obs_names[0]}"
    back = read_image(folder / f"00003{suffix}")
    np.testing.assert_allclose(back.obsm["image"][0], result.adata.obsm["as_treated"][3])
    assert (tmp_path / "out" / "images" / "as_control").is_dir()


def test_exporting_what_is_not_an_image_per_observation_is_a_clear_error(tmp_path):
    import anndata
    import pandas as pd

    from morphospace.core.errors import PipelineError
    from morphospace.core.pipeline.exports import export_images

    table = anndata.AnnData(obs=pd.DataFrame(index=["a", "b"]), obsm={"emb": np.zeros((2, 3))})
    with pytest.raises(PipelineError, match=r"obsm\['emb'\] of shape \(2, 3\) is not one image"):
        export_images(tmp_path, "emb", table, "ome-tiff")

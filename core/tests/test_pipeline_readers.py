"""Pipelines on the user's own files: ``dataset: {reader, path, params}`` reads them with
morphospace.core.io, only under the folder the user gives (``--inputs``), never elsewhere."""

import numpy as np
import pandas as pd
import pytest

from morphospace.core.errors import PipelineError
from morphospace.core.pipeline import load_pipeline, plan, run

PROJECT = {"component": "example.random_projection", "use_rep": "X", "key_added": "proj"}


def _pipeline(dataset, steps=None):
    return {"name": "own-files", "dataset": dataset, "steps": steps or [PROJECT]}


def _cellprofiler_table(path):
    rng = np.random.default_rng(0)
    table = pd.DataFrame(
        {
            "ImageNumber": np.repeat([1, 2], 10),
            "ObjectNumber": np.tile(np.arange(1, 11), 2),
            "Metadata_Well": np.repeat(["A01", "B02"], 10),
            **{f"AreaShape_F{i}": rng.normal(size=20) for i in range(6)},
        }
    )
    table.to_csv(path, index=False)


# ------------------------------------------------------------------ the attacks, first
@pytest.mark.parametrize(
    "dataset",
    [
        {"path": "/etc/passwd"},
        {"path": "../outside.h5ad"},
        {"reader": "crops", "path": "crops/../../x"},
        {"reader": "crops", "path": "crops", "params": {"table": "/etc/hosts"}},
        {"reader": "labelled_cells", "path": "f.npy", "params": {"labels": "../l.npy"}},
    ],
)
def test_a_pipeline_cannot_name_a_file_outside_the_inputs_folder(dataset):
    with pytest.raises(PipelineError, match="plain name"):
        load_pipeline(_pipeline(dataset))


def test_without_an_inputs_folder_a_pipeline_reads_no_file(tmp_path):
    _cellprofiler_table(tmp_path / "cells.csv")
    pipeline = _pipeline({"reader": "cellprofiler", "path": "cells.csv"})
    plan(pipeline)  # valid: the folder is given at run time
    with pytest.raises(PipelineError, match=r"pass --inputs DIR \(inputs= in Python\)"):
        run(pipeline, tmp_path / "out")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("dataset", "message"),
    [
        ({"reader": "tiff", "path": "x.tif"}, "reader"),
        ({"reader": "crops", "path": "c", "params": {"sizes": 3}}, r"takes table, size.*sizes"),
        ({"reader": "labelled_cells", "path": "f.npy"}, "needs params: labels"),
        ({"reader": "cellprofiler", "path": "t.csv", "params": {"size": 3}}, "takes no params"),
        ({"path": "cells.h5ad", "params": {"size": 3}}, "'h5ad' takes no params"),
        ({"name": "example.blobs", "reader": "crops"}, "exactly one of|'reader' reads a 'path'"),
    ],
)
def test_bad_reader_settings_fail_at_validation(dataset, message):
    with pytest.raises(PipelineError, match=message):
        load_pipeline(_pipeline(dataset))


# ------------------------------------------------------------------ each reader, end to end
def test_a_cellprofiler_table_runs_through_a_pipeline(tmp_path):
    _cellprofiler_table(tmp_path / "cells.csv")
    pipeline = _pipeline({"reader": "cellprofiler", "path": "cells.csv"})
    result = run(pipeline, tmp_path / "out", inputs=tmp_path)
    assert result.adata.n_obs == 20 and result.adata.obsm["X_proj"].shape[0] == 20
    assert result.adata.obs["Metadata_Well"].tolist()[:2] == ["A01", "A01"]


def test_crops_with_their_table_are_read_under_the_inputs_folder(tmp_path):
    from morphospace.core.pipeline.readers import read_dataset

    (tmp_path / "crops").mkdir()
    for i in range(3):
        np.save(tmp_path / "crops" / f"c{i}.npy", np.full((8, 8), i, np.uint8))
    pd.DataFrame({"file": [f"c{i}.npy" for i in range(3)], "condition": list("aab")}).to_csv(
        tmp_path / "crops.csv", index=False
    )
    adata = read_dataset("crops", "crops", {"table": "crops.csv", "size": 6}, tmp_path)
    assert adata.obsm["image"].shape == (3, 1, 6, 6)
    assert adata.obs["condition"].tolist() == ["a", "a", "b"]


def test_a_field_and_its_labels_are_read_under_the_inputs_folder(tmp_path):
    from morphospace.core.pipeline.readers import read_dataset

    labels = np.zeros((20, 20), np.int32)
    labels[2:6, 2:6], labels[10:15, 12:18] = 1, 2
    np.save(tmp_path / "field.npy", labels.astype(np.float32))
    np.save(tmp_path / "labels.npy", labels)
    adata = read_dataset("labelled_cells", "field.npy", {"labels": "labels.npy"}, tmp_path)
    assert adata.obs["area"].tolist() == [16, 30]


def test_an_image_file_is_read_under_the_inputs_folder(tmp_path):
    pytest.importorskip("tifffile")
    from morphospace.core.io import write_image
    from morphospace.core.pipeline.readers import read_dataset

    write_image(tmp_path / "stack.tif", np.zeros((3, 8, 8), np.uint8), axes="ZYX")
    adata = read_dataset("image", "stack.tif", {}, tmp_path)
    assert adata.obsm["volume"].shape == (1, 1, 3, 8, 8)
    with pytest.raises(PipelineError, match=r"takes axes, lazy; unknown: size"):
        load_pipeline(_pipeline({"reader": "image", "path": "stack.tif", "params": {"size": 3}}))

"""CellProfiler per-object tables: measurements in X, identifiers and metadata in obs,
unusable columns dropped and said so, two-row headers, and clear errors for bad files."""

import numpy as np
import pytest

from morphospace.core.errors import InputError
from morphospace.core.io import read_cellprofiler

TABLE = """ImageNumber,ObjectNumber,Metadata_Well,Metadata_Treatment,AreaShape_Area,Intensity_MeanIntensity_DNA,FileName_DNA,AreaShape_EulerNumber
1,1,A01,DMSO,120,0.31,a.tif,1
1,2,A01,DMSO,95,0.28,a.tif,1
2,1,B02,taxol,210,nan,b.tif,1
2,2,B02,taxol,180,0.55,b.tif,1
"""


def test_measurements_go_to_x_and_identifiers_to_obs(tmp_path):
    path = tmp_path / "Nuclei.csv"
    path.write_text(TABLE)
    with pytest.warns(UserWarning) as caught:
        adata = read_cellprofiler(path)
    assert list(adata.var_names) == ["AreaShape_Area", "Intensity_MeanIntensity_DNA"]
    np.testing.assert_array_equal(adata.X[:, 0], [120, 95, 210, 180])
    assert list(adata.obs.columns) == [
        "ImageNumber", "ObjectNumber", "Metadata_Well", "Metadata_Treatment"
    ]  # fmt: skip
    assert list(adata.obs_names) == ["1_1", "1_2", "2_1", "2_2"]
    assert adata.obs["Metadata_Treatment"].tolist() == ["DMSO", "DMSO", "taxol", "taxol"]
    notes = adata.uns["cellprofiler"]
    assert notes["dropped"] == {"FileName_DNA": "not numeric", "AreaShape_EulerNumber": "constant"}
    assert notes["missing"] == {"Intensity_MeanIntensity_DNA": 1}
    message = str(caught[0].message)
    assert "dropped 2 column(s): FileName_DNA (not numeric), AreaShape_EulerNumber (constant)" in (
        message
    )
    assert "1 object(s) have missing measurements" in message


def test_a_two_row_header_names_features_by_object(tmp_path):
    path = tmp_path / "Objects.csv"
    path.write_text(
        "Image,Image,Nuclei,Nuclei,Cells\n"
        "ImageNumber,ObjectNumber,AreaShape_Area,AreaShape_Perimeter,AreaShape_Area\n"
        "1,1,100,40,300\n1,2,120,44,330\n"
    )
    adata = read_cellprofiler(path)
    assert list(adata.var_names) == [
        "Nuclei_AreaShape_Area", "Nuclei_AreaShape_Perimeter", "Cells_AreaShape_Area"
    ]  # fmt: skip
    assert adata.obs["ObjectNumber"].tolist() == [1, 2]


@pytest.mark.parametrize(
    ("content", "match"),
    [
        (None, r"missing\.csv: no such CellProfiler table"),
        ("", r"not a readable CellProfiler CSV table"),
        ("ImageNumber,ObjectNumber\n", r"the table has no rows"),
        ("ImageNumber,ObjectNumber,Metadata_Well\n1,1,A01\n1,2,A01\n", r"no numeric measurement"),
    ],
)
def test_bad_files_are_one_clear_error_naming_the_file(tmp_path, content, match):
    path = tmp_path / "missing.csv"
    if content is not None:
        path.write_text(content)
    with pytest.raises(InputError, match=match):
        read_cellprofiler(path)

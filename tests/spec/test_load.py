from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from tests.conftest import REFERENCE, SPECS
from xaas_parsl.errors import InputError
from xaas_parsl.spec import load_spec
from xaas_parsl.spec.load import spec_schema

SPEC_FILES = sorted(SPECS.glob("*.json")) if SPECS.is_dir() else []


@pytest.mark.usefixtures("reference")
@pytest.mark.parametrize("path", SPEC_FILES, ids=lambda p: p.stem)
def test_every_upstream_file_validates_against_the_corrected_schema(path: Path) -> None:
    spec = load_spec(path)
    assert spec.raw.keys() >= {"FFT_libraries", "simd_vectorization"}


@pytest.mark.usefixtures("reference")
def test_upstream_schema_rejects_them_which_is_why_we_ship_a_corrected_one() -> None:
    upstream = json.loads((REFERENCE / "xaas" / "specialization-points.schema.json").read_text())
    gromacs = json.loads((SPECS / "gromacs-2025.0.json").read_text())
    errors = list(jsonschema.Draft7Validator(upstream).iter_errors(gromacs))
    assert len(errors) == 17  # the count the reference README reports
    assert not list(jsonschema.Draft7Validator(spec_schema()).iter_errors(gromacs))


@pytest.mark.usefixtures("reference")
def test_lowercase_fft_key_is_accepted(tmp_path: Path) -> None:
    data = json.loads((SPECS / "gromacs-2025.0.json").read_text())
    data["fft_libraries"] = data.pop("FFT_libraries")
    path = tmp_path / "lower.json"
    path.write_text(json.dumps(data))
    spec = load_spec(path)
    assert {e.name for e in spec.fft} >= {"fftw3", "mkl", "MKL"}  # case-distinct keys kept
    assert "FFT_libraries" in spec.raw and "fft_libraries" not in spec.raw


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("{\"gpu_build\": ", "invalid JSON at line 1"),
        ("[1, 2]", "expected a JSON object"),
        ("{\"gpu_build\": {\"value\": true}}", "not a valid specialization-points file"),
    ],
)
def test_bad_spec_files_name_the_file(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(text)
    with pytest.raises(InputError) as info:
        load_spec(path)
    assert str(path) in str(info.value) and message in str(info.value)
    assert "\n" not in str(info.value)


def test_missing_file() -> None:
    with pytest.raises(InputError, match="no such file"):
        load_spec("/nonexistent/spec.json")

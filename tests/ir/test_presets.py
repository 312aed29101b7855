"""Select values that set several CMake options (presets), as llama.cpp's SIMD levels need."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import HEAT2D
from xaas_parsl.descriptor.app import BUNDLED_APPS, AppDescriptor, load_app
from xaas_parsl.errors import InputError

APP = """name: presets
version: "1"
source: .
specialization_points: {spec}
matrix:
  - {{name: OPENMP, kind: bool, option: USE_OMP}}
  - name: SIMD
    kind: select
    values:
      - {{name: SSE42, options: {{X_SSE42: "ON", X_AVX2: "OFF"}}}}
      - {{name: AVX2, options: {{X_SSE42: "ON", X_AVX2: "ON"}}}}
      - {{name: NEON, options: {{X_NEON: "ON"}}}}
    arch: {{SSE42: x86_64, AVX2: x86_64, NEON: aarch64}}
"""


def load(tmp_path: Path, text: str = APP) -> AppDescriptor:
    (tmp_path / "CMakeLists.txt").write_text("project(p)\n")
    (tmp_path / "app.yaml").write_text(text.format(spec=HEAT2D / "specialization-points.json"))
    return load_app(tmp_path / "app.yaml")


def test_presets_expand_to_all_their_options(tmp_path: Path) -> None:
    app = load(tmp_path)
    configs = {c.name: c.cmake_args() for c in app.configurations("x86_64")}
    assert list(configs) == ["SSE42", "AVX2", "OPENMP+SSE42", "OPENMP+AVX2"]
    assert configs["OPENMP+AVX2"] == ["-DUSE_OMP=ON", "-DX_SSE42=ON", "-DX_AVX2=ON"]
    assert [c.name for c in app.configurations("aarch64")] == ["NEON", "OPENMP+NEON"]
    assert app.matrix[1].cmake_options() == {"X_SSE42", "X_AVX2", "X_NEON"}


def test_config_name_matches_a_preset_by_all_its_options(tmp_path: Path) -> None:
    app = load(tmp_path)
    assert app.config_name(["-DUSE_OMP=TRUE", "-DX_AVX2=1", "-DX_SSE42:BOOL=ON"]) == \
        "OPENMP+AVX2"
    assert app.config_name(["-DX_SSE42=ON", "-DX_AVX2=OFF"]) == "SSE42"
    assert app.config_name(["-DX_AVX2=ON"]) == "default"  # a partial preset is no match


def test_string_value_without_option_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"value 'AVX2' needs 'option'"):
        load(tmp_path, APP.replace('{{name: AVX2, options: {{X_SSE42: "ON", X_AVX2: "ON"}}}}',
                                   "AVX2"))


def test_llama_ir_descriptor() -> None:
    path = BUNDLED_APPS / "llama.cpp" / "ir-cpu.yaml"
    try:
        app = load_app(path)
    except InputError as exc:
        pytest.skip(f"llama.cpp sources not fetched: {exc}")
    names = [c.name for c in app.configurations("x86_64")]
    assert names == ["SSE42", "AVX2", "AVX512", "AVX512_VNNI_BF16"]
    assert app.config_name(app.configurations("x86_64")[2].cmake_args()) == "AVX512"

from __future__ import annotations

from pathlib import Path

import pytest

from xaas_parsl.errors import InputError
from xaas_parsl.intersection.policy import load_policy, parse_assignments


def test_policy_file_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text("prefer: {gpu_backend: [HIP, CUDA], fft: fftw3}\npin: {simd: AVX2_256}\n"
                    "use_gpu: false\nfma_units: 1\n")
    policy = load_policy(path)
    assert policy.preferred("gpu_backend") == ("HIP", "CUDA")
    assert policy.preferred("fft") == ("fftw3",)
    assert policy.preferred("simd") == ("AVX2_256",)
    assert policy.use_gpu is False and policy.fma_units == 1
    assert policy.to_dict()["pin"] == {"simd": "AVX2_256"}


@pytest.mark.parametrize(
    ("text", "needle"),
    [("pin: {colour: red}\n", "colour"), ("fma_units: 3\n", "fma_units"),
     ("- a\n- b\n", "mapping"), ("pin: [\n", "invalid YAML")],
)
def test_bad_policy_files(tmp_path: Path, text: str, needle: str) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(text)
    with pytest.raises(InputError) as info:
        load_policy(path)
    assert str(path) in str(info.value) and needle in str(info.value)


def test_cli_assignments() -> None:
    assert parse_assignments(("gpu_backend=HIP,CUDA",), "prefer") == {
        "gpu_backend": ("HIP", "CUDA")}
    with pytest.raises(InputError, match="SECTION=VALUE"):
        parse_assignments(("simd",), "pin")
    with pytest.raises(InputError, match="unknown section"):
        parse_assignments(("mpi=on",), "pin")

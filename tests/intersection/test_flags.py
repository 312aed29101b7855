from xaas_parsl.intersection.flags import (
    cmake_args,
    dedupe_args,
    is_multichoice,
    option_name,
    option_value,
)


def test_bare_boolean_flag_gets_a_value() -> None:
    assert cmake_args("-DGMX_MPI") == ["-DGMX_MPI=ON"]
    assert cmake_args("-DGMX_MPI", "OFF") == ["-DGMX_MPI=OFF"]


def test_multichoice_flag_is_kept() -> None:
    assert cmake_args("-DGMX_SIMD=AVX_512") == ["-DGMX_SIMD=AVX_512"]
    assert is_multichoice("-DGMX_SIMD=AVX_512")
    assert not is_multichoice("-DGGML_BLAS=ON")
    assert not is_multichoice("-DGGML_AVX2")


def test_compound_flag_is_split_with_shlex() -> None:
    flag = "-DGGML_BLAS=ON -DGGML_BLAS_VENDOR=OpenBLAS"
    assert cmake_args(flag) == ["-DGGML_BLAS=ON", "-DGGML_BLAS_VENDOR=OpenBLAS"]
    assert option_name(flag) == "GGML_BLAS"
    assert option_value(flag) == "ON"


def test_brackets_in_values_survive() -> None:
    assert cmake_args("-DGMX_FFT_LIBRARY=fftpack[built-in]") == [
        "-DGMX_FFT_LIBRARY=fftpack[built-in]"
    ]


def test_dedupe_keeps_last_setting_in_first_position() -> None:
    args = ["-DA=ON", "-DB=1", "-DA=OFF", "-mavx"]
    assert dedupe_args(args) == ["-DA=OFF", "-DB=1", "-mavx"]


def test_empty_flag() -> None:
    assert cmake_args(None) == []
    assert option_name(None) is None

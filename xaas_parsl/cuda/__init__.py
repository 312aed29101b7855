"""CUDA without a GPU: the toolchain from PyPI's NVIDIA wheels and clang-19's CUDA support."""

from xaas_parsl.cuda.toolchain import CudaToolchain, cuda_root, locate_toolchain

__all__ = ["CudaToolchain", "cuda_root", "locate_toolchain"]

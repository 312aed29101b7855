"""Which GPU code a binary carries: NVIDIA fat binaries inside ELF files, read in Python.

A CUDA object, library or executable keeps its device code in the ELF section ``.nv_fatbin``
(``__nv_relfatbin`` for relocatable device code): one or more fat-binary containers, each a
16-byte header (magic ``0xBA55ED50``, version 1, header size 16, size of what follows) and
entries, each with its own header (kind 1 = PTX, 2 = ELF cubin; header size; payload size;
code version; the SM number) followed by its payload. An ELF entry is SASS for exactly that
architecture (``sm_90``); a PTX entry can be JIT-compiled by the driver for that architecture
and newer ones (``compute_90``). Payloads (possibly compressed) are never opened: the entry
headers say everything needed, so this also reads fat binaries of CUDA versions newer than
the ones installed here.

The parsing core (:func:`parse_fatbin`, :func:`target_names`) is pure; the edge reads ELF
sections with pyelftools and walks install trees without leaving them (symbolic links that
point outside the tree are not followed), within a budget of files and bytes.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from xaas_parsl.errors import InputError

FATBIN_MAGIC = 0xBA55ED50
FATBIN_SECTIONS = (".nv_fatbin", "__nv_relfatbin")
HIP_SECTION = ".hip_fatbin"
BUNDLE_MAGIC = b"__CLANG_OFFLOAD_BUNDLE__"
_HEADER = struct.Struct("<IHHQ")  # magic, version, header size, size of the entries
# kind, (unknown), header size, padded payload size, compressed size, (unknown),
# code version minor/major, SM number
_ENTRY = struct.Struct("<HHIQIIHHI")
KIND_PTX = 1
KIND_ELF = 2
MAX_FILES = 100_000  # an install tree with more files than this is not an install tree
MAX_SECTION = 1 << 31  # 2 GiB of fat binaries in one file (cuBLAS has ~0.5 GiB)


@dataclass(frozen=True, order=True)
class FatbinEntry:
    """One image of a fat binary: SASS (``elf``) or PTX for one SM number."""

    kind: str  # "elf" or "ptx"
    sm: int  # 70, 80, 90, 100, ...

    @property
    def name(self) -> str:
        """``sm_90`` for SASS, ``compute_90`` for PTX (nvcc's and cuobjdump's names)."""
        return f"{'sm' if self.kind == 'elf' else 'compute'}_{self.sm}"


def parse_fatbin(data: bytes, where: str = "fat binary") -> list[FatbinEntry]:
    """Entries of every container in ``data`` (a ``.nv_fatbin`` section or a .fatbin file).

    Containers follow each other, each padded to 8 bytes; zero padding between them is
    skipped. A container whose sizes run past the data is an ``InputError``.
    """
    entries: list[FatbinEntry] = []
    pos = 0
    while pos + _HEADER.size <= len(data):
        magic, _version, header_size, size = _HEADER.unpack_from(data, pos)
        if magic == 0:  # alignment padding between containers
            pos += 8
            continue
        if magic != FATBIN_MAGIC or header_size < _HEADER.size:
            raise InputError(f"{where}: no fat-binary header at offset {pos} "
                             f"(magic {magic:#x})")
        end = pos + header_size + size
        if end > len(data):
            raise InputError(f"{where}: container at offset {pos} runs past the end "
                             f"({end} > {len(data)} bytes)")
        entries.extend(_entries(data, pos + header_size, end, where))
        pos = (end + 7) & ~7
    return entries


def _entries(data: bytes, pos: int, end: int, where: str) -> Iterator[FatbinEntry]:
    while pos + _ENTRY.size <= end:
        kind, _unk, header_size, payload, *_rest, sm = _ENTRY.unpack_from(data, pos)
        if header_size < _ENTRY.size or pos + header_size + payload > end:
            raise InputError(f"{where}: malformed fat-binary entry at offset {pos}")
        if kind == KIND_ELF:
            yield FatbinEntry("elf", sm)
        elif kind == KIND_PTX:
            yield FatbinEntry("ptx", sm)
        pos += header_size + payload


def parse_offload_bundle(data: bytes, where: str = "offload bundle") -> list[str]:
    """AMD GPU targets of clang offload bundles (a ``.hip_fatbin`` section): each bundle is
    the magic, an entry count, then (offset, size, triple length, triple) per entry; device
    entries' triples end in the processor (``hipv4-amdgcn-amd-amdhsa--gfx90a``)."""
    names: list[str] = []
    pos = 0
    while pos < len(data):
        if data[pos:pos + len(BUNDLE_MAGIC)] != BUNDLE_MAGIC:
            if not data[pos:pos + 8].strip(b"\0"):  # alignment padding between bundles
                pos += 8
                continue
            raise InputError(f"{where}: no offload-bundle header at offset {pos}")
        cursor = pos + len(BUNDLE_MAGIC)
        try:
            (count,) = struct.unpack_from("<Q", data, cursor)
            cursor += 8
            end = cursor
            for _ in range(min(count, 4096)):
                offset, size, length = struct.unpack_from("<QQQ", data, cursor)
                triple = data[cursor + 24:cursor + 24 + length].decode("ascii")
                cursor += 24 + length
                end = max(end, pos + offset + size)
                if triple.startswith(("hip", "openmp")) and "amdgcn" in triple:
                    names.append(triple.rsplit("-", 1)[-1].split(":")[0])
        except (struct.error, UnicodeDecodeError):
            raise InputError(f"{where}: malformed offload bundle at offset {pos}") from None
        if end > len(data):
            raise InputError(f"{where}: offload bundle at offset {pos} runs past the end")
        pos = max(end, cursor)
    return names


def target_names(entries: Iterable[FatbinEntry]) -> list[str]:
    """Bare, unique names, SASS first then PTX, each by SM number (``sm_70`` .. ``compute_90``)."""
    return sorted({e.name for e in entries}, key=target_key)


def target_key(name: str) -> tuple[int, int, str]:
    """Sort key of a bare name: SASS, then PTX, each by SM number (``sm_100`` after 90),
    then AMD ``gfx`` targets by name."""
    if name.startswith("gfx"):
        return 2, 0, name
    digits = "".join(c for c in name.partition("_")[2] if c.isdigit())
    return int(name.startswith("compute")), int(digits or 0), ""


# -- edge: ELF files and install trees ---------------------------------------------------------

def fatbin_sections(path: Path, names: tuple[str, ...] = FATBIN_SECTIONS) -> list[bytes]:
    """The fat-binary sections of an ELF file (``[]`` when it has none)."""
    from elftools.common.exceptions import ELFError
    from elftools.elf.elffile import ELFFile

    found: list[bytes] = []
    try:
        with path.open("rb") as handle:
            elf = ELFFile(handle)
            for name in names:
                section = elf.get_section_by_name(name)
                if section is None or section["sh_type"] == "SHT_NOBITS":
                    continue
                if section["sh_size"] > MAX_SECTION:
                    raise InputError(f"section {name} is larger than {MAX_SECTION} bytes", path)
                found.append(section.data())
    except (ELFError, struct.error, ValueError) as exc:
        raise InputError(f"not a readable ELF file: {exc}", path) from None
    return found


def _is_elf(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(4) == b"\x7fELF"


def _is_fatbin(path: Path) -> bool:
    with path.open("rb") as handle:
        head = handle.read(4)
    return len(head) == 4 and struct.unpack("<I", head)[0] == FATBIN_MAGIC


def _files(root: Path) -> Iterator[Path]:
    """Regular files under ``root``; links are followed only while they stay inside it."""
    real_root = root.resolve()
    count = 0
    for base, dirs, names in os.walk(root):
        dirs.sort()
        dirs[:] = [d for d in dirs if not Path(base, d).is_symlink()]
        for name in sorted(names):
            path = Path(base, name)
            if not path.resolve().is_relative_to(real_root) or not path.is_file():
                continue
            count += 1
            if count > MAX_FILES:
                raise InputError(f"more than {MAX_FILES} files: not an install tree", root)
            yield path


def file_entries(path: Path) -> list[FatbinEntry]:
    """Fat-binary entries of one file: an ELF file's sections, or a bare ``.fatbin``."""
    if _is_elf(path):
        return [e for data in fatbin_sections(path) for e in parse_fatbin(data, str(path))]
    if _is_fatbin(path):
        size = path.stat().st_size
        if size > MAX_SECTION:
            raise InputError(f"larger than {MAX_SECTION} bytes", path)
        return parse_fatbin(path.read_bytes(), str(path))
    return []


def hip_targets(path: Path) -> list[str]:
    """AMD targets of an ELF file's ``.hip_fatbin`` section (``[]`` for non-ELF files)."""
    if not _is_elf(path):
        return []
    return [n for data in fatbin_sections(path, (HIP_SECTION,))
            for n in parse_offload_bundle(data, str(path))]


def gpu_targets(path: Path) -> list[str]:
    """The GPU code an executable, library, object or install tree carries (bare names;
    AMD targets of HIP offload bundles as ``gfx90a``).

    A single file that is neither ELF nor a fat binary is an ``InputError``; in a tree such
    files (scripts, headers) are skipped.
    """
    if not path.exists():
        raise InputError("no such file or directory", path)
    if path.is_dir():
        files = [f for f in _files(path) if _is_elf(f) or _is_fatbin(f)]
    elif _is_elf(path) or _is_fatbin(path):
        files = [path]
    else:
        raise InputError("neither an ELF file nor a fat binary", path)
    names = target_names(e for f in files for e in file_entries(f))
    amd = sorted({n for f in files for n in hip_targets(f)})
    return names + amd

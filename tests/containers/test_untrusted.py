"""Hostile image archives and configurations (issue: untrusted input cannot escape).

Escapes pinned here: a whiteout entry ``.wh..`` removed the parent of its directory (at the top
level: the whole root file system being built), and environment or label keys of an image were
pasted raw into the Apptainer definition (a key ``A=1\\n%post`` opens a section that runs as
root at build time)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.containers.test_export import _archive, _dir, _tar_bytes
from xaas_parsl.containers.archive import flatten
from xaas_parsl.containers.runtime.apptainer import render_def
from xaas_parsl.errors import InputError


@pytest.mark.parametrize("whiteout", [".wh..", ".wh.", ".wh...", "a/.wh..", "a/b/.wh.."])
def test_a_whiteout_never_removes_a_parent(tmp_path: Path, whiteout: str) -> None:
    lower = _tar_bytes([_dir("a"), _dir("a/b"), ("a/b/keep", b"1"), ("top", b"2")])
    upper = _tar_bytes([(whiteout, b""), ("a/b/.wh.gone", b"")])
    archive = _archive(tmp_path / "img.tar", [lower, upper], {"Cmd": ["/bin/sh"]})
    rootfs = tmp_path / "rootfs"
    flatten(archive, rootfs)
    assert (rootfs / "a" / "b" / "keep").read_text() == "1"
    assert (rootfs / "top").read_text() == "2"


@pytest.mark.parametrize(("env", "labels"), [
    ([("A=1\n%post\n    touch /pwned\n#", "x")], {}),
    ([("PATH; id", "x")], {}),
    ([], {"k\n%post\n    id": "v"}),
    ([], {"two words": "v"}),
    ([("A", "x\n%post")], {}),
])
def test_apptainer_definition_refuses_keys_it_cannot_write_as_is(
        env: list[tuple[str, str]], labels: dict[str, str]) -> None:
    with pytest.raises(InputError, match=r"not a valid|line break"):
        render_def("img.tar", labels, env, (), ("/bin/sh",), None)


def test_apptainer_definition_quotes_values() -> None:
    text = render_def("img.tar", {"org.example.k": "a\n%post id"},
                      [("A", "x'; id; '")], (), ("sh", "-c", "echo $A"), "/w d")
    lines = text.splitlines()
    assert [line for line in lines if line.startswith("%")] == \
        ["%labels", "%environment", "%runscript"]
    assert "    org.example.k a %post id" in lines
    assert "    export A='x'\"'\"'; id; '\"'\"''" in lines

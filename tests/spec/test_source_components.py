"""Extra upstream tarballs of a Debian source package (GROMACS' regression tests) are kept
beside the unpacked tree and found again, downloaded only when the cache predates them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from xaas_parsl import sources
from xaas_parsl.sources import META_NAME, FetchError, component_archive


@pytest.fixture()
def cached(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A sources cache in which gromacs-2022.5 counts as fetched."""
    monkeypatch.setenv(sources.CACHE_ENV, str(tmp_path))
    root = tmp_path / "gromacs-2022.5" / "gromacs-2022.5"
    root.mkdir(parents=True)
    (root.parent / META_NAME).write_text(json.dumps({"root_path": str(root)}))
    return root.parent


def test_kept_tarball_is_found(cached: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tarball = cached / "gromacs_2022.5.orig-regressiontests.tar.gz"
    tarball.write_bytes(b"x")
    monkeypatch.setattr(sources, "_download_debian", lambda *a: pytest.fail("downloaded"))
    assert component_archive("gromacs-2022.5", "regressiontests") == tarball


def test_older_cache_downloads_and_keeps_only_components(
        cached: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def download(project: sources.Project, into: Path) -> list[Path]:
        for name in ("gromacs_2022.5.orig.tar.gz", "gromacs_2022.5.orig-regressiontests.tar.gz",
                     "gromacs_2022.5-2.debian.tar.xz"):
            (into / name).write_bytes(b"x")
        return [into / "gromacs_2022.5.orig.tar.gz"]

    monkeypatch.setattr(sources, "_download_debian", download)
    found = component_archive("gromacs-2022.5", "regressiontests")
    assert found == cached / "gromacs_2022.5.orig-regressiontests.tar.gz" and found.is_file()
    assert sorted(p.name for p in cached.iterdir() if p.is_file()) == [
        META_NAME, found.name]
    with pytest.raises(FetchError, match="no orig-manual tarball"):
        component_archive("gromacs-2022.5", "manual")


def test_pypi_project_has_no_components() -> None:
    with pytest.raises(FetchError, match="not a Debian source package"):
        component_archive("llama.cpp", "regressiontests")

"""Hostile bundles and app descriptors (issue: untrusted input cannot escape).

A bundle and an ``app.yaml`` come from other people. Escapes pinned here: a unit's ``output``
of ``../../../x`` made ``xaas ir deploy`` delete and replace a file outside the bundle; matrix
values of ``../../../../victim`` made ``xaas ir build`` write outside ``-o``. Each now stops
with one line ``xaas: error: <file>: <problem>``, exit 1, before anything is written.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import HEAT2D
from tests.ir.test_bad_input import APP, CMAKE, one_line_error, tiny  # noqa: F401 (fixture)
from xaas_parsl.cli.main import main
from xaas_parsl.descriptor.app import load_app
from xaas_parsl.errors import InputError
from xaas_parsl.safety import CONFIG_NAME


def _manifest(bundle: Path, name: str = "WIDE") -> tuple[Path, dict[str, Any]]:
    path = bundle / "configs" / f"{name}.json"
    return path, json.loads(path.read_text())


def _deploy_fails(bundle: Path, capsys: pytest.CaptureFixture[str], *needles: str) -> str:
    capsys.readouterr()
    assert main(["ir", "deploy", str(bundle), "--config", "WIDE"]) == 1
    err = one_line_error(capsys)
    for needle in needles:
        assert needle in err, err
    assert not (bundle / "deploy" / "WIDE" / "install").exists()
    return err


def test_unit_output_outside_the_bundle_is_refused(tiny: tuple[Path, Path],  # noqa: F811
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    _, bundle = tiny
    victim = bundle.parent / "x"
    victim.write_text("keep me")
    path, manifest = _manifest(bundle)
    unit = next(u for u in manifest["units"] if u["kind"] == "ir")
    unit["output"] = "../../../x"  # builds/WIDE/../../../x = the bundle's parent / x
    path.write_text(json.dumps(manifest))
    _deploy_fails(bundle, capsys, str(path), "unit output '../../../x'")
    assert victim.read_text() == "keep me"
    assert not (bundle / "deploy" / "WIDE" / "objects.json").exists()


@pytest.mark.parametrize(("key", "value", "needle"), [
    ("output", "/etc/hostname", "leaves its root"),
    ("ir", "../../../x", "is not a SHA-256"),
    ("fflags", ["-fplugin=/tmp/evil.so"], "fflags"),
    ("opt_level", "-O2 -Xclang -load", "opt_level"),
    ("tuning", ["-o", "/tmp/x"], "tuning"),
])
def test_unit_fields_are_checked_before_use(tiny: tuple[Path, Path],  # noqa: F811
                                            capsys: pytest.CaptureFixture[str], key: str,
                                            value: object, needle: str) -> None:
    _, bundle = tiny
    path, manifest = _manifest(bundle)
    next(u for u in manifest["units"] if u["kind"] == "ir")[key] = value
    path.write_text(json.dumps(manifest))
    _deploy_fails(bundle, capsys, str(path), needle)


def test_build_dir_and_configuration_names_of_a_bundle(tiny: tuple[Path, Path],  # noqa: F811
                                                       capsys: pytest.CaptureFixture[str]
                                                       ) -> None:
    _, bundle = tiny
    path, manifest = _manifest(bundle)
    manifest["build_dir"] = "../.."
    path.write_text(json.dumps(manifest))
    _deploy_fails(bundle, capsys, "build_dir '../..' leaves its root")
    meta = json.loads((bundle / "bundle.json").read_text())
    meta["configs"].append("../../etc")
    (bundle / "bundle.json").write_text(json.dumps(meta))
    _deploy_fails(bundle, capsys, "bundle.json", "configuration name '../../etc'")


def test_a_symlinked_build_tree_cannot_redirect_writes(tiny: tuple[Path, Path],  # noqa: F811
                                               capsys: pytest.CaptureFixture[str]) -> None:
    """A symlinked build tree (``builds/WIDE -> /``) is refused: outputs resolve outside."""
    _, bundle = tiny
    tree = bundle / "builds" / "WIDE"
    moved = bundle / "moved"
    tree.rename(moved)
    tree.symlink_to(bundle.parent)
    _deploy_fails(bundle, capsys, "resolves outside")


# -- app descriptors: matrix values name directories and files --------------------------------


def _app(tmp_path: Path, values: list[str]) -> Path:
    (tmp_path / "CMakeLists.txt").write_text(CMAKE)
    app = tmp_path / "app.yaml"
    text = APP.format(spec=HEAT2D / "specialization-points.json")
    start = text.index("      - {name: BASE")
    end = text.index("tests:")
    items = "".join(f"      - {json.dumps(v)}\n" for v in values)
    app.write_text(text[:start].replace("    kind: select\n",
                                        "    kind: select\n    option: TINY_SIMD\n")
                   + items + text[end:])
    return app


def test_matrix_value_escaping_the_output_is_refused(tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    work = tmp_path / "work"
    work.mkdir()
    victim = tmp_path / "victim"
    app = _app(work, ["BASE", "../../../../victim"])
    out = work / "a" / "b" / "bundle"
    assert main(["ir", "build", str(app), "-o", str(out)]) == 1
    err = one_line_error(capsys)
    assert str(app) in err and "'../../../../victim' is not allowed" in err
    assert not victim.exists() and not out.exists()


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=st.text(alphabet=st.sampled_from(list("ab./_+-\\ \n$;'\"")), min_size=1,
                     max_size=10))
def test_matrix_values_are_configuration_names_or_refused(tmp_path: Path, value: str) -> None:
    work = tmp_path / f"w{abs(hash(value))}"
    work.mkdir(exist_ok=True)
    app = _app(work, [value])
    try:
        loaded = load_app(app)
    except InputError as exc:
        assert exc.path == str(app)
        assert not CONFIG_NAME.fullmatch(value)
        return
    names = [c.name for c in loaded.configurations("x86_64")]
    assert names == [value] and CONFIG_NAME.fullmatch(value)

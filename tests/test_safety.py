"""The allow-list validators (``xaas_parsl.safety``), one per kind, against Hypothesis-generated
names, paths and settings: whatever a validator accepts is harmless where it is used (stays in
its root, is one file name, needs no shell quoting, cannot end a docstring), and what it refuses
is an ``InputError`` naming the file, never another exception."""

from __future__ import annotations

import ast
import shlex
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xaas_parsl import safety
from xaas_parsl.errors import InputError

# Characters that matter to paths, shells, scripts and Python source, plus some others.
NASTY = st.sampled_from([*"/.\\\0\n\r\t \"'`$;&|<>(){}[]*?~#=:,+-_@%!^", "\u2028", "\x0c",
                         "\x1b", "é", "ℕ", '"""', "..", "../", "\\n"])
TEXT = st.lists(st.one_of(NASTY, st.text(min_size=1, max_size=3)), max_size=12).map("".join)
HEALTH = settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture])


@HEALTH
@given(relative=TEXT)
def test_inside_accepts_only_paths_that_stay_in_the_root(tmp_path: Path, relative: str) -> None:
    root = tmp_path / "root"
    (root / "sub").mkdir(parents=True, exist_ok=True)
    link = root / "out"
    if not link.is_symlink():
        link.symlink_to(tmp_path)  # a planted symlink out of the root
    try:
        path = safety.inside(root, relative, "unit output", "bundle.json")
    except InputError as exc:
        assert exc.path == "bundle.json"
        return
    assert path.resolve().is_relative_to(root.resolve())
    assert path.resolve() != root.resolve()


@pytest.mark.parametrize("payload", ["../../../x", "/etc/passwd", "out/x", "a/../../x", "",
                                     ".", "a\0b"])
def test_inside_refuses_the_payloads(tmp_path: Path, payload: str) -> None:
    (tmp_path / "root").mkdir()
    (tmp_path / "root" / "out").symlink_to(tmp_path)
    with pytest.raises(InputError):
        safety.inside(tmp_path / "root", payload, "unit output")


def test_inside_without_following_refuses_symlinked_parents(tmp_path: Path) -> None:
    (tmp_path / "etc").symlink_to("/etc")
    assert safety.inside(tmp_path, "etc", "member", follow_last=False) == tmp_path / "etc"
    with pytest.raises(InputError, match="passes through the symlink etc"):
        safety.inside(tmp_path, "etc/passwd", "member", follow_last=False)


@HEALTH
@given(name=TEXT)
def test_a_configuration_name_is_one_harmless_file_name(tmp_path: Path, name: str) -> None:
    try:
        safety.config_name(name, "app.yaml")
    except InputError as exc:
        assert exc.path == "app.yaml"
        return
    assert (tmp_path / "builds" / name).resolve().parent == (tmp_path / "builds").resolve()
    assert not name.startswith((".", "-", "+")) and shlex.quote(name) == name


@given(name=st.from_regex(safety.CONFIG_NAME, fullmatch=True))
def test_every_name_of_the_configuration_form_is_accepted(name: str) -> None:
    assert safety.config_name(name) == name


@pytest.mark.parametrize("good", ["None", "SSE4.1", "AVX2_256", "OPENMP+AVX_512", "default"])
def test_the_bundled_configuration_names_are_accepted(good: str) -> None:
    assert safety.config_name(good) == good


@HEALTH
@given(name=TEXT)
def test_a_function_name_picks_a_file_directly_in_its_directory(tmp_path: Path,
                                                                name: str) -> None:
    try:
        safety.func_name(name, "wf.json")
    except InputError:
        return
    assert (tmp_path / f"{name}.py").resolve().parent == tmp_path.resolve()
    assert name.isidentifier() and name.isascii()


@given(name=TEXT)
def test_an_accepted_state_name_round_trips_through_every_quoting(name: str) -> None:
    try:
        safety.state_name(name, "durable")
    except InputError:
        return
    assert ast.literal_eval(repr(name)) == name
    assert ast.literal_eval('"""' + safety.doc_text(name) + '"""') == name
    assert "\n" not in safety.doc_text(name) and "\n" not in repr(name)


@given(text=st.text())
def test_doc_text_can_never_end_a_docstring_or_a_comment(text: str) -> None:
    escaped = safety.doc_text(text)
    assert ast.literal_eval('"""' + escaped + '"""') == text
    assert '"' not in escaped.replace('\\"', "") and "\n" not in escaped


@given(name=TEXT)
def test_an_identifier_is_one_python_name(name: str) -> None:
    try:
        safety.identifier(name, "activity name")
    except InputError:
        return
    assert isinstance(ast.parse(name, mode="eval").body, ast.Name)


KINDS = sorted(safety.SETTINGS)


@HEALTH
@given(kind=st.sampled_from(KINDS), value=TEXT)
def test_an_accepted_setting_needs_no_quoting_in_a_shell_or_a_script(kind: str,
                                                                     value: str) -> None:
    try:
        safety.setting(kind, value, "$XAAS_ACCOUNT")  # type: ignore[arg-type]
    except InputError as exc:
        assert exc.path == "$XAAS_ACCOUNT" and kind.replace("_", " ") in exc.problem
        return
    assert shlex.split(value) == [value] and shlex.quote(value) == value
    assert value.isascii() and value.isprintable()


@pytest.mark.parametrize(("kind", "value"), [
    ("account", "p1;touch x"), ("account", "p1\n#SBATCH --uid=0"), ("account", "$(id)"),
    ("partition", "normal --wrap=id"), ("uenv", "a`id`"), ("view", "default\n"),
    ("module", "gcc; rm -rf ~"), ("env_key", "A=1\n%post"), ("label_key", "k v")])
def test_the_payloads_are_refused(kind: str, value: str) -> None:
    with pytest.raises(InputError):
        safety.setting(kind, value)  # type: ignore[arg-type]


@pytest.mark.parametrize(("kind", "value"), [
    ("account", "csstaff"), ("account", "g34"), ("partition", "normal"), ("queue", "debug-scaling"),
    ("uenv", "prgenv-gnu/24.11:v1"), ("uenv", "prgenv-gnu/24.11:v1@daint"), ("view", "default"),
    ("view", "prgenv-gnu:default,modules"), ("module", "cray-mpich/8.1.30"),
    ("filesystems", "home:flare"), ("nodelist", "ault[23-24]"),
    ("label_key", "org.opencontainers.image.title")])
def test_real_site_values_are_accepted(kind: str, value: str) -> None:
    assert safety.setting(kind, value) == value  # type: ignore[arg-type]

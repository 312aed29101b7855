"""``xaas run IMAGE -- CMD``: site conventions on the real engine (uid/gid, no network,
read-only image, declared binds), exit code, output and timing; ownership as a real user."""

from __future__ import annotations

import grp
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from xaas_parsl.containers.run import make_spec, run
from xaas_parsl.errors import InputError, ToolError

TEST_USER = "xaas-run-test"
PROBE = ("id -u; id -g; cat /proc/net/dev | tail -n +3 | cut -d: -f1 | tr -d ' ' | sort | "
         "tr '\\n' ,; echo; (touch /opt/probe 2>/dev/null && echo root-rw) || echo root-ro; "
         "(touch /tmp/probe && echo tmp-rw); (touch /data/x 2>/dev/null && echo bind-rw) || "
         "echo bind-ro; cat /data/hello.txt; echo to-stderr >&2; exit 3")


@pytest.fixture(scope="module")
def probe(bases: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One run of the probe script in the runtime image with a read-only bind."""
    data = tmp_path_factory.mktemp("bind")
    (data / "hello.txt").write_text("hello from the host\n")
    spec = make_spec(bases["runtime"], ["sh", "-c", PROBE], [f"{data}:/data"], ["A=1"])
    return run(spec)


def test_exit_code_output_and_timing(probe: dict[str, Any]) -> None:
    assert probe["exit_code"] == 3
    assert "hello from the host" in probe["stdout"] and "to-stderr" not in probe["stdout"]
    assert probe["stderr"].strip() == "to-stderr"
    assert probe["seconds"] > 0


def test_invoking_user_no_network_read_only(probe: dict[str, Any]) -> None:
    lines = probe["stdout"].splitlines()
    assert lines[0] == str(os.getuid()) and lines[1] == str(os.getgid())
    assert lines[2] == "lo,"  # --network none: loopback only
    assert "root-ro" in lines and "tmp-rw" in lines and "bind-ro" in lines
    argv = probe["argv"]
    assert argv[:2] == ["docker", "run"] and "--read-only" in argv
    assert argv[argv.index("--network") + 1] == "none"


@pytest.fixture(scope="module")
def test_user() -> Iterator[pwd.struct_passwd]:
    """A non-root user created for the ownership test, in the docker group."""
    if os.geteuid() != 0 or shutil.which("useradd") is None:
        pytest.skip("creating a test user needs root and useradd")
    created = False
    try:
        pwd.getpwnam(TEST_USER)
    except KeyError:
        subprocess.run(["useradd", "--no-create-home", "--shell", "/usr/sbin/nologin",
                        TEST_USER], check=True)
        created = True
    yield pwd.getpwnam(TEST_USER)
    if created:
        subprocess.run(["userdel", TEST_USER], check=False)


def _as_user(user: pwd.struct_passwd, argv: list[str], warm_up: list[str]) -> tuple[int, str]:
    """Run ``xaas`` (its ``main``) in a forked child that dropped to ``user`` (plus the docker
    group), as a login of that user would; returns its exit code and stdout. Forking instead
    of executing ``.venv/bin/xaas`` works even where the interpreter lives under ``/root``."""
    import io
    import json
    from contextlib import redirect_stdout

    from xaas_parsl.cli.main import main

    # The child may be unable to read the interpreter's library (e.g. a pyenv under /root):
    # one identical call as the current user first imports every module the run needs.
    with redirect_stdout(io.StringIO()):
        main(warm_up)
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: never returns into pytest
        code = 99
        try:
            os.close(read_fd)
            os.setgroups([grp.getgrnam("docker").gr_gid])
            os.setgid(user.pw_gid)
            os.setuid(user.pw_uid)
            buf = io.StringIO()
            with redirect_stdout(buf):
                code = main(argv)
            os.write(write_fd, json.dumps([code, buf.getvalue()]).encode())
        except BaseException as exc:  # reported to the parent
            os.write(write_fd, json.dumps([-1, f"{type(exc).__name__}: {exc}"]).encode())
        finally:
            os._exit(0 if code != 99 else 1)
    os.close(write_fd)
    with os.fdopen(read_fd, "rb") as handle:
        data = handle.read()
    os.waitpid(pid, 0)
    assert data, "the child running as the test user died"
    code, out = json.loads(data)
    assert code != -1, out
    return int(code), str(out)


def test_files_written_through_a_bind_belong_to_the_invoking_user(
        bases: dict[str, Any], test_user: pwd.struct_passwd) -> None:
    """``xaas run`` invoked *by the test user*: the container runs with its uid/gid and the
    file it writes through a ``:rw`` bind is owned by that user on the host."""
    out = Path(tempfile.mkdtemp(prefix="xaas-run-own-", dir="/tmp"))
    try:
        os.chown(out, test_user.pw_uid, test_user.pw_gid)
        code, stdout = _as_user(test_user, [
            "run", "--bind", f"{out}:/out:rw", bases["runtime"], "--",
            "sh", "-c", "id -u; id -g; touch /out/made-inside"],
            ["run", "--bind", f"{out}:/out", bases["runtime"], "--", "true"])
        assert code == 0
        assert stdout.split() == [str(test_user.pw_uid), str(test_user.pw_gid)]
        made = (out / "made-inside").stat()
        assert (made.st_uid, made.st_gid) == (test_user.pw_uid, test_user.pw_gid)
    finally:
        shutil.rmtree(out, ignore_errors=True)


def test_cli_returns_the_command_exit_code(bases: dict[str, Any],
                                           capsys: pytest.CaptureFixture[str]) -> None:
    from xaas_parsl.cli.main import main

    assert main(["run", bases["runtime"], "--", "sh", "-c", "echo hi; exit 5"]) == 5
    captured = capsys.readouterr()
    assert captured.out == "hi\n" and "exit 5" in captured.err


def test_missing_image_and_bad_binds(engine: Any) -> None:
    with pytest.raises(InputError, match="no such image"):
        run(make_spec("xaas-no-such-image:1", ["true"], [], []))
    with pytest.raises(InputError, match="does not exist"):
        make_spec("x", ["true"], ["/no/such/dir:/d"], [])
    with pytest.raises(InputError, match="SRC:DST"):
        make_spec("x", ["true"], ["justone"], [])


def test_engine_not_reachable_is_one_clear_error(monkeypatch: pytest.MonkeyPatch,
                                                 tmp_path: Path) -> None:
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-docker.sock")
    with pytest.raises(ToolError, match=r"no Docker engine.*dockerd --storage-driver=vfs"):
        run(make_spec("any:1", ["true"], [], []))

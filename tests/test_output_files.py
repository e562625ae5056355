"""Where results go: a symlink is followed, a FIFO or a device is written into, never replaced."""

from __future__ import annotations

import json
import os
import resource
import stat
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import invoke

from healloop.writes import write_atomic

DEV_NULL = Path(os.devnull)
DEV_STDOUT = Path("/dev/stdout")


def impact(repo: Path, output: Path, *extra: str):
    return invoke("impact", "calc/ops.py", "--repo", repo, "--output", output, *extra)


class FifoReader:
    """Read a FIFO to its end in a thread, as another program at its other end would."""

    def __init__(self, path: Path) -> None:
        os.mkfifo(path)
        self.path, self.data = path, b""
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        with open(self.path, "rb") as fh:  # blocks until a writer opens it
            self.data = fh.read()

    def text(self) -> str:
        self.thread.join(timeout=30)
        assert not self.thread.is_alive(), "nobody wrote into the FIFO"
        return self.data.decode()


@pytest.fixture
def devices() -> Iterator[None]:
    """Make sure /dev/null and /dev/stdout are what they were after the test.

    A writer that replaced them would leave the machine without them when the tests
    run as root: put them back rather than break everything after this test.
    """
    yield
    replaced = []
    if not stat.S_ISCHR(DEV_NULL.lstat().st_mode):
        replaced.append(str(DEV_NULL))
        DEV_NULL.unlink()
        os.mknod(DEV_NULL, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
        os.chmod(DEV_NULL, 0o666)
    if not DEV_STDOUT.is_symlink():
        replaced.append(str(DEV_STDOUT))
        DEV_STDOUT.unlink()
        DEV_STDOUT.symlink_to("/proc/self/fd/1")
    assert not replaced, f"{replaced} replaced by regular files (restored)"


def test_output_onto_a_symlink_writes_the_file_it_points_to(calc_repo, tmp_path):
    (tmp_path / "reports").mkdir()
    real = tmp_path / "reports" / "impact.json"
    real.write_text("old\n")
    link = tmp_path / "link.json"
    link.symlink_to(real)
    result = impact(calc_repo, link)
    assert result.exit_code == 0, result.output
    assert link.is_symlink() and link.readlink() == real
    assert json.loads(real.read_text())["target"] == "calc/ops.py"
    assert sorted(p.name for p in real.parent.iterdir()) == ["impact.json"]


def test_output_onto_a_dangling_symlink_creates_the_file_it_names(calc_repo, tmp_path):
    link = tmp_path / "link.json"
    link.symlink_to(tmp_path / "made.json")
    result = impact(calc_repo, link)
    assert result.exit_code == 0, result.output
    assert link.is_symlink()
    assert json.loads((tmp_path / "made.json").read_text())["target"] == "calc/ops.py"


def test_output_into_a_fifo_is_written_into_it_and_the_fifo_stays(calc_repo, tmp_path):
    fifo = tmp_path / "impact.json"
    reader = FifoReader(fifo)
    result = impact(calc_repo, fifo)
    assert result.exit_code == 0, result.output
    assert json.loads(reader.text())["target"] == "calc/ops.py"
    assert stat.S_ISFIFO(fifo.lstat().st_mode)


@pytest.mark.usefixtures("devices")
def test_output_to_dev_null_leaves_the_device(calc_repo):
    result = impact(calc_repo, DEV_NULL, "--format", "json")
    assert result.exit_code == 0, result.output
    assert f"wrote {DEV_NULL}" in result.output
    assert stat.S_ISCHR(DEV_NULL.lstat().st_mode)


@pytest.mark.slow
@pytest.mark.skipif(not DEV_STDOUT.is_symlink(), reason="no /dev/stdout link here")
@pytest.mark.usefixtures("devices")
def test_output_to_dev_stdout_goes_down_the_pipe(calc_repo):
    proc = subprocess.run(
        [sys.executable, "-m", "healloop", "impact", "calc/ops.py", "--repo", str(calc_repo),
         "--output", str(DEV_STDOUT), "--format", "json"],
        capture_output=True, text=True, check=False, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["target"] == "calc/ops.py"
    assert DEV_STDOUT.is_symlink()


@pytest.mark.slow
@pytest.mark.skipif(not DEV_STDOUT.is_symlink(), reason="no /dev/stdout link here")
@pytest.mark.usefixtures("devices")
def test_output_to_dev_stdout_redirected_into_a_file_writes_into_that_file(calc_repo, tmp_path):
    (tmp_path / "reports").mkdir()
    out = tmp_path / "reports" / "impact.json"
    with out.open("w") as fh:  # as `healloop impact ... --output /dev/stdout > impact.json`
        inode = os.fstat(fh.fileno()).st_ino
        proc = subprocess.run(
            [sys.executable, "-m", "healloop", "impact", "calc/ops.py", "--repo", str(calc_repo),
             "--output", str(DEV_STDOUT), "--format", "json"],
            stdout=fh, stderr=subprocess.PIPE, text=True, check=False, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert out.stat().st_ino == inode  # the shell's file, not one put in its place
    assert json.loads(out.read_text())["target"] == "calc/ops.py"
    assert [p.name for p in out.parent.iterdir()] == ["impact.json"]


@pytest.mark.skipif(not Path("/dev/shm").is_dir(), reason="no /dev/shm here")
def test_a_regular_file_under_dev_is_replaced_not_appended_to(tmp_path):
    path = Path("/dev/shm") / f"healloop-test-{tmp_path.name}.json"
    try:
        write_atomic(path, "old\n")
        write_atomic(path, "new\n")
        assert path.read_text() == "new\n"
    finally:
        path.unlink(missing_ok=True)


def test_report_into_a_fifo_is_written_into_it(tmp_path):
    from test_reports import healed_state

    from healloop.reports import write_report

    fifo = tmp_path / "run.md"
    reader = FifoReader(fifo)
    write_report(healed_state(), fifo, thread_id="heal-1")
    assert reader.text().startswith("# ")
    assert stat.S_ISFIFO(fifo.lstat().st_mode)


@pytest.mark.slow
def test_an_output_that_cannot_be_written_is_one_line_and_no_wrote(calc_repo, tmp_path):
    out = tmp_path / "impact.json"
    assert impact(calc_repo, out).exit_code == 0  # warm: the run below writes only out
    out.unlink()

    def small_files() -> None:  # as a full disk would: EFBIG (Python ignores SIGXFSZ)
        resource.setrlimit(resource.RLIMIT_FSIZE, (64, 64))

    proc = subprocess.run(
        [sys.executable, "-m", "healloop", "impact", "calc/ops.py", "--repo", str(calc_repo),
         "--output", str(out)], capture_output=True, text=True, preexec_fn=small_files,
        check=False, timeout=120)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.strip().splitlines() == [
        f"healloop: error: report {out}: cannot write: File too large"]
    assert not out.exists()


def test_write_atomic_through_a_relative_symlink_writes_its_file_and_keeps_the_link(tmp_path):
    real = tmp_path / "real.py"
    real.write_text("old = 1\n")
    link = tmp_path / "mod.py"
    link.symlink_to(real.name)
    write_atomic(link, "new = 2\n")
    assert link.is_symlink() and os.readlink(link) == "real.py"
    assert real.read_text() == "new = 2\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mod.py", "real.py"]


def test_write_atomic_writes_into_a_fifo(tmp_path):
    fifo = tmp_path / "out.py"
    reader = FifoReader(fifo)
    write_atomic(fifo, "x = 1\n")
    assert reader.text() == "x = 1\n"
    assert stat.S_ISFIFO(fifo.lstat().st_mode)

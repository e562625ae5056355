"""Scratch copies: what is copied, what is shared, and putting a used copy back."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from healloop.sandbox import Workspace, WorkspacePool, capabilities, shared_pool
from healloop.sandbox.snapshot import LINK_MIN_BYTES
from healloop.state import FileChange

BIG = LINK_MIN_BYTES * 2


def make_repo(root: Path, files: dict[str, str | bytes]) -> Path:
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return root


def tree(root: Path) -> dict[str, bytes | None]:
    """Map every path under root to its bytes (None for folders)."""
    found: dict[str, bytes | None] = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        found[rel] = None if path.is_dir() else path.read_bytes()
    return found


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return make_repo(tmp_path / "repo", {
        "pkg/__init__.py": "",
        "pkg/core.py": "def f():\n    return 1\n",
        "pkg/build/__init__.py": "# a package named build, deep down: kept\n",
        "tests/test_core.py": "from pkg.core import f\n\ndef test_f():\n    assert f() == 1\n",
        "tests/data/table.bin": os.urandom(BIG),
        "big_module.py": "x = 1\n" * (BIG // 6),
        ".git/HEAD": "ref: refs/heads/main\n",
        ".venv/pyvenv.cfg": "home = /usr\n",
        "env/pyvenv.cfg": "home = /usr\n",
        "pkg/__pycache__/core.cpython-311.pyc": b"\0" * 16,
        "build/lib/pkg/core.py": "stale\n",
        "dist/pkg-1.0.tar.gz": b"\0",
        "pkg.egg-info/PKG-INFO": "x\n",
        ".pytest_cache/v/x": "x\n",
        ".coverage": b"\0",
        "node_modules/x/index.js": "x\n",
    })


def test_copy_leaves_out_vcs_virtualenvs_caches_and_build_outputs(repo: Path) -> None:
    with Workspace(repo) as ws:
        copied = set(tree(ws.path))
    assert {"pkg/core.py", "pkg/build/__init__.py", "tests/test_core.py",
            "tests/data/table.bin", "big_module.py"} <= copied
    for left_out in (".git", ".venv", "env", "pkg/__pycache__", "build", "dist",
                     "pkg.egg-info", ".pytest_cache", ".coverage", "node_modules"):
        assert left_out not in copied


def test_exclude_leaves_out_more_names(repo: Path) -> None:
    with Workspace(repo, exclude=["data"]) as ws:
        assert not (ws.path / "tests" / "data").exists()
        assert (ws.path / "tests" / "test_core.py").exists()


@pytest.mark.skipif(not capabilities().protects_links,
                    reason="test runs cannot keep hard links read-only here")
def test_large_data_is_hard_linked_but_sources_are_copied(repo: Path) -> None:
    with Workspace(repo) as ws:
        data, source = ws.path / "tests/data/table.bin", ws.path / "big_module.py"
        assert data.stat().st_ino == (repo / "tests/data/table.bin").stat().st_ino
        assert source.stat().st_ino != (repo / "big_module.py").stat().st_ino
        assert ws.linked_files() == [str(data)]


def test_without_link_protection_nothing_is_hard_linked(repo: Path) -> None:
    with Workspace(repo) as ws:
        assert bool(ws.linked_files()) == capabilities().protects_links
    with Workspace(repo, links="copy") as ws:
        assert ws.linked_files() == []
        assert ws.counts().get("hardlink", 0) == ws.counts().get("reflink", 0) == 0
        assert tree(ws.path)["tests/data/table.bin"] == (repo / "tests/data/table.bin").read_bytes()


def test_apply_replaces_a_linked_file_and_leaves_the_users_file_alone(repo: Path) -> None:
    before = (repo / "tests/data/table.bin").read_bytes()
    with Workspace(repo) as ws:
        ws.apply([FileChange(path="tests/data/table.bin", content="new"),
                  FileChange(path="pkg/new_module.py", content="y = 2\n")])
        assert (ws.path / "tests/data/table.bin").read_text(encoding="utf-8") == "new"
        assert ws.linked_files() == []
    assert (repo / "tests/data/table.bin").read_bytes() == before
    assert not (repo / "pkg/new_module.py").exists()


@pytest.mark.parametrize("path", ["../escape.py", "/tmp/escape.py", "pkg/../../escape.py", ""])
def test_write_refuses_paths_that_leave_the_copy(repo: Path, path: str) -> None:
    with Workspace(repo) as ws, pytest.raises(ValueError):
        ws.write(path, "x = 1\n")


def test_write_refuses_to_follow_a_symlink_out_of_the_copy(repo: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (repo / "linked").symlink_to(outside)
    with Workspace(repo) as ws:
        with pytest.raises(ValueError, match="symlink"):
            ws.write("linked/evil.py", "x = 1\n")
        with pytest.raises(ValueError, match="symlink"):
            ws.write("linked/new/evil.py", "x = 1\n")
    assert list(outside.iterdir()) == []


def test_reset_undoes_every_change_a_run_made_and_only_those(repo: Path) -> None:
    with Workspace(repo) as ws:
        untouched = ws.path / "tests/test_core.py"
        inode = untouched.stat().st_ino
        core = ws.path / "pkg/core.py"
        st = core.stat()
        core.write_text("def f():\n    return 2\n", encoding="utf-8")  # same size,
        os.utime(core, ns=(st.st_atime_ns, st.st_mtime_ns))  # and a forged mtime
        (ws.path / "big_module.py").unlink()
        ws.write("pkg/__init__.py", "import os\n")
        (ws.path / "pkg/build/__init__.py").unlink()
        (ws.path / "pkg/build").rmdir()
        (ws.path / "stray.txt").write_text("litter", encoding="utf-8")
        (ws.path / "stray_dir/deeper").mkdir(parents=True)
        (ws.path / "tests/data/table.bin").unlink()
        (ws.path / "tests/data/table.bin").mkdir()
        os.chmod(ws.path / "tests", 0)

        repaired = ws.reset()

        assert repaired >= 7
        assert untouched.stat().st_ino == inode
        with Workspace(repo) as fresh:
            assert tree(ws.path) == tree(fresh.path)
        assert stat.S_IMODE((ws.path / "tests").stat().st_mode) & stat.S_IRWXU == stat.S_IRWXU


def test_reset_follows_changes_the_user_made_to_the_repository(repo: Path) -> None:
    with Workspace(repo) as ws:
        (repo / "pkg/core.py").write_text("def f():\n    return 3\n", encoding="utf-8")
        (repo / "pkg/extra.py").write_text("E = 1\n", encoding="utf-8")
        (repo / "big_module.py").unlink()
        (repo / "tests/data/table.bin").write_bytes(b"replaced")
        ws.reset()
        with Workspace(repo) as fresh:
            assert tree(ws.path) == tree(fresh.path)


def test_reset_empties_home_tmp_and_whatever_a_run_left_beside_the_copy(repo: Path) -> None:
    with Workspace(repo) as ws:
        (ws.home / ".config").mkdir()
        (ws.tmp / "junk").write_text("x", encoding="utf-8")
        (ws.root / "coverage.json").write_text("{}", encoding="utf-8")
        ws.reset()
        assert sorted(p.name for p in ws.root.iterdir()) == ["home", "repo", "tmp"]
        assert list(ws.home.iterdir()) == list(ws.tmp.iterdir()) == []


def test_close_deletes_the_scratch_folder_even_when_permissions_were_taken(repo: Path) -> None:
    ws = Workspace(repo)
    os.chmod(ws.path / "pkg", 0)
    ws.close()
    assert not ws.root.exists()


def test_deleting_a_tree_never_changes_the_folder_that_holds_it(tmp_path: Path) -> None:
    from healloop.sandbox.snapshot import rmtree

    # Two processes sweep the same dead scratch folder: the second finds it gone.
    # It once gave the holding folder (the system's /tmp) mode 0700 on the way.
    holder = tmp_path / "tmp"
    holder.mkdir(mode=0o1777)
    holder.chmod(0o1777)
    rmtree(holder / "healloop-gone")
    scratch = holder / "healloop-locked"
    (scratch / "pkg").mkdir(parents=True)
    os.chmod(scratch / "pkg", 0)
    rmtree(scratch)
    assert not scratch.exists()
    assert stat.S_IMODE(holder.stat().st_mode) == 0o1777


def test_a_pool_hands_out_the_same_copy_again_reset(repo: Path) -> None:
    with WorkspacePool(repo, size=1) as pool:
        with pool.workspace() as ws:
            first = ws.root
            ws.write("pkg/core.py", "broken(\n")
        with pool.workspace() as ws:
            assert ws.root == first
            restored = (ws.path / "pkg/core.py").read_text(encoding="utf-8")
            assert restored == "def f():\n    return 1\n"
    assert not first.exists()


def test_a_pool_never_lends_one_copy_to_two_callers_at_once(repo: Path) -> None:
    roots: list[Path] = []
    both_inside = threading.Barrier(2, timeout=30)

    def use(pool: WorkspacePool) -> None:
        with pool.workspace() as ws:
            roots.append(ws.root)
            both_inside.wait()

    with WorkspacePool(repo, size=2) as pool:
        threads = [threading.Thread(target=use, args=(pool,)) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert len(set(roots)) == 2


def test_the_shared_pool_of_a_repository_is_one_pool(repo: Path) -> None:
    pool = shared_pool(repo)
    assert shared_pool(repo / "pkg" / "..") is pool
    assert shared_pool(repo, links="copy") is not pool
    with pool.workspace() as ws:
        assert (ws.path / "pkg/core.py").exists()


def test_scratch_folders_of_killed_processes_are_swept(repo: Path, tmp_path: Path) -> None:
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True).stdout.strip()
    stale, recent, alive = (scratch / f"healloop-{dead}-old12345",
                            scratch / f"healloop-{dead}-new12345",
                            scratch / f"healloop-{os.getppid()}-live1234")
    for folder in (stale, recent, alive):
        (folder / "repo").mkdir(parents=True)
    for folder in (stale, alive):
        os.utime(folder, (1, 1))
    with Workspace(repo, root=scratch) as ws:
        assert ws.root.parent == scratch
        assert not stale.exists()
        assert recent.exists() and alive.exists()

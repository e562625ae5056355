"""What git history says about a file: what changes with it, and why its lines exist.

Structure shows what *can* break; history shows what *did* have to change together
before. Files that moved with the target in past commits (co-change, as association
rules with support and confidence) are the likeliest to need a matching change, and
the commits that introduced the target's lines (the decision trail) explain why the
code is the way it is. Every git command runs with the repository as its working
directory, so the answers never depend on where healloop was started.
"""

from __future__ import annotations

import hashlib
import math
import subprocess
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from healloop.analysis.cache import cache_file, read_json, write_json
from healloop.state import CoChange, Decision

LOG_LIMIT = 3000
DECISIONS_VERSION = 3
"""Bump when what the decision cache holds changes."""
LARGE_COMMIT = 30
"""Commits touching more files than this are sweeping edits, not evidence of coupling."""


class GitError(Exception):
    """A git command failed where the repository was expected to answer."""


def git(repo: Path, *args: str, check: bool = True) -> str:
    """Run git in repo and return its standard output."""
    proc = subprocess.run(
        ["git", "-c", "core.quotepath=off", *args], cwd=repo, capture_output=True,
        text=True, encoding="utf-8", errors="replace", check=False,
    )
    if check and proc.returncode != 0:
        raise GitError(f"git {args[0]} failed: {proc.stderr.strip()[:300]}")
    return proc.stdout


def git_state(repo: Path) -> tuple[str | None, str]:
    """Return (HEAD commit or None, a note saying why history is limited or '')."""
    proc = subprocess.run(
        ["git", "rev-parse", "--is-inside-work-tree", "--is-shallow-repository", "HEAD"],
        cwd=repo, capture_output=True, text=True, check=False,
    )
    lines = proc.stdout.split()
    if proc.returncode != 0 or not lines or lines[0] != "true":
        if lines and lines[0] == "true":
            return None, "git repository without commits: history off"
        return None, "not a git repository: history off"
    head = lines[2] if len(lines) > 2 else None
    if len(lines) > 1 and lines[1] == "true":
        return head, "shallow clone: history covers only the commits fetched"
    return head, ""


@dataclass
class Commit:
    """One non-merge commit: when, and which files it touched (as named at HEAD)."""

    sha: str
    time: int
    files: list[str]
    renames: dict[str, str] = field(default_factory=dict)
    """Old path -> new path for files this commit renamed."""


def read_log(repo: Path, rev: str = "HEAD", limit: int | None = LOG_LIMIT) -> list[Commit]:
    """Return the non-merge commits reachable from rev, newest first."""
    args = ["log", "--no-merges", "--name-status", "-M", "--format=@%H %ct", "--relative"]
    if limit:
        args.append(f"-n{limit}")
    out = git(repo, *args, rev, "--")
    commits: list[Commit] = []
    for line in out.splitlines():
        if line.startswith("@"):
            sha, _, stamp = line[1:].partition(" ")
            commits.append(Commit(sha, int(stamp or 0), []))
        elif line and commits:
            status, *paths = line.split("\t")
            if status.startswith("R") and len(paths) == 2:
                commits[-1].renames[paths[0]] = paths[1]
                commits[-1].files.append(paths[1])
            elif paths:
                commits[-1].files.append(paths[-1])
    return commits


def follow_renames(commits: list[Commit]) -> list[Commit]:
    """Return commits (newest first) with every path named as the newest commit knows it."""
    alias: dict[str, str] = {}
    out = []
    for commit in commits:
        files = [alias.get(f, f) for f in commit.files]
        out.append(Commit(commit.sha, commit.time, files, commit.renames))
        for old, new in commit.renames.items():
            alias[old] = alias.get(new, new)
    return out


class History:
    """Co-change statistics over a window of commits, newest first."""

    def __init__(self, commits: list[Commit], *, large: int = LARGE_COMMIT) -> None:
        """Index commits (newest first, paths as named now) by file."""
        self.commits = commits
        self.large = large
        self.by_file: dict[str, list[int]] = {}
        for index, commit in enumerate(commits):
            if len(commit.files) > large:
                continue
            for path in commit.files:
                self.by_file.setdefault(path, []).append(index)

    def changes(self, path: str) -> int:
        """Return how many (not sweeping) commits touched path."""
        return len(self.by_file.get(path, ()))

    def bulk_changes(self, path: str) -> int:
        """Return how many sweeping commits (left out of co-change) touched path."""
        return sum(path in c.files for c in self.commits if len(c.files) > self.large)

    def co_changes(self, path: str, *, top: int = 20, min_support: int = 2) -> list[CoChange]:
        """Return the files that changed with path, by confidence then support."""
        mine = self.by_file.get(path, [])
        together: Counter[str] = Counter()
        for index in mine:
            together.update(f for f in self.commits[index].files if f != path)
        rules = [
            CoChange(file=f, support=n, confidence=round(n / len(mine), 4))
            for f, n in together.items() if n >= min_support
        ]
        rules.sort(key=lambda r: (-r.confidence, -r.support, r.file))
        return rules[:top]

    def weighted(self, path: str, *, half_life: int = 150) -> dict[str, float]:
        """Return co-change evidence per file, recent commits and small ones weighing more.

        Each commit that touched path adds, to every other file it touched, a weight
        that halves every ``half_life`` commits of age and shrinks with the commit's
        size (a commit of many files says less about any one pair).
        """
        scores: Counter[str] = Counter()
        for index in self.by_file.get(path, []):
            files = self.commits[index].files
            weight = 0.5 ** (index / half_life) / math.log2(1 + len(files))
            for other in files:
                if other != path:
                    scores[other] += weight
        return dict(scores)


@dataclass
class Trail:
    """Why the target's lines exist: the commits that introduced them, and what blame cannot say."""

    decisions: list[Decision]
    uncommitted: int = 0
    """Lines changed in the working tree since HEAD."""
    cut_short: int = 0
    """Lines blame stops at a shallow clone's oldest commit with: their origin is not fetched."""
    skipping: str = ""
    """What listed the commits blame looked through (reformatting), or ''."""
    skip_failed: str = ""
    """Why blame could not skip the commits a list names, or ''."""


IGNORE_REVS_FILE = ".git-blame-ignore-revs"
"""The list of commits to look through that GitHub's blame honours by convention."""


def ignored_revs(repo: Path) -> tuple[list[str], str, list[Path]]:
    """Return blame's options to skip the commits the repository lists, the list, its files.

    git honours ``blame.ignoreRevsFile`` itself; the conventional file at the top of
    the work tree it honours only when told, so it is passed when nothing is configured.
    """
    configured = git(repo, "config", "--get-all", "blame.ignoreRevsFile",
                     check=False).splitlines()
    if configured:
        return [], f"blame.ignoreRevsFile ({', '.join(configured)})", [
            repo / name for name in configured]
    listed = Path(git(repo, "rev-parse", "--show-toplevel").strip()) / IGNORE_REVS_FILE
    if listed.is_file():
        return ["--ignore-revs-file", str(listed)], IGNORE_REVS_FILE, [listed]
    return [], "", []


def ignored_revs_stamp(repo: Path) -> str:
    """Return a digest that changes whenever the commits blame looks through change."""
    _, skipping, lists = ignored_revs(repo)
    digest = hashlib.sha1(skipping.encode())
    for listed in lists:  # a list edited in the work tree changes what blame says
        digest.update(listed.read_bytes() if listed.is_file() else b"-")
    return digest.hexdigest()[:16]


def shallow_commits(repo: Path) -> set[str]:
    """Return the commits a shallow clone was cut at (their parents were not fetched)."""
    path = Path(git(repo, "rev-parse", "--git-path", "shallow").strip())
    try:
        return set((repo / path).read_text(encoding="utf-8").split())
    except OSError:  # not a shallow clone
        return set()


def decisions(repo: Path, path: str, *, top: int = 10) -> Trail:
    """Return the commits that introduced path's lines (most lines first), and what blame missed.

    Runs ``git blame`` with repo as the working directory. Blame marks a line of a
    commit without parents with ``boundary``: in a shallow clone that commit is where
    the fetched history stops, not the commit that introduced the line (it is one of
    requests' latest commits for every line of a file), so it is no decision. A real
    root commit did introduce its lines and stays one. Commits the repository lists
    for blame to look through (a reformatting) are skipped; a list git refuses (a
    configured file that is missing, a line that names no commit) is said, and
    blame runs without it.
    """
    options, skipping, _ = ignored_revs(repo)
    failed = ""
    try:
        out = git(repo, "blame", "--line-porcelain", "-w", *options, "--", path)
    except GitError as exc:
        if not skipping:
            raise
        failed = str(exc)
        out = git(repo, "blame", "--line-porcelain", "-w", "--no-ignore-revs-file", "--",
                  path)
    lines: dict[str, list[int]] = {}
    meta: dict[str, dict[str, str]] = {}
    boundary: set[str] = set()
    current = ""
    for line in out.splitlines():
        if not line.startswith("\t") and len(line) > 40 and line[40:41] == " " and \
                all(c in "0123456789abcdef" for c in line[:40]):
            current = line[:40]
            lines.setdefault(current, []).append(int(line.split()[2]))
            meta.setdefault(current, {})
        elif line == "boundary":
            boundary.add(current)
        elif line.startswith(("author ", "author-time ", "summary ")):
            key, _, value = line.partition(" ")
            meta[current].setdefault(key, value)
    uncommitted = len(lines.pop("0" * 40, []))
    cut = boundary & shallow_commits(repo) if boundary else set()
    cut_short = sum(len(lines.pop(sha)) for sha in cut if sha in lines)
    ranked = sorted(lines, key=lambda sha: (-len(lines[sha]), sha))[:top]
    out_list = []
    for sha in ranked:
        info = meta[sha]
        stamp = int(info.get("author-time", "0"))
        out_list.append(Decision(
            commit=sha, date=datetime.fromtimestamp(stamp, UTC).strftime("%Y-%m-%d"),
            author=info.get("author", ""), message=info.get("summary", ""),
            lines=sorted(lines[sha]),
        ))
    return Trail(out_list, uncommitted, cut_short, "" if failed else skipping,
                 f"{skipping}: {failed}" if failed else "")


def _read_cache(path: Path | None, head: str) -> dict | None:
    data = read_json(path)
    return data if data.get("head") == head else None


def load_history(repo: Path, head: str, *, limit: int = LOG_LIMIT) -> History:
    """Return the co-change history of the last commits before head, cached per head."""
    path = cache_file(repo, "history.json")
    data = _read_cache(path, head)
    if data is None or data.get("limit") != limit:
        commits = follow_renames(read_log(repo, head, limit))
        data = {"head": head, "limit": limit,
                "commits": [[c.sha, c.time, c.files] for c in commits]}
        write_json(path, data)
    return History([Commit(sha, stamp, files) for sha, stamp, files in data["commits"]])


def load_decisions(repo: Path, head: str, path: str) -> Trail:
    """Return decisions(repo, path), cached per head and content of path."""
    cache = cache_file(repo, "decisions.json")
    data = _read_cache(cache, head)
    if data is None or data.get("version") != DECISIONS_VERSION:
        data = {"head": head, "version": DECISIONS_VERSION, "files": {}}
    content = (repo / path).read_bytes()
    key = f"{path}@{hashlib.sha1(content).hexdigest()}@{ignored_revs_stamp(repo)}"
    if key not in data["files"]:
        trail = decisions(repo, path)
        data["files"][key] = {"decisions": [d.dump() for d in trail.decisions],
                              "uncommitted": trail.uncommitted,
                              "cut_short": trail.cut_short, "skipping": trail.skipping,
                              "skip_failed": trail.skip_failed}
        write_json(cache, data)
    found = data["files"][key]
    return Trail([Decision.model_validate(d) for d in found["decisions"]],
                 found["uncommitted"], found["cut_short"], found["skipping"],
                 found["skip_failed"])

"""A run killed with SIGKILL anywhere resumes to the same result, and never half-writes.

The kills are random (the seed is in the failure message; set HEALLOOP_CRASH_SEED
to replay one) but aimed: at start-up and review, just after a node ends (review,
generation, evaluation), while the run is paused, and just after the approval is
recorded (apply). Each kill takes the process group, sandboxed test runs included.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from healloop.checkpoint import ENV_VAR
from healloop.context import RunContext
from healloop.main import app
from healloop.session import opened
from healloop.writes import locked, write_atomic

TARGET = "calc/ops.py"
ARGS = ("--file", TARGET, "--engine", "offline", "--apply", "--thread-id", "crash", "--json")
PROGRESS = re.compile(r"^\[?healloop\]?\s+([a-z_]+)\b")
"""A progress line on stderr: the name of the node that just finished."""
ORDER = ["blast_radius", "review", "generate", "evaluate", "approve", "apply", "conclude"]


def tree(repo: Path) -> dict[str, bytes]:
    """Return every file of the user's tree (not git's, not healloop's own) by path."""
    return {
        p.relative_to(repo).as_posix(): p.read_bytes()
        for p in repo.rglob("*")
        if p.is_file() and p.relative_to(repo).parts[0] not in (".git", ".healloop")
    }


class Victim:
    """A healloop process that the test may kill; its stderr is read as it comes."""

    def __init__(self, args: list[str], tmp: Path) -> None:
        env = {k: v for k, v in os.environ.items()
               if k not in (ENV_VAR, "OPENAI_API_KEY", "OPENAI_BASE_URL")}
        env["TMPDIR"] = str(tmp)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "healloop", *args], env=env, text=True,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
        )
        self.lines: list[str] = []
        self.nodes: list[str] = []
        self.out: list[str] = []
        self._readers = [threading.Thread(target=self._read_err, daemon=True),
                         threading.Thread(target=self._read_out, daemon=True)]
        for reader in self._readers:
            reader.start()
        self.killed_after = ""

    def _read_out(self) -> None:
        assert self.proc.stdout is not None
        self.out.extend(self.proc.stdout)

    def _read_err(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.lines.append(line.rstrip("\n"))
            if match := PROGRESS.match(line):
                self.nodes.append(match.group(1))

    def kill_after(self, trigger: str | None, delay: float) -> None:
        """Kill the process group delay seconds after start-up, or after node trigger.

        A node the run got past before a kill is not run again, so any later node
        ending also starts the clock.
        """
        later = set(ORDER[ORDER.index(trigger):]) if trigger else set()
        while trigger and self.proc.poll() is None and not later & set(self.nodes):
            time.sleep(0.01)
        deadline = time.monotonic() + delay
        while self.proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.005)
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.killed_after = self.nodes[-1] if self.nodes else "start-up"

    def finish(self) -> tuple[int, str, str]:
        """Wait for the end; return exit code (negative when killed), stdout, stderr."""
        self.proc.wait(timeout=240)
        for reader in self._readers:
            reader.join(timeout=30)
        return self.proc.returncode, "".join(self.out), "\n".join(self.lines)


def last_json(output: str) -> dict:
    return json.loads(output.strip().splitlines()[-1])


# (node whose end starts the clock, or None for start-up; range of the delay after it)
BEFORE_PAUSE = [
    (None, (0.3, 3.0)),            # start-up, blast radius, review
    ("blast_radius", (0.0, 1.0)),  # review: the tests of the original
    ("review", (0.0, 1.0)),        # generation, evaluation
    ("generate", (0.0, 1.0)),      # evaluation of the candidates
]
AFTER_PAUSE = [
    (None, (0.3, 2.5)),            # while paused: before the decision is recorded
    ("approve", (0.0, 0.02)),      # apply
]


@pytest.mark.slow
def test_a_run_killed_anywhere_resumes_to_the_same_result(make_repo, tmp_path, monkeypatch):
    for name in (ENV_VAR, "OPENAI_API_KEY", "OPENAI_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    seed = int(os.environ.get("HEALLOOP_CRASH_SEED", random.randrange(1 << 30)))
    rng = random.Random(seed)
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    reference = make_repo(name="reference")
    ran = CliRunner().invoke(app, ["run", "--repo", str(reference), *ARGS, "--yes"])
    assert ran.exit_code == 0, ran.output
    expected = last_json(ran.stdout)

    repo = make_repo(name="victim")
    before, after = tree(repo), tree(reference)
    assert before != after
    log: list[str] = [f"seed {seed}"]

    def attempt(command: list[str], trigger: str | None, delays: tuple[float, float]) -> int:
        began = time.monotonic()
        victim = Victim(command, tmp)
        victim.kill_after(trigger, rng.uniform(*delays))
        code, _, err = victim.finish()
        said = err.strip().splitlines()[-1:] if code not in (0, 3, -signal.SIGKILL) else []
        log.append(f"{' '.join(command[:2])}: exit {code}, killed after "
                   f"{victim.killed_after or '-'}, {time.monotonic() - began:.1f}s"
                   + "".join(f", said {line!r}" for line in said))
        assert "Traceback" not in err, (log, err)
        return code

    run = ["run", "--repo", str(repo), *ARGS]
    code = 0
    for trigger, delays in BEFORE_PAUSE:
        code = attempt(run, trigger, delays)
        assert code in (3, -signal.SIGKILL), log
        assert tree(repo) == before, log
    if code != 3:
        assert attempt(run, None, (1e9, 1e9)) == 3, log
    approve = ["resume", "crash", "--repo", str(repo), "--approve", "--json"]
    for trigger, delays in AFTER_PAUSE:
        attempt(approve, trigger, delays)
        now = tree(repo)
        leftovers = {p for p in now.keys() - before.keys() if p.endswith(".healloop")}
        assert now.keys() - leftovers == before.keys(), log
        for path, data in before.items():
            assert now[path] in (data, after[path]), (path, log)

    final = Victim(run, tmp)
    code, out, err = final.finish()
    if code == 3:  # every kill came before the decision was recorded
        final = Victim(approve, tmp)
        code, out, err = final.finish()
    assert code == 0, (log, err)
    result = last_json(out)
    for key in ("status", "score", "original_score", "iterations_used", "diff", "reason"):
        assert result[key] == expected[key], (key, log)
    assert tree(repo) == after, log
    print("\n".join(log))


UNTIDY = "import os\nimport sys\n\n\ndef add(a, b):\n    return a + b\n"
"""A target ruff can tidy, with no tests: a run of it pauses within a second or two."""


def test_an_apply_replayed_after_a_kill_finishes_its_own_work(make_repo, monkeypatch):
    monkeypatch.delenv(ENV_VAR, raising=False)
    repo = make_repo({"calc.py": UNTIDY})
    flags = ["--file", "calc.py", "--engine", "offline", "--apply", "--threshold", "0.9"]
    cli = CliRunner()
    paused = cli.invoke(app, ["run", "--repo", str(repo), *flags, "--thread-id", "k1"])
    assert paused.exit_code == 3, paused.output
    applied = cli.invoke(app, ["resume", "k1", "--repo", str(repo), "--approve"])
    assert applied.exit_code == 0, applied.output
    healed = (repo / "calc.py").read_bytes()
    assert healed != UNTIDY.encode()
    with opened(repo, None) as graph:
        history = graph.get_state_history({"configurable": {"thread_id": "k1"}})
        before_apply = next(s for s in history if s.next == ("apply",))
        # As if the process died after writing, before the checkpoint said so.
        replayed = graph.invoke(None, before_apply.config, context=RunContext(engine="offline"))
    assert replayed["status"] == "accepted", replayed.get("reason")
    assert (repo / "calc.py").read_bytes() == healed


WRITER = """
import sys
from pathlib import Path
from healloop.writes import locked, write_atomic
path = Path(sys.argv[1])
contents = [c * 2_000_000 for c in ("a = 1\\n", "b = 2\\n")]
with locked(path.parent, [path]):
    print("writing", flush=True)
    i = 0
    while True:
        write_atomic(path, contents[i % 2])
        i += 1
"""


@pytest.mark.slow
def test_a_write_killed_half_way_leaves_the_old_or_the_new_file(tmp_path):
    rng = random.Random()
    path = tmp_path / "big.py"
    old, new = "a = 1\n" * 2_000_000, "b = 2\n" * 2_000_000
    path.write_text(old)
    leftovers = 0
    for _ in range(12):
        writer = subprocess.Popen([sys.executable, "-c", WRITER, str(path)], text=True,
                                  stdout=subprocess.PIPE)
        assert writer.stdout is not None and writer.stdout.readline() == "writing\n"
        time.sleep(rng.uniform(0.0, 0.3))
        writer.kill()
        writer.wait()
        assert path.read_text() in (old, new)
        leftovers += len(list(tmp_path.glob(".big.py.*")))
        with locked(tmp_path, [path], wait=1.0):  # the dead writer's lock is gone
            pass
    with locked(tmp_path, [path]):
        write_atomic(path, "c = 3\n")
    assert path.read_text() == "c = 3\n"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".big")) == []
    print(f"{leftovers} kills left a temporary file behind, none a mixed file")


def test_a_run_killed_before_its_input_was_recorded_starts_anew(make_repo, monkeypatch):
    # A kill at start-up can leave a thread whose checkpoint holds state but not yet the
    # run's request: the same command again must start the run, not refuse it as one
    # "started with other arguments".
    import healloop.session as session

    monkeypatch.delenv(ENV_VAR, raising=False)
    repo = make_repo({"calc.py": UNTIDY})
    real = session.opened

    @contextlib.contextmanager
    def half_written(*args, **kwargs):
        with real(*args, **kwargs) as graph:
            read = graph.get_state
            reads: list[dict] = []

            def get_state(config, *more, **named):
                snapshot = read(config, *more, **named)
                reads.append(config)
                if len(reads) == 1:  # what the killed run left: settings, no request yet
                    return snapshot._replace(values={"settings": {"engine": "offline"}})
                return snapshot

            monkeypatch.setattr(graph, "get_state", get_state)
            yield graph

    monkeypatch.setattr(session, "opened", half_written)
    flags = ["--file", "calc.py", "--engine", "offline", "--threshold", "0.9", "--yes"]
    ran = CliRunner().invoke(app, ["run", "--repo", str(repo), *flags, "--thread-id", "k2"])
    assert ran.exit_code in (0, 1), ran.output
    assert "started with other" not in ran.output

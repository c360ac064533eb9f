"""Crash safety of the writer: SIGKILL at any instant leaves the whole old or whole new set.

Two kinds of proof, both with real processes and the real file system:
- crash points: a writer is killed just before each of its file-system calls
  in turn (a write is cut half way), for each starting state, and the public
  files are checked after every kill and after the next (clean) run;
- random kills: a writer looping over generations is SIGKILLed at random
  instants while a reader reads the public names; after every kill the
  visible set must be exactly the state after one complete generation.

``RIDEINFRA_KILL_TRIALS`` sets the number of random trials of the normal suite.
"""

from __future__ import annotations

import base64
import os
import signal
from pathlib import Path
from typing import Any

import pytest

from support.killer import SCENARIOS, run_crash_points, run_kill_trials

NORMAL_TRIALS = int(os.environ.get("RIDEINFRA_KILL_TRIALS", "50"))


def _decode(files: dict[str, str]) -> dict[str, bytes]:
    return {name: base64.b64decode(data) for name, data in files.items()}


@pytest.fixture(scope="module", name="crash_results")
def _crash_results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Every scenario's crash points, run once for the module (each in its own process)."""
    results = {}
    for name in SCENARIOS:
        root = tmp_path_factory.mktemp(f"crash-{name}")
        results[name] = (root, run_crash_points(name, root))
    return results


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
class TestCrashPoints:
    def test_every_call_is_a_crash_point(
        self, crash_results: dict[str, Any], scenario: str
    ) -> None:
        """The writer is killed by SIGKILL at every point but the last, which completes."""
        _, rows = crash_results[scenario]
        assert len(rows) == rows[0]["calls"] + 1 > 10
        assert [r["signal"] for r in rows[:-1]] == [signal.SIGKILL] * (len(rows) - 1)
        assert (rows[-1]["signal"], rows[-1]["exit"]) == (None, 0)

    def test_visible_set_is_entirely_old_or_entirely_new(
        self, crash_results: dict[str, Any], scenario: str
    ) -> None:
        """After each kill the public files are exactly the old set or exactly the new one."""
        _, rows = crash_results[scenario]
        old = _decode(rows[0]["before"])
        new = {**old, **SCENARIOS[scenario].files}
        outcomes = []
        for row in rows:
            seen = _decode(row["after_crash"])
            outcome = "new" if seen == new else "old" if seen == old else "mixed or partial"
            assert outcome != "mixed or partial", f"crash point {row['point']}: {outcome}"
            outcomes.append(outcome)
        # Both outcomes occur: the kill points really span the commit.
        assert outcomes[0] == "old"
        assert outcomes[-1] == "new"
        assert outcomes == sorted(outcomes, key=["old", "new"].index), "a commit was undone"

    def test_next_run_completes_and_cleans_up(
        self, crash_results: dict[str, Any], scenario: str
    ) -> None:
        """The run after any kill gives the new set and leaves no debris behind."""
        root, rows = crash_results[scenario]
        new = {**_decode(rows[0]["before"]), **SCENARIOS[scenario].files}
        for row in rows:
            assert row["rerun_error"] is None, f"crash point {row['point']}"
            assert _decode(row["after_rerun"]) == new, f"crash point {row['point']}"
            assert row["leftovers"] == [], f"crash point {row['point']}"
            planted = {"..tmp.0123456789abcdef", "..2020_01_01_00_00_00.000000000_deadbeef"}
            assert not planted & set(os.listdir(root / f"p{row['point']}"))


@pytest.mark.parametrize("scenario", ["debris", "legacy", "update"])
def test_unchanged_files_keep_their_mtime(crash_results: dict[str, Any], scenario: str) -> None:
    """Files whose bytes do not change keep their mtime through a kill and the rerun."""
    _, rows = crash_results[scenario]
    old = _decode(rows[0]["before"])
    files = SCENARIOS[scenario].files
    same = [n for n in old if n not in files or files[n] == old[n]]
    assert same, "the scenario should carry at least one file unchanged"
    for row in rows:
        for name in same:
            mtime = row["inodes_before"][name][1]
            assert row["inodes_crash"][name][1] == mtime
            assert row["inodes_rerun"][name][1] == mtime


def test_random_sigkill_trials(tmp_path: Path) -> None:
    """A writer SIGKILLed at random instants never leaves a partial or mixed set."""
    stats = run_kill_trials(tmp_path / "out", NORMAL_TRIALS, seed=NORMAL_TRIALS)
    print(stats.line())
    assert stats.trials == NORMAL_TRIALS
    assert (stats.torn, stats.mixed, stats.lost, stats.failed) == ([], [], [], [])
    assert (stats.reader.torn, stats.reader.mixed, stats.reader.errors) == ([], [], [])
    assert stats.left_over == []
    # The trials are not vacuous: runs were committed, kills hit mid-run, readers judged sets.
    assert stats.generations > 0
    assert stats.trials_with_debris > 0
    assert stats.reader.same_version_reads > 0


@pytest.mark.faults
@pytest.mark.long  # the default run has the 50 trials above; `-m faults` and CI run 200
def test_200_sigkill_trials_leave_nothing_partial_or_mixed(tmp_path: Path) -> None:
    """Acceptance (issue 5): 200 SIGKILL trials report 0 partial or mixed outputs."""
    stats = run_kill_trials(tmp_path / "out", 200, seed=200)
    print(stats.line())
    assert stats.trials == 200
    assert stats.bad == 0, stats
    assert stats.line().endswith(": 0 partial or mixed")
    assert stats.reader.errors == []
    assert stats.left_over == []

"""The benchmark's section 9 (bench/): the peer script, the import classifier, a tiny run.

The figures themselves are the benchmark's to produce (docs/benchmarks.md);
these tests hold what the figures rest on: the peer reads what rideinfra
reads, in as many requests, and names failures without values; the import
classifier charges each module to its owner; the section runs end to end and
its page and saved results agree.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rideinfra.secrets import SecretsManagerSource
from support.moto import MotoEndpoint
from support.proxy import FaultProxy

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "bench"))

import harness  # noqa: E402
import moto_indexed  # noqa: E402
import peer  # noqa: E402
import peer_bench  # noqa: E402
import results  # noqa: E402


def peer_client(url: str) -> Any:
    return peer.make_client(
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


class TestPeer:
    def test_reads_what_rideinfra_reads_in_as_many_requests(
        self, sm: MotoEndpoint, proxy: FaultProxy
    ) -> None:
        """45 secrets: 3 BatchGetSecretValue each, and the same fields and values."""
        secrets = {f"peer/s{i:02}": {"USER": f"u{i}", "PASSWORD": f"p{i}"} for i in range(45)}
        sm.seed(secrets)
        names = list(secrets)

        proxy.reset()
        got = peer.fetch_all(peer_client(proxy.url), names)
        assert proxy.count("BatchGetSecretValue") == proxy.count() == math.ceil(45 / 20)

        proxy.reset()
        ours = SecretsManagerSource(endpoint_url=proxy.url, environ={}).fetch_many(names)
        assert proxy.count() == math.ceil(45 / 20)
        assert got == secrets
        assert {n: {k: v.reveal() for k, v in ours[n].fields.items()} for n in names} == got

    def test_a_missing_secret_is_named_and_no_value_shown(self, sm: MotoEndpoint) -> None:
        sentinel = "SENTINEL-peer-7f3a"
        sm.seed({"peer/present": {"PASSWORD": sentinel}})
        with pytest.raises(RuntimeError) as caught:
            peer.fetch_all(peer_client(sm.url), ["peer/present", "peer/absent"])
        assert "peer/absent" in str(caught.value)
        assert sentinel not in str(caught.value)


# --- the import classifier ---------------------------------------------------------------

# Modules by the owner the classifier must find for them on their own.
OWN = {
    "json": peer_bench.STDLIB,
    "copy": peer_bench.STDLIB,
    "botocore.client": peer_bench.BOTOCORE,
    "dateutil.tz": peer_bench.BOTOCORE,
    "urllib3.util": peer_bench.BOTOCORE,
    "rideinfra.cli": peer_bench.COUNTED,
    "yaml": peer_bench.COUNTED,
    "attr": peer_bench.COUNTED,
    "certifi": peer_bench.COUNTED,  # botocore uses it without requiring it
    "org.python.core": peer_bench.COUNTED,  # no distribution: counted under its own name
}
HANDED_DOWN = {peer_bench.STDLIB, peer_bench.BOTOCORE}


@pytest.fixture(scope="module", name="owners")
def _owners() -> peer_bench.ImportOwners:
    return peer_bench.ImportOwners(startup=set())


@dataclass
class Node:
    module: str
    self_us: int
    children: list[Node]


nodes = st.recursive(
    st.builds(Node, st.sampled_from(sorted(OWN)), st.integers(0, 5000), st.just([])),
    lambda kids: st.builds(
        Node, st.sampled_from(sorted(OWN)), st.integers(0, 5000), st.lists(kids, max_size=3)
    ),
    max_leaves=12,
)


def listing(roots: list[Node]) -> str:
    """`-X importtime` output for these trees: each module after what it imported."""
    lines = ["import time: self [us] | cumulative | imported package"]

    def emit(node: Node, depth: int) -> int:
        total = node.self_us + sum(emit(child, depth + 1) for child in node.children)
        lines.append(f"import time: {node.self_us:>9} | {total:>10} | {'  ' * depth}{node.module}")
        return total

    for root in roots:
        emit(root, 0)
    return "\n".join(lines) + "\n"


def expected(roots: list[Node]) -> list[str]:
    """Each line's category, in listing order: its own, unless the standard library or
    botocore's closure imported it."""
    out: list[str] = []

    def walk(node: Node, inherited: str | None) -> None:
        own = OWN[node.module]
        category = inherited if own == peer_bench.COUNTED and inherited else own
        for child in node.children:
            walk(child, category if category in HANDED_DOWN else None)
        out.append(category)

    for root in roots:
        walk(root, None)
    return out


class TestImportOwners:
    def test_botocores_closure_comes_from_metadata(self) -> None:
        closure = peer_bench.dependency_closure(["botocore", "urllib3"])
        assert {"botocore", "jmespath", "python-dateutil", "six", "urllib3"} <= closure
        assert "awscrt" not in closure  # behind botocore's `crt` extra
        assert not {"pyyaml", "attrs", "rideinfra"} & closure

    @settings(max_examples=200, deadline=None)
    @given(st.lists(nodes, min_size=1, max_size=4))
    def test_each_module_is_charged_to_its_owner(
        self, owners: peer_bench.ImportOwners, roots: list[Node]
    ) -> None:
        lines = harness.self_times(listing(roots))
        owned = owners.classify(lines)
        assert [category for (category, _), _ in owned] == expected(roots)
        assert sum(us for _, us in owned) == sum(line.self_us for line in lines)

    def test_startup_modules_are_not_the_fetch_paths(self) -> None:
        owners = peer_bench.ImportOwners(startup={"_distutils_hack"})
        lines = harness.self_times(listing([Node("_distutils_hack", 900, [])]))
        assert owners.classify(lines) == [((peer_bench.STARTUP, "_distutils_hack"), 900)]


# --- the indexed stand ----------------------------------------------------------------


@dataclass(eq=False)
class FakeSecret:
    """What SecretsStore reads of a secret: its name and ARN (a replica has its source's
    name and an ARN of its own region, and is stored under that ARN)."""

    name: str
    arn: str


ARN_HEAD = "arn:aws:secretsmanager:{region}:123456789012:secret:"
NAMES = ["db", "db-AbCdEf", "api/key", "arn:aws:secretsmanager:us-east-1:123456789012:secret:x"]
REGIONS = ["us-east-1", "eu-west-1"]


def _arn(name: str, region: str) -> str:
    return f"{ARN_HEAD.format(region=region)}{name}-AbCdEf"


#: Every kind of key a lookup can get: names, full ARNs of either region, partial ARNs
#: (no suffix), a name no secret has, and the odd ones (a name that is itself ARN-shaped).
KEYS = sorted(
    {*NAMES, "absent", "", *(_arn(n, r) for n in NAMES for r in REGIONS),
     *(ARN_HEAD.format(region=r) + n for n in NAMES for r in REGIONS)}
)  # fmt: skip

_put = st.tuples(st.just("put"), st.sampled_from(NAMES), st.sampled_from(REGIONS), st.booleans())
_pop = st.tuples(st.just("pop"), st.sampled_from(KEYS))
_del = st.tuples(st.just("del"), st.sampled_from(KEYS))
_look = st.tuples(st.just("look"), st.sampled_from(KEYS))


def _outcome(call: Any, *args: Any) -> Any:
    """What `call(*args)` gives: its value (compared by identity), or that it raised KeyError."""
    try:
        return ("value", id(call(*args)))
    except KeyError:
        return ("KeyError",)


class TestIndexedStore:
    """bench/moto_indexed.py: every lookup answers as moto's own SecretsStore, so the
    second stand serves the same secrets, only without walking them all."""

    @settings(max_examples=300, deadline=None)
    @given(st.lists(st.one_of(_put, _pop, _del, _look, _look), max_size=30))
    def test_answers_as_moto_after_any_writes(self, ops: list[tuple[Any, ...]]) -> None:
        from moto.secretsmanager.models import SecretsStore

        theirs, ours = SecretsStore(), moto_indexed.IndexedSecretsStore()
        for op, *args in ops:
            if op == "put":
                name, region, by_arn = args
                secret = FakeSecret(name, _arn(name, region))
                key = secret.arn if by_arn else name
                theirs[key] = ours[key] = secret
            elif op == "pop":
                assert _outcome(ours.pop, args[0]) == _outcome(theirs.pop, args[0])
            elif op == "del":
                assert _outcome(ours.__delitem__, args[0]) == _outcome(theirs.__delitem__, args[0])
            for key in KEYS:  # after every step, every kind of key
                assert (key in ours) == (key in theirs), key
                assert ours.get(key) is theirs.get(key), key
                assert _outcome(ours.__getitem__, key) == _outcome(theirs.__getitem__, key), key
            assert list(dict.items(ours)) == list(dict.items(theirs))

    def test_a_lookup_between_writes_reads_no_secret(self) -> None:
        """The point of the stand: once built, the index answers without reading the
        secrets (moto's own walk reads about two attributes for every secret before the
        one found)."""
        from moto.secretsmanager.models import SecretsStore

        reads = 0

        class Counted(FakeSecret):
            def __getattribute__(self, attr: str) -> Any:
                nonlocal reads
                if attr in ("name", "arn"):
                    reads += 1
                return super().__getattribute__(attr)

        def reads_of(store: Any, keys: list[str]) -> int:
            nonlocal reads
            reads = 0
            for key in keys:
                assert key in store
                assert store[key] is store.get(key)
            return reads

        keys = ["s99", _arn("s50", "us-east-1"), "s0"]
        theirs, ours = SecretsStore(), moto_indexed.IndexedSecretsStore()
        for i in range(100):
            theirs[f"s{i}"] = ours[f"s{i}"] = Counted(f"s{i}", _arn(f"s{i}", "us-east-1"))
        assert reads_of(ours, keys) == 200  # the first lookup builds the index
        assert reads_of(ours, keys) == 0
        assert reads_of(theirs, keys) > 600
        ours["s100"] = Counted("s100", _arn("s100", "us-east-1"))  # a write: built again
        assert reads_of(ours, keys) == 202

    def test_the_launcher_serves_a_fetch(self) -> None:
        """moto_server started by bench/moto_indexed.py answers a batched fetch, by name
        and by ARN, and reports a missing secret as moto does."""
        with harness.store(indexed=True) as stand:
            stand.seed({f"ix/s{i:02}": {"USER": f"u{i}"} for i in range(25)})
            arn = stand.client().describe_secret(SecretId="ix/s07")["ARN"]
            source = SecretsManagerSource(endpoint_url=stand.url, environ=stand.environ())
            got = source.fetch_many([*(f"ix/s{i:02}" for i in range(25)), arn, "ix/absent"])
            assert {name: got[name].fields["USER"].reveal() for name in got} == {
                **{f"ix/s{i:02}": f"u{i}" for i in range(25)},
                arn: "u7",
            }
            assert set(got.errors) == {"ix/absent"}


# --- the section, end to end ---------------------------------------------------------------


# --- what the stand allows ---------------------------------------------------------------


def stand_row(n: int, rideinfra: list[float], peer: list[float], stand_r: list[float],
              stand_p: list[float], what: str = "warm") -> results.PairRow:  # fmt: skip
    return results.PairRow(
        what, n, 20, rideinfra, peer, [0.1] * len(rideinfra), [0.2] * len(peer),
        math.ceil(n / 20), math.ceil(n / 20), stand_r, stand_p,
    )  # fmt: skip


class TestWhatTheStandAllows:
    def test_bounds_and_own_time_are_read_pair_by_pair(self) -> None:
        row = stand_row(5000, [6.2, 7.0], [7.0, 7.5], [6.0, 6.7], [6.6, 7.2])
        assert row.bounds == pytest.approx([(0.02 + 6.6) / 7.0, (0.02 + 7.2) / 7.5])
        assert row.own_ratios == pytest.approx([0.2 / 0.4, 0.3 / 0.3])
        assert row.store_cpu == pytest.approx(6.35)
        assert row.floor == pytest.approx(6.37)

    def test_a_run_saved_with_the_mean_only_still_loads(self) -> None:
        saved = {"what": "warm", "n": 1000, "delay_ms": 20, "rideinfra": [0.5], "peer": [0.6],
                 "rideinfra_cpu": [0.1], "peer_cpu": [0.2], "store_cpu": 0.45}  # fmt: skip
        row = results._pair_row(saved)
        assert row.store_cpu == pytest.approx(0.45)
        assert row.peer_store_cpu == []
        empty = results._pair_row({**saved, "store_cpu": 0.0})
        assert empty.store_cpu == 0.0

    def page(self, row: results.PairRow) -> tuple[str, list[results.Target]]:
        section = results.PeerResults(
            plan=results.PeerPlan((row.n,), (20,), 2, (20,), 2, 2, (10, 20), 2),
            command="test", quick=True, date="today", load_start="0", load_end="0",
            elapsed=1.0, max_concurrency=50, warm=[row],
        )  # fmt: skip
        import peer_report

        targets: list[results.Target] = []
        return "\n".join(peer_report._warm(section, targets)), targets

    def test_a_target_under_what_the_stand_allows_is_said_to_be_out_of_reach(self) -> None:
        page, targets = self.page(stand_row(5000, [7.0, 7.4], [7.2, 7.5], [6.9, 7.1], [6.9, 7.2]))
        assert targets[0][1] is False
        assert "no client could meet the target on this run's stand" in page
        assert "moto spent 7000.0 ms of CPU a fetch on rideinfra's requests and 7050.0" in page
        assert "| moto | 5,000 | 20 | 7000.0 / 7050.0 |" in page  # moto's CPU, each side

    def test_a_miss_the_stand_allowed_is_not_blamed_on_it(self) -> None:
        # moto was fast for the peer too: a client costing nothing would have been 0.5
        page, targets = self.page(stand_row(5000, [7.0, 7.4], [7.2, 7.5], [3.6, 3.7], [3.6, 3.7]))
        assert targets[0][1] is False
        assert "What the stand allows" in page
        assert "no client could meet" not in page
        assert "moto spent 3650.0 ms of CPU a fetch on rideinfra's requests" in page

    def test_below_a_thousand_secrets_moto_is_too_few_ticks_to_show(self) -> None:
        page, _ = self.page(stand_row(100, [0.05, 0.06], [0.07, 0.07], [0.01, 0.02], [0.01, 0.0]))
        assert "What the stand allows" not in page


def test_quartiles_of_one_value_and_of_many() -> None:
    assert results.quartiles([0.5]) == (0.5, 0.5)
    assert results.quartiles([1.0, 2.0, 3.0, 4.0, 5.0]) == (2.0, 4.0)


@pytest.mark.slow
def test_the_section_runs_alone_and_merges_into_the_saved_run(tmp_path: Path) -> None:
    """`run.py --only peer --tiny`: every step once, in a few seconds; the page gains
    section 9 and its target rows, the rest of the saved run is kept."""
    shutil.copy(REPO / "docs" / "benchmarks.json", tmp_path / "benchmarks.json")
    before = json.loads((tmp_path / "benchmarks.json").read_text())
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO / "src"), str(REPO / "tests")])}
    done = subprocess.run(
        [sys.executable, str(REPO / "bench" / "run.py"), "--only", "peer", "--tiny", "--out",
         str(tmp_path / "benchmarks.md")],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    saved = results.load(tmp_path / "benchmarks.json")
    assert saved.peer is not None
    assert [(r.n, r.delay_ms) for r in saved.peer.warm] == [(11, 0), (40, 0), (11, 20), (40, 20)]
    assert [(r.n, r.delay_ms, r.what) for r in saved.peer.indexed] == [(40, 20, "indexed")]
    assert all(
        r.rideinfra_requests == r.peer_requests == math.ceil(r.n / 20) for r in saved.peer.warm
    )
    assert saved.peer.imports is not None
    assert saved.peer.imports.counted_ms > 0
    assert "rideinfra" in {share.name for share in saved.peer.imports.counted}
    after = json.loads((tmp_path / "benchmarks.json").read_text())
    assert {k: v for k, v in after.items() if k != "peer"} == {
        k: v for k, v in before.items() if k != "peer"
    }
    page = (tmp_path / "benchmarks.md").read_text()
    assert "## 9. Against the best hand-written script" in page
    assert "moto with its secret store indexed (not a target)" in page
    for row in ("warm fetch N=40 at 20 ms", "whole process at 20 ms", "own imports on the fetch"):
        assert row in page.split("## 1.")[0], row  # in the Targets table

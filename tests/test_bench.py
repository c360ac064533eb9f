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


# --- the section, end to end ---------------------------------------------------------------


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
    for row in ("warm fetch N=40 at 20 ms", "whole process at 20 ms", "own imports on the fetch"):
        assert row in page.split("## 1.")[0], row  # in the Targets table

"""What each command does, as library calls: a `Config`, a `SecretSource` and plain arguments.

The command line (`rideinfra.cli`) parses options and calls these; a tool
embedding rideinfra calls them the same way:

>>> config = read_config("rideinfra.yaml")                              # doctest: +SKIP
>>> source = build_source(config.source, os.environ)                    # doctest: +SKIP
>>> fetch_and_write(config, source, "/secrets", profiles=["core"])      # doctest: +SKIP

Each logs one line per step under `rideinfra` (names and counts, never a
value) and raises a `RideinfraError` whose `exit_code` the command line
returns. Nothing here parses arguments, prints or exits.

Each name is imported from its module on first use, so that
`python -m rideinfra.fetch` loads the fetch and nothing else (seeding's
random generators, for one, load OpenSSL).
"""

import typing

from rideinfra import _lazy

if typing.TYPE_CHECKING:
    from rideinfra.operations.demo import example_dir, run_demo
    from rideinfra.operations.drift import (
        CheckReport,
        FileDiff,
        ListableSource,
        check_store,
        diff_files,
        diff_output,
        mask_tail,
    )
    from rideinfra.operations.fetch import (
        Rendered,
        check_output,
        fetch_and_render,
        fetch_and_write,
        render_files,
    )
    from rideinfra.operations.manifests import write_plain
    from rideinfra.operations.seed import SeedStore, apply_seed, seed_secrets, seed_source
    from rideinfra.operations.setup import build_source, config_source, read_config
    from rideinfra.profiles.explain import explain

__all__ = [
    "CheckReport",
    "FileDiff",
    "ListableSource",
    "Rendered",
    "SeedStore",
    "apply_seed",
    "build_source",
    "check_output",
    "check_store",
    "config_source",
    "diff_files",
    "diff_output",
    "example_dir",
    "explain",
    "fetch_and_render",
    "fetch_and_write",
    "mask_tail",
    "read_config",
    "render_files",
    "run_demo",
    "seed_secrets",
    "seed_source",
    "write_plain",
]

#: Where each public name lives (tests/test_public_api.py holds this, the imports above
#: and `__all__` to the same names).
_HOME = {
    "CheckReport": "rideinfra.operations.drift",
    "FileDiff": "rideinfra.operations.drift",
    "ListableSource": "rideinfra.operations.drift",
    "Rendered": "rideinfra.operations.fetch",
    "SeedStore": "rideinfra.operations.seed",
    "apply_seed": "rideinfra.operations.seed",
    "build_source": "rideinfra.operations.setup",
    "config_source": "rideinfra.operations.setup",
    "check_output": "rideinfra.operations.fetch",
    "check_store": "rideinfra.operations.drift",
    "diff_files": "rideinfra.operations.drift",
    "diff_output": "rideinfra.operations.drift",
    "example_dir": "rideinfra.operations.demo",
    "explain": "rideinfra.profiles.explain",
    "fetch_and_render": "rideinfra.operations.fetch",
    "fetch_and_write": "rideinfra.operations.fetch",
    "mask_tail": "rideinfra.operations.drift",
    "read_config": "rideinfra.operations.setup",
    "render_files": "rideinfra.operations.fetch",
    "run_demo": "rideinfra.operations.demo",
    "seed_secrets": "rideinfra.operations.seed",
    "seed_source": "rideinfra.operations.seed",
    "write_plain": "rideinfra.operations.manifests",
}


__getattr__, __dir__ = _lazy.lazy_exports(__name__, _HOME)

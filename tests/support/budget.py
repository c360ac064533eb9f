"""A sweep's size: a sample in every run, the full size under `pytest -m long` (CI).

The README's test command has to stay quick (under 8 minutes on a 2-core
machine, venv and install included), yet the acceptance figures (1,000 polls,
200 kill trials, 600 generated configs) are worth running in full. A test
parametrised with `sizes(sample, full)` runs twice: `test[sample]` in the
default run, and `test[full]`, marked `long`, in CI's `pytest -m long` stage
(`.ci/run`), where it runs beside the README tests. So the default run samples
every sweep and none is left to a run nobody makes.
"""

from __future__ import annotations

from typing import Any

import pytest

#: The mark of the full-size variant; `-m "not long"` (pyproject's addopts) leaves it out.
FULL = pytest.mark.long


def sizes(sample: int, full: int) -> list[Any]:
    """`pytest.mark.parametrize` values: `sample` in the default run, `full` under `-m long`.

    Args:
        sample: the size every run uses; large enough that the test still
            finds what it is for (each check it makes is reached).
        full: the size the docs quote, run by CI.
    """
    assert 0 < sample < full
    return [pytest.param(sample, id=str(sample)), pytest.param(full, id=str(full), marks=FULL)]

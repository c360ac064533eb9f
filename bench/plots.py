"""One PNG per figure group (matplotlib, installed only for the benchmarks)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from results import CONTROL, CacheRow, FetchRow, ImportRow, ProcessRow, RenderRow, Results


def make_all(results: Results, img: Path) -> dict[str, str]:
    """Draw every figure into ``img``; returns group -> path relative to docs/."""
    import matplotlib

    matplotlib.use("Agg")
    img.mkdir(parents=True, exist_ok=True)
    made = {
        "fetch": _save(_fetch(results.fetch), img, "bench-1-fetch.png"),
        "process": _save(_process(results.process), img, "bench-2-process.png"),
        "imports": _save(_imports(results.imports), img, "bench-3-imports.png"),
        "render": _save(_render(results.render), img, "bench-4-render.png"),
    }
    if results.cache:
        made["cache"] = _save(_cache(results.cache), img, "bench-5-cache.png")
    return made


def _save(fig: Any, img: Path, name: str) -> str:
    import matplotlib.pyplot as plt

    fig.savefig(img / name, dpi=110)
    plt.close(fig)
    return f"img/{name}"


def _fetch(fetch: list[FetchRow]) -> Any:
    import matplotlib.pyplot as plt

    delays = sorted({r.delay_ms for r in fetch})
    fig, axes = plt.subplots(1, len(delays), figsize=(3.6 * len(delays), 3.9), sharey=True)
    axes = list(axes) if len(delays) > 1 else [axes]
    for ax, delay in zip(axes, delays, strict=True):
        rows = sorted((r for r in fetch if r.delay_ms == delay), key=lambda r: r.n)
        ns = [r.n for r in rows]
        ax.plot(ns, [r.baseline * 1000 for r in rows], "o-", label="baseline (sequential)")
        ax.plot(ns, [r.cold * 1000 for r in rows], "s--", label="rideinfra, cold client")
        ax.plot(ns, [r.warm * 1000 for r in rows], "s-", label="rideinfra, warm client")
        floor = [(delay / 1000 + r.store_floor) * 1000 for r in rows]
        ax.plot(ns, floor, "k:", label="stand floor (delay + moto)")
        if delay:
            ax.axhline(delay, color="grey", lw=0.8, label="one round trip")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_title(f"{delay} ms round trip")
        ax.set_xlabel("secrets fetched (N)")
    axes[0].set_ylabel("wall time, ms (median)")
    handles, labels = axes[-1].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=len(labels), fontsize=8)
    fig.suptitle("1. Fetch N secrets: rideinfra vs sequential GetSecretValue")
    fig.tight_layout(rect=(0, 0.07, 1, 1))
    return fig


def _process(process: list[ProcessRow]) -> Any:
    import matplotlib.pyplot as plt

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(8, 3.4))
    labels = ["rideinfra", "baseline"]
    delays = sorted({r.delay_ms for r in process})
    width = 0.8 / len(delays)
    for i, delay in enumerate(delays):
        rows = {r.label: r for r in process if r.delay_ms == delay}
        xs = [j + (i - (len(delays) - 1) / 2) * width for j in range(len(labels))]
        ax1.bar(xs, [rows[k].wall * 1000 for k in labels], width, label=f"{delay} ms delay")
        ax2.bar(xs, [rows[k].rss_mb for k in labels], width, label=f"{delay} ms delay")
    for ax, title in ((ax1, "wall time, ms (median)"), (ax2, "peak RSS, MiB (median)")):
        ax.set_xticks(range(len(labels)), labels)
        ax.set_title(title, fontsize=10)
    handles, names = ax1.get_legend_handles_labels()
    fig.legend(handles, names, loc="lower center", ncol=len(names), fontsize=8)
    fig.suptitle("2. Whole process, cold: python -m rideinfra.fetch vs the baseline script")
    fig.tight_layout(rect=(0, 0.08, 1, 1))
    return fig


def _imports(imports: list[ImportRow]) -> Any:
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.5, 2.6))
    ax.barh([r.module for r in imports], [r.total_ms for r in imports], color="tab:blue")
    ax.axvline(30, color="red", lw=1, ls="--", label="target for rideinfra.secrets: 30 ms")
    ax.invert_yaxis()
    ax.set_xlabel("import time, ms (python -X importtime, median)")
    ax.legend(fontsize=8, loc="lower right")
    ax.set_title("3. Import time")
    fig.tight_layout()
    return fig


def _render(render: list[RenderRow]) -> Any:
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5.5, 3.8))
    for name in ("env", "shell", "json", CONTROL):
        rows = sorted((r for r in render if r.fmt == name), key=lambda r: r.n)
        style = "x--" if name == CONTROL else "o-"
        label = "control: dict comprehension" if name == CONTROL else name
        ax.plot([r.n for r in rows], [r.best * 1000 for r in rows], style, label=label)
    env_rows = sorted((r for r in render if r.fmt == "env"), key=lambda r: r.n)
    if env_rows:
        first = env_rows[0]
        ns = [r.n for r in env_rows]
        line = [first.best * 1000 * n / first.n for n in ns]
        ax.plot(ns, line, "k:", label="linear from env at the smallest N")
    ax.axhline(1000, color="red", lw=1, ls="--", label="1 s")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("variables")
    ax.set_ylabel("render time, ms (fastest run)")
    ax.set_title("4. Render")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def _cache(cache: list[CacheRow]) -> Any:
    import matplotlib.pyplot as plt

    rows = [r for r in cache if r.test != "cold_fetch"]
    fig, ax = plt.subplots(figsize=(7.5, 0.45 * len(rows) + 1.2))
    ax.barh([r.test for r in rows], [r.median_ns for r in rows], color="tab:green")
    ax.invert_yaxis()
    ax.set_xscale("log")
    ax.axvline(1000, color="red", lw=1, ls="--", label="1 µs")
    ax.set_xlabel("ns per lookup (median, log scale)")
    ax.set_title("5. A cached lookup")
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    return fig

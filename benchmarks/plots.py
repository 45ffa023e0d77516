"""Latency-over-time graphs for docs/performance.md, from the JSON results.

Usage: python benchmarks/plots.py   (needs matplotlib: pip install matplotlib)

Reads benchmarks/results/migration_load.json and lock_queue.json (run 1 of
each kind) and writes PNGs to docs/img/. Re-runnable without re-measuring.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import common

IMG = (
    common.REPO / "docs" / "img"
    if common.RESULTS == common.BENCH_DIR / "results"
    else common.RESULTS / "img"
)
COLORS = {
    "baseline": "#888888",
    "safe": "#1f77b4",
    "naive": "#d62728",
    "with_lock_timeout": "#1f77b4",
    "without_lock_timeout": "#d62728",
}
LABELS = {
    "baseline": "no migration",
    "safe": "astegni-db migrate (0002)",
    "naive": "naive: inline CHECK + volatile default (psql)",
    "with_lock_timeout": "astegni-db migrate, lock_timeout 200 ms + retries",
    "without_lock_timeout": "no effective lock_timeout (--ddl-lock-timeout 60000)",
}


def first_runs(runs: list[dict[str, Any]], key: str) -> dict[str, dict[str, Any]]:
    chosen: dict[str, dict[str, Any]] = {}
    for r in runs:
        chosen.setdefault(r[key], r)
    return chosen


def draw(
    runs: dict[str, dict[str, Any]], title: str, out: Path, marks: dict[str, list[float]]
) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (top, bottom) = plt.subplots(2, 1, figsize=(10, 6.5), sharex=True, height_ratios=[3, 1.4])
    for kind, run in runs.items():
        s = run["series"]
        top.step(
            s["t_s"], s["max_ms"], where="post", color=COLORS[kind], lw=1.2, label=LABELS[kind]
        )
        bottom.step(s["t_s"], s["tps"], where="post", color=COLORS[kind], lw=1.0)
    for kind, (start, end) in marks.items():
        for ax in (top, bottom):
            ax.axvspan(start, end, color=COLORS[kind], alpha=0.15, lw=0)
            if end - start < 0.5:  # too short to see as a band: a line and its length
                ax.axvline(start, color=COLORS[kind], ls="--", lw=1)
        if end - start < 0.5:
            top.annotate(
                f"lock window {1000 * (end - start):.0f} ms",
                xy=(start, 0.97),
                xycoords=("data", "axes fraction"),
                xytext=(4, -4),
                textcoords="offset points",
                va="top",
                fontsize=8,
                color=COLORS[kind],
            )
    top.set_yscale("log")
    top.set_ylabel("worst latency per 250 ms (ms, log)")
    top.set_title(title, fontsize=11)
    top.legend(loc="upper right", fontsize=8)
    top.grid(True, which="both", alpha=0.3)
    bottom.set_ylabel("transactions/s")
    bottom.set_xlabel("seconds since pgbench started (shaded: lock window / blocker)")
    bottom.grid(True, alpha=0.3)
    fig.tight_layout()
    IMG.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110)
    plt.close(fig)
    common.log(f"wrote {out}")


def main() -> None:
    load = common.RESULTS / "migration_load.json"
    if load.is_file():
        data = json.loads(load.read_text())
        runs = first_runs(data["runs"], "kind")
        marks = {
            k: [r["exclusive"]["start_s"], r["exclusive"]["end_s"]]
            for k, r in runs.items()
            if r["exclusive"].get("start_s") is not None
        }
        p = data["params"]
        draw(
            runs,
            f"{p['rows']:,}-row tutoring_sessions, pgbench {p['clients']} clients: "
            "migration at the shaded time",
            IMG / "migration_latency.png",
            marks,
        )
    queue = common.RESULTS / "lock_queue.json"
    if queue.is_file():
        data = json.loads(queue.read_text())
        runs = first_runs(data["runs"], "variant")
        marks = {
            k: [r["times_s"]["blocker_start"], r["times_s"]["blocker_end"]]
            for k, r in runs.items()
            if "blocker_start" in r["times_s"]
        }
        draw(
            runs,
            f"ALTER queued behind a {data['params']['hold']:g} s transaction (shaded), "
            f"pgbench {data['params']['clients']} clients",
            IMG / "lock_queue_latency.png",
            marks,
        )


if __name__ == "__main__":
    main()

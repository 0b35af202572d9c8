"""The results of a run: ``<name>.json`` (``{"machine", "description", "results": [rows]}``), a
markdown table ``<name>.md`` and a plot of the dense group ``<name>.png``."""

from __future__ import annotations

import json
import math
import os

from lrsched._timing import fmt_time

from .dense import GROUP as DENSE


def _ratio(r) -> str:
    if r.get("over_floor") is not None:
        return f"evaluate / floor {r['over_floor']:.2f}x"
    if r.get("over_one") is not None:
        return f"{r['n']} pieces / one piece {r['over_one']:.2f}x"
    return "-" if r.get("ratio") is None else f"{r['ratio']:.2f}x"


def markdown(result: dict) -> str:
    lines = [
        f"# lrsched benchmarks: {result['machine']}",
        "",
        f"{result['description']}",
        "",
        "| group | n | what | time | ratio (peer / lrsched) |",
        "|---|---|---|---|---|",
    ]
    for r in result["results"]:
        t = f"{r['error']:.2e} rel. err." if "error" in r else fmt_time(r["seconds"])
        if "compile_seconds" in r:
            t += f" (compile {fmt_time(r['compile_seconds'])})"
        n = r["n"] if r["n"] < 1000 else f"{r['n']:.0e}"
        lines.append(f"| {r['group']} | {n} | {r['name']} | {t} | {_ratio(r)} |")
    return "\n".join(lines) + "\n"


def plot_dense(result: dict, path: str) -> bool:
    """Time versus steps for the dense warmup+cosine group, log-log; False without matplotlib."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    series: dict[str, list] = {}
    for r in result["results"]:
        if r["group"] == DENSE and r["seconds"] is not None:
            series.setdefault(r["name"], []).append((r["n"], r["seconds"]))
    if not series:
        return False
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for name, pts in series.items():
        pts.sort()
        style = "k--" if "floor" in name else ("-o" if "lrsched" in name else "-s")
        ax.plot([p[0] for p in pts], [p[1] for p in pts], style, label=name, lw=2 if "lrsched" in name else 1)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("steps")
    ax.set_ylabel("seconds (median)")
    ax.set_title(f"dense warmup+cosine, {result['machine']}")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def write(result: dict, folder: str, name: str) -> str:
    """Write ``name``.json, .md and (with matplotlib) .png into ``folder``; returns the markdown."""
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name + ".json"), "w") as f:
        json.dump(result, f, indent=1, default=lambda x: None if isinstance(x, float) and math.isnan(x) else x)
    md = markdown(result)
    with open(os.path.join(folder, name + ".md"), "w") as f:
        f.write(md)
    plot_dense(result, os.path.join(folder, name + ".png"))
    return md

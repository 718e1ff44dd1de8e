"""The public figures' charts, drawn by Parley itself with Matplotlib from the same data as the tables and the JSON
(``parley.press.figures.series`` and ``by_category``): on the public page, and as SVG or PNG for press kits, in the
reader's language. Nothing is fetched: Matplotlib and its DejaVu fonts (which cover Cyrillic) are installed with
Parley. A chart draws only what the tables show: a value that could point at fewer than 5 people is left out.

The public route keeps each chart per state of the log, format and language (``press.service.kept``)."""

from __future__ import annotations

import io
import threading
from datetime import date, timedelta
from typing import Any

CHARTS = ("exchanges", "evacuations", "inquiries")
FORMATS = {"svg": "image/svg+xml", "png": "image/png"}
_LOCK = threading.Lock()  # Matplotlib's state is global: one chart at a time
COLOURS = ("#1f5fa8", "#b3261e", "#1d7a46", "#a3540b", "#6a3fa0", "#4d4d4d")


def render(name: str, fmt: str, data: dict[str, Any], labels: dict[str, str]) -> bytes:
    """Chart ``name`` as ``fmt`` (svg or png) from ``data`` (``figures.table``), its words from ``labels``."""
    with _LOCK:
        return _draw(name, fmt, data, labels)


def _draw(name: str, fmt: str, data: dict[str, Any], labels: dict[str, str]) -> bytes:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update({"font.family": "DejaVu Sans", "font.size": 10, "svg.fonttype": "none",
                         "svg.hashsalt": "parley", "axes.spines.top": False, "axes.spines.right": False})
    fig, ax = plt.subplots(figsize=(7.2, 3.6), dpi=100)
    try:
        drawn = _lines(ax, data["over_time"][name], labels) if name != "evacuations" else \
            _bars(ax, data["evacuated_by_category"], labels)
        ax.set_title(labels["title"], loc="left", fontsize=11)
        if not drawn:
            ax.set_axis_off()
            ax.text(0.5, 0.5, labels["empty"], ha="center", va="center", transform=ax.transAxes, color="#555",
                    wrap=True)
        fig.tight_layout()
        out = io.BytesIO()
        meta = {"Date": None} if fmt == "svg" else {}
        fig.savefig(out, format=fmt, metadata=meta, bbox_inches="tight", pad_inches=0.15)
        return out.getvalue()
    finally:
        plt.close(fig)


def _lines(ax: Any, lines: dict[str, list[dict[str, Any]]], labels: dict[str, str]) -> bool:
    import matplotlib.dates as mdates

    drawn, first, last = False, date.max, date.min
    for i, (key, points) in enumerate(sorted(lines.items())):
        if not points:
            continue
        what, _, party = key.partition(":")
        days = [date.fromisoformat(p["day"]) for p in points]
        values = [p["value"] for p in points]
        first, last = min(first, days[0]), max(last, days[-1])
        style = "-" if what in ("received", "evacuated", "filed") else "--" if what in ("sent", "answered") else ":"
        ax.step(days, values, where="post", linestyle=style, marker="o", color=COLOURS[i % len(COLOURS)],
                label=f"{labels.get('party:' + party, party)}: {labels.get(what, what)}")
        drawn = True
    if drawn:
        ax.set_ylabel(labels["axis"])
        ax.set_ylim(bottom=0, top=max(v for pts in lines.values() for v in (p["value"] for p in pts)) * 1.15)
        margin = max(timedelta(days=15), (last - first) / 20)
        ax.set_xlim(first - margin, last + margin)
        locator = mdates.AutoDateLocator(minticks=3, maxticks=8)
        ax.xaxis.set_major_locator(locator)
        ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
        _legend(ax)
    return drawn


def _legend(ax: Any) -> None:
    """Under the chart, never over what it shows."""
    ax.legend(loc="upper left", bbox_to_anchor=(0, -0.14), ncol=2, fontsize=8, frameon=False)


def _bars(ax: Any, by_party: dict[str, dict[str, int]], labels: dict[str, str]) -> bool:
    categories = sorted({c for cats in by_party.values() for c in cats})
    if not categories:
        return False
    parties = sorted(by_party)
    width = 0.8 / max(1, len(parties))
    for i, party in enumerate(parties):
        xs = [j + i * width for j in range(len(categories))]
        ax.bar(xs, [by_party[party].get(c, 0) for c in categories], width=width,
               color=COLOURS[i % len(COLOURS)], label=labels.get("party:" + party, party))
    ax.set_xticks([j + width * (len(parties) - 1) / 2 for j in range(len(categories))],
                  [labels.get("category:" + c, c) for c in categories])
    ax.set_ylabel(labels["axis"])
    _legend(ax)
    return True

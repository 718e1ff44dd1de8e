"""Deconfliction of proposed operations against 10^5 declared zones, each with a validity window.

Zones are seeded random small shapes (rough circles and quads of 0.5-5 km) over lon 22..41,
lat 44..53, each valid for a random window within 30 days. They are generated with numpy straight
in WGS84 (a data generator; the scale of a degree of longitude is taken as cos(lat)). Proposals take
the product path: a random route of 5-20 vertices, 20-80 km long, grown by ``buffer_m`` (500-2000 m,
through UTM) and given a 6-hour window. Figures: index build time, buffer time, ``Index.query``
median and p95; baseline, same run: ``Index.brute_force`` on some of the same proposals (the answers
must agree); then a batch of proposals through ``Index.query_many``, checked against ``query`` on a
sample. Exits non-zero if any answers disagree. Last line: name=value pairs.
"""

from __future__ import annotations

import argparse
import math
import random
import statistics
import sys
import time

import numpy as np
import shapely
from _common import last_line  # also puts the repo root on sys.path
from shapely.geometry import LineString

from parley.operations.geo import Index, buffer_m

LON0, LON1, LAT0, LAT1 = 22.0, 41.0, 44.0, 53.0
KM_PER_DEG_LAT = 110.574
KM_PER_DEG_LON_EQ = 111.320
T0 = 1_780_000_000.0  # an epoch second in 2026; zones and proposals live within 30 days of it
DAYS = 30
HOUR = 3600.0


def make_zones(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``n`` polygons (about half rough circles, half random quads) and their windows [start, end)."""
    cx = rng.uniform(LON0, LON1, n)
    cy = rng.uniform(LAT0, LAT1, n)
    size_km = rng.uniform(0.5, 5.0, n)  # radius of a circle, half-diagonal of a quad
    kx = 1.0 / (KM_PER_DEG_LON_EQ * np.cos(np.radians(cy)))  # degrees of longitude per km, here
    ky = 1.0 / KM_PER_DEG_LAT
    shapes = np.empty(n, dtype=object)
    circle = rng.random(n) < 0.5

    idx = np.flatnonzero(circle)
    k = 16  # a rough circle
    theta = np.linspace(0, 2 * math.pi, k, endpoint=False)[None, :] + rng.uniform(0, 2 * math.pi, (len(idx), 1))
    r = size_km[idx, None] * rng.uniform(0.85, 1.0, (len(idx), k))  # a little irregular, still star-shaped
    xs = cx[idx, None] + r * np.cos(theta) * kx[idx, None]
    ys = cy[idx, None] + r * np.sin(theta) * ky
    ring = np.stack([xs, ys], axis=-1)
    shapes[idx] = shapely.polygons(np.concatenate([ring, ring[:, :1]], axis=1))

    idx = np.flatnonzero(~circle)
    # A quad: four corners at increasing angles, each in its own quarter turn (star-shaped, so simple).
    theta = (np.arange(4)[None, :] + rng.uniform(0.1, 0.9, (len(idx), 4))) * (math.pi / 2)
    theta += rng.uniform(0, 2 * math.pi, (len(idx), 1))
    r = size_km[idx, None] * rng.uniform(0.6, 1.0, (len(idx), 4))
    xs = cx[idx, None] + r * np.cos(theta) * kx[idx, None]
    ys = cy[idx, None] + r * np.sin(theta) * ky
    ring = np.stack([xs, ys], axis=-1)
    shapes[idx] = shapely.polygons(np.concatenate([ring, ring[:, :1]], axis=1))

    starts = T0 + rng.uniform(0, DAYS * 24 * HOUR, n)
    ends = starts + rng.uniform(1 * HOUR, 7 * 24 * HOUR, n)
    return shapes, starts, ends


def make_route(rng: random.Random) -> LineString:
    """A wandering route of 5-20 vertices and 20-80 km, inside the region."""
    vertices = rng.randint(5, 20)
    total_km = rng.uniform(20, 80)
    step = total_km / (vertices - 1)
    lon = rng.uniform(LON0 + 1.5, LON1 - 1.5)
    lat = rng.uniform(LAT0 + 1.0, LAT1 - 1.0)
    heading = rng.uniform(0, 2 * math.pi)
    pts = [(lon, lat)]
    for _ in range(vertices - 1):
        heading += rng.uniform(-0.5, 0.5)
        lon += step * math.cos(heading) / (KM_PER_DEG_LON_EQ * math.cos(math.radians(lat)))
        lat += step * math.sin(heading) / KM_PER_DEG_LAT
        pts.append((lon, lat))
    return LineString(pts)


def make_proposal(rng: random.Random) -> tuple[LineString, float, float, float]:
    """(route, buffer in metres, start, end): a 6-hour window within the 30 days."""
    start = T0 + rng.uniform(0, DAYS * 24 * HOUR - 6 * HOUR)
    return make_route(rng), rng.uniform(500, 2000), start, start + 6 * HOUR


def pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(len(s) * q))]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--zones", type=int, default=100_000)
    ap.add_argument("--probes", type=int, default=200, help="proposals timed through Index.query")
    ap.add_argument("--brute", type=int, default=20, help="of those, how many also through brute_force")
    ap.add_argument("--batch", type=int, default=10_000, help="proposals in one query_many call")
    ap.add_argument("--sample", type=int, default=100, help="of the batch, how many checked against query")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--target-ms", type=float, default=10.0)
    args = ap.parse_args()
    nrng = np.random.default_rng(args.seed)
    rng = random.Random(args.seed)
    failures = 0

    t = time.perf_counter()
    shapes, starts, ends = make_zones(args.zones, nrng)
    gen_s = time.perf_counter() - t
    keys = [f"zone-{i}" for i in range(args.zones)]
    t = time.perf_counter()
    index = Index(keys, shapes, starts, ends)
    build_s = time.perf_counter() - t
    print(f"generated {args.zones} zones in {gen_s:.2f} s; built the index in {build_s:.2f} s")

    buffer_times, query_times, brute_times, hits = [], [], [], []
    for n in range(args.probes):
        route, metres, start, end = make_proposal(rng)
        t = time.perf_counter()
        probe = buffer_m(route, metres)
        buffer_times.append(time.perf_counter() - t)
        t = time.perf_counter()
        found = index.query(probe, start, end)
        query_times.append(time.perf_counter() - t)
        hits.append(len(found))
        if n < args.brute:
            t = time.perf_counter()
            expected = index.brute_force(probe, start, end)
            brute_times.append(time.perf_counter() - t)
            if found != expected:
                failures += 1
                print(f"DISAGREE probe {n}: query {found} brute_force {expected}")
    buf_med = statistics.median(buffer_times) * 1e3
    q_med, q_p95 = statistics.median(query_times) * 1e3, pct(query_times, 0.95) * 1e3
    b_med = statistics.median(brute_times) * 1e3 if brute_times else float("nan")
    speedup = b_med / q_med
    print(f"buffer_m of a proposal: median {buf_med:.3f} ms")
    print(f"Index.query over {args.probes} proposals: median {q_med:.3f} ms, p95 {q_p95:.3f} ms, max "
          f"{max(query_times) * 1e3:.3f} ms; conflicts per proposal median {statistics.median(hits)}, max {max(hits)}")
    print(f"brute_force on {len(brute_times)} of them: median {b_med:.1f} ms ({speedup:.0f}x the index); "
          f"answers {'agree' if not failures else 'DISAGREE'}")

    t = time.perf_counter()
    batch = [make_proposal(rng) for _ in range(args.batch)]
    probes = [buffer_m(route, metres) for route, metres, _, _ in batch]
    prep_s = time.perf_counter() - t
    bstarts = [p[2] for p in batch]
    bends = [p[3] for p in batch]
    t = time.perf_counter()
    answers = index.query_many(probes, bstarts, bends)
    batch_s = time.perf_counter() - t
    per_ms = batch_s / args.batch * 1e3
    print(f"query_many of {args.batch} proposals: {batch_s:.2f} s, {per_ms:.3f} ms a proposal "
          f"(making and buffering them took {prep_s:.1f} s more); "
          f"{sum(len(a) for a in answers)} conflicts in all")
    sample = rng.sample(range(args.batch), min(args.sample, args.batch))
    bad = [i for i in sample if answers[i] != index.query(probes[i], bstarts[i], bends[i])]
    for i in bad:
        print(f"DISAGREE batch proposal {i}: query_many {answers[i]} query "
              f"{index.query(probes[i], bstarts[i], bends[i])}")
    failures += len(bad)
    print(f"query_many against query on {len(sample)} of the batch: {'agree' if not bad else 'DISAGREE'}")

    last_line(zones=args.zones, build_s=round(build_s, 2), buffer_ms_median=round(buf_med, 3),
              query_ms_median=round(q_med, 3), query_ms_p95=round(q_p95, 3), brute_ms_median=round(b_med, 1),
              speedup=round(speedup, 1), batch=args.batch, batch_s=round(batch_s, 2),
              batch_ms_per_proposal=round(per_ms, 4), agree=str(not failures).lower(),
              target_query_ms=args.target_ms, within_target=str(q_p95 < args.target_ms).lower())
    if failures:
        sys.exit(1)


if __name__ == "__main__":
    main()

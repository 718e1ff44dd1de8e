"""How fast the public figures follow a new release on a large log: a SQLite demo deployment with ``--records`` more
signed notes (the log's bulk, which no figure reads) and ``--releases`` releases of figures (Ukraine's inquiries
until as many different days, ``figures.release``) on top; then, ``--rounds`` times, one more release is written
through the pipeline and the public figures are computed again (``press.figures.table``, what ``/public`` and
``/api/public/figures`` serve), which is timed (``update_ms``: median and p95).

The figures are computed from the release records' projection, never by reading the log: the log's size changes only
the key they are kept under. Baseline, same run: the public state query a public request makes when the state is not
at hand (``press.service.query_public_state``); ``ratio`` = the update's median / the baseline's. Target (the press
desk issue): a new released record updates the figures in under 50 ms. Everything written is removed at exit. Last
line: name=value pairs.
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import UTC, date, datetime, timedelta
from typing import Any

from _common import fresh_deployment, last_line, signed_notes

from tests.conftest import ORIGIN

TARGET_MS = 50.0


def release(demo: Any, i: int, day: date, at: datetime) -> tuple[bytes, dict[str, Any]]:
    from parley.records.compose import compose

    payload = {"id": f"ua-figures-bench-{i}", "subject": "inquiries", "until": day.isoformat(), "filed": 0,
               "answered": 0, "closed": 0}
    return compose(demo.signer("ua/negotiator"), origin=ORIGIN, kind="figures.release", audience="all",
                   payload=payload, time=at), payload


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--records", type=int, default=200_000, help="signed notes added to the log first")
    ap.add_argument("--releases", type=int, default=1_000)
    ap.add_argument("--rounds", type=int, default=20)
    args = ap.parse_args()
    from parley.press import figures
    from parley.press import service as svc

    _, rt, demo = fresh_deployment()
    t0 = time.perf_counter()
    done, chunk = 0, 20_000
    while done < args.records:
        n = min(chunk, args.records - done)
        rt.pipeline.submit_many(signed_notes(demo, n, ORIGIN)[0])
        done += n
        print(f"\r{done:,} notes in the log ({done / (time.perf_counter() - t0):,.0f}/s)", end="", flush=True)
    print()
    # Releases of inquiries until days before the demo's first inquiry (June 2022): each counts none.
    first = date(2022, 5, 31)
    now = datetime.now(UTC)
    results = rt.pipeline.submit_many([release(demo, i, first - timedelta(days=i), now)
                                       for i in range(args.releases)])
    refused = [r for r in results if isinstance(r, Exception)]
    assert not refused, refused[:1]
    with rt.sessions() as s:
        figures.table(s)  # computed and kept for this state
        base = []
        for _ in range(200):
            t = time.perf_counter()
            svc.query_public_state(s)
            base.append(time.perf_counter() - t)
        size = svc.public_state(s)[1] + 1
    updates = []
    for k in range(args.rounds):
        i = args.releases + k
        r = rt.pipeline.submit_many([release(demo, i, first - timedelta(days=i), datetime.now(UTC))])[0]
        assert not isinstance(r, Exception), r
        with rt.sessions() as s:
            t = time.perf_counter()
            table = figures.table(s)
            updates.append(time.perf_counter() - t)
        assert any(q["record"] == r.index for q in table["inquiries"])
    rt.close()
    ms = sorted(x * 1000 for x in updates)
    median, p95 = statistics.median(ms), ms[min(len(ms) - 1, round(0.95 * (len(ms) - 1)))]
    base_ms = statistics.median(base) * 1000
    print(f"a log of {size:,} records with {args.releases + args.rounds:,} releases of figures: one more release "
          f"updates the public figures in {median:.1f} ms (p95 {p95:.1f} ms; target < {TARGET_MS:.0f} ms); "
          f"the public state query takes {base_ms:.2f} ms")
    last_line(records=size, releases=args.releases + args.rounds, update_ms=round(median, 1),
              update_p95_ms=round(p95, 1),
              baseline_ms=round(base_ms, 2), ratio=round(median / base_ms, 1), target_ms=TARGET_MS,
              meets_target=p95 < TARGET_MS)


if __name__ == "__main__":
    main()

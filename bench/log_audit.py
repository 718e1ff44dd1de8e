"""How fast a party's own audit (``parley log verify``) checks records, against the raw Ed25519 verify rate of this
machine measured in the same run on the same signatures.

The auditor runs as the ICRC's auditor (who may read every record) against a real server in another process on
127.0.0.1, so HTTP, JSON, tiles, leaf hashes, signatures and payload hashes are all in the figure. A log this
long is checked in ``parley.log.auditor.CHECK_PROCESSES`` processes (one more than the cores) that read ranges of
the listing themselves (on threads for a short log): the target is an audit rate of at least 1.2 times the
single-core raw verify rate. This machine's speed drifts by a quarter within minutes, so each of the ``--runs``
record audits is paired with raw passes just before and just after it: its ratio is its rate over the mean of
those two. ``ratio`` is the median of the runs' ratios, ``best_ratio`` the best; ``best_over_best`` is the best
audit over the best raw pass of the whole run (the figure this benchmark printed before the pairing). Every figure
is printed. Beside the rates, the CPU time:
the raw verify per signature, and the audit's per record (this process, its checking processes and the server,
``server_cpu_us`` the server's part), whose quotient says what the audit would do on two cores of its own
(``cpu_ratio``: 2 x raw CPU per verify / audit CPU per record), whatever else the machine runs. The temporary
directory (database, state directories) is removed and the server stopped at exit.
Last line: name=value pairs.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import time

import httpx
from _common import fresh_deployment, last_line, signed_notes

from parley.log.note import Verifier, parse_note
from parley.logserver.audit import Auditor
from tests.conftest import ORIGIN, SECRET

TARGET = 1.2


def raw_verify_rate(work: list[tuple[Verifier, bytes, bytes]], passes: int = 3) -> tuple[float, float]:
    """Ed25519 verifications per second on one core, the best of ``passes`` (the machine is shared), and
    the least CPU time one took."""
    best, cpu = 0.0, float("inf")
    for _ in range(passes):
        t0, c0 = time.perf_counter(), time.thread_time()
        for v, msg, sig in work:
            if not v.verify(msg, sig):
                raise AssertionError("a benchmark note does not verify")
        best = max(best, len(work) / (time.perf_counter() - t0))
        cpu = min(cpu, (time.thread_time() - c0) / len(work))
    return best, cpu


def process_cpu(pid: int) -> float:
    """The CPU time (user and system) another process has used, in seconds (Linux)."""
    fields = open(f"/proc/{pid}/stat").read().rpartition(")")[2].split()  # noqa: SIM115 - read at once
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def own_cpu() -> float:
    """The CPU time this process and its finished children (the audit's checking processes) have used."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--records", type=int, default=20_000)
    ap.add_argument("--runs", type=int, default=3, help="record audits to run (each from a fresh state)")
    args = ap.parse_args()
    tmp, rt, demo = fresh_deployment()
    items, signers = signed_notes(demo, args.records, ORIGIN)
    rt.pipeline.submit_many(items)

    rt.close()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    # The server is another process, as it is for a party auditing a log someone else runs.
    env = {**os.environ, "PARLEY_DATABASE_URL": rt.settings.database_url, "PARLEY_DATA_DIR": str(tmp),
           "PARLEY_SECRET_KEY": SECRET, "PARLEY_LOG_ORIGIN": ORIGIN, "PARLEY_COOKIE_SECURE": "false"}
    server = subprocess.Popen([sys.executable, "-m", "parley.cli", "serve", "--port", str(port)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/log/key",
                             headers=demo.headers("icrc/auditor")).status_code == 200:
                    break
            except httpx.HTTPError:
                assert time.monotonic() < deadline and server.poll() is None, "the server did not start"
                time.sleep(0.1)

        # Baseline: verify the same signatures with nothing else around them, one core.
        verifiers = {s.name: Verifier.from_vkey(s.vkey()) for s in signers}
        work = []
        for note, _ in items:
            text, sigs = parse_note(note)
            work.append((verifiers[sigs[0].name], text.encode(), sigs[0].sig))
        raw_before, raw_cpu_before = raw_verify_rate(work)

        # The record checks alone (what the ratio is about), then the whole default audit: the signed
        # checkpoints listed, 256 inclusion proofs, the persons and operations served.
        rates, cpus, server_cpus, paired, raws = [], [], [], [], [raw_before]
        url, vkey, token = f"http://127.0.0.1:{port}", rt.log_signer.vkey(), demo.token("icrc/auditor")
        for n in range(args.runs):
            before = raws[-1]
            state = tmp / f"audit-{n}"
            c0, s0 = own_cpu(), process_cpu(server.pid)
            report = Auditor(url, vkey, state, token, projections=False, proofs=0, kinds=rt.kinds).run()
            served = process_cpu(server.pid) - s0
            cpus.append((own_cpu() - c0 + served) / report.records_checked)
            server_cpus.append(served / report.records_checked)
            assert report.ok, (report.failures[:3], report.problems[:3])
            rates.append(report.records_checked / report.seconds)
            shutil.rmtree(state)
            raws.append(raw_verify_rate(work, passes=1)[0])  # just after this run, just before the next
            paired.append(rates[-1] / ((before + raws[-1]) / 2))
        full = Auditor(url, vkey, tmp / "audit-full", token, kinds=rt.kinds).run()
        assert full.ok, (full.failures[:3], full.problems[:3])
        raw_after, raw_cpu_after = raw_verify_rate(work)
    finally:
        server.terminate()
        server.wait()
    raw_rate = max(raw_after, *raws)  # raws[0] is the rate before the runs
    best, median = max(rates), statistics.median(rates)
    print(f"audited {report.records_checked} records of a {report.size}-record log {args.runs} times "
          "(checkpoint, tiles, leaf hashes, signatures, payload hashes, over HTTP): "
          + ", ".join(f"{r:,.0f}/s" for r in rates))
    print(f"the whole default audit: {full.seconds:.2f} s ({full.checkpoints_checked} checkpoints, "
          f"{full.proofs_checked} proofs, {full.projections_compared} compared)")
    print(f"raw Ed25519 verifications, one core: {raw_before:,.0f}/s before, "
          f"{', '.join(f'{r:,.0f}' for r in raws[1:])}/s after each run, {raw_after:,.0f}/s at the end")
    print("each run's rate over the mean of the raw rates just before and after it: "
          + ", ".join(f"{r:.3f}" for r in paired))
    raw_cpu, audit_cpu = min(raw_cpu_before, raw_cpu_after), min(cpus)
    print(f"CPU time: {raw_cpu * 1e6:.0f} us a raw verification; the audit {audit_cpu * 1e6:.0f} us a record "
          f"(auditor and server; runs: {', '.join(f'{c * 1e6:.0f}' for c in cpus)}; the server's part: "
          f"{', '.join(f'{c * 1e6:.0f}' for c in server_cpus)})")
    ratio = statistics.median(paired)
    last_line(records=report.records_checked, audit_per_s=round(best), audit_median_per_s=round(median),
              raw_verify_per_s=round(raw_rate), full_audit_s=round(full.seconds, 2), ratio=round(ratio, 3),
              best_ratio=round(max(paired), 3), best_over_best=round(best / raw_rate, 3),
              raw_cpu_us=round(raw_cpu * 1e6, 1),
              audit_cpu_us=round(audit_cpu * 1e6, 1),
              server_cpu_us=round(min(server_cpus) * 1e6, 1), cpu_ratio=round(2 * raw_cpu / audit_cpu, 3),
              target_ratio=TARGET, meets_target=ratio >= TARGET)


if __name__ == "__main__":
    main()

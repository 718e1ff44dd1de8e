"""How fast a party's own audit (``parley log verify``) checks records, against the raw Ed25519
verify rate of this machine measured in the same run on the same signatures.

The auditor runs as the ICRC's auditor (who may read every record) against a real server in
another process on 127.0.0.1, so HTTP, JSON, tiles, leaf hashes, signatures and payload hashes are all in the figure.
Last line: name=value pairs.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import time

import httpx
from _common import fresh_deployment, last_line, signed_notes

from parley.log.note import Verifier, parse_note
from parley.logserver.audit import Auditor
from tests.conftest import ORIGIN, SECRET

def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--records", type=int, default=20_000)
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
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/log/key", headers=demo.headers("icrc/auditor")).status_code == 200:
                break
        except httpx.HTTPError:
            assert time.monotonic() < deadline and server.poll() is None, "the server did not start"
            time.sleep(0.1)

    # The record checks alone (what the ratio is about), then the whole default audit: the signed
    # checkpoints listed, 256 inclusion proofs, the persons and operations served.
    auditor = Auditor(f"http://127.0.0.1:{port}", rt.log_signer.vkey(), tmp / "audit", demo.token("icrc/auditor"),
                      projections=False, proofs=0, kinds=rt.kinds)
    report = auditor.run()
    assert report.ok, report.failures[:3]
    audit_rate = report.records_checked / report.seconds
    full = Auditor(f"http://127.0.0.1:{port}", rt.log_signer.vkey(), tmp / "audit-full",
                   demo.token("icrc/auditor"), kinds=rt.kinds).run()
    assert full.ok, (full.failures[:3], full.problems[:3])

    # Baseline: verify the same signatures with nothing else around them.
    verifiers = {s.name: Verifier.from_vkey(s.vkey()) for s in signers}
    parsed = []
    for note, _ in items:
        text, sigs = parse_note(note)
        parsed.append((verifiers[sigs[0].name], text.encode(), sigs[0].sig))
    t0 = time.perf_counter()
    for v, msg, sig in parsed:
        assert v.verify(msg, sig)
    raw_rate = len(parsed) / (time.perf_counter() - t0)
    server.terminate()
    server.wait()
    print(f"audited {report.records_checked} records of a {report.size}-record log in {report.seconds:.2f} s "
          "(checkpoint, tiles, leaf hashes, signatures, payload hashes, over HTTP)")
    print(f"the whole default audit: {full.seconds:.2f} s ({full.checkpoints_checked} checkpoints, "
          f"{full.proofs_checked} proofs, {full.projections_compared} compared)")
    print(f"raw Ed25519 verifications: {raw_rate:,.0f}/s")
    ratio = audit_rate / raw_rate
    last_line(records=report.records_checked, audit_per_s=round(audit_rate), raw_verify_per_s=round(raw_rate),
              full_audit_s=round(full.seconds, 2),
              ratio=round(ratio, 3), target_ratio=0.7, meets_target=ratio >= 0.7)


if __name__ == "__main__":
    main()

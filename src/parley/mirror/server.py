"""The mirror's HTTP face: the log's own tlog-tiles paths, read-only, for the mirror's clients only.

- ``GET /log/checkpoint``: the mirror checkpoint (the log's signed note, the cosignatures it was served
  with, and the mirror's own cosignature: C2SP tlog-mirror's statement that it holds this tree);
- ``GET /log/key``: the log's verifier key; ``GET /mirror/key``: the mirror's cosigner key;
- ``GET /log/tile/<L>/<N>[.p/<W>]`` (hash tiles), ``GET /log/tile/entries/<N>[.p/<W>]`` (the signed record
  notes) and ``GET /log/payloads/<N>[.p/<W>]`` (their canonical payloads), up to the mirror checkpoint;
- ``GET /api/log/data-keys``: the data subjects' keys the mirror holds, and those it deleted (``key: null``), as the
  log lists them (``?after=<subject>&limit=<n>``), so a restore opens and stores the sealed payloads as they were;
- ``GET /mirror/status``: sizes, the last sync and its error.

Every request needs a client token the mirror's operator issued (``parley mirror token``): with the keys, the
copy opens every record still held, personal data included, and is never served publicly. Nothing here writes."""

from __future__ import annotations

import base64
import json

from fastapi import Depends, FastAPI, HTTPException, Query, Request
from fastapi.responses import Response

from parley.log import tiles
from parley.mirror.store import MirrorStore

IMMUTABLE = "private, max-age=31536000, immutable"


def create_mirror_app(store: MirrorStore) -> FastAPI:
    app = FastAPI(title="Parley mirror", docs_url=None, redoc_url=None, openapi_url=None)

    def client(request: Request) -> str:
        auth = request.headers.get("authorization", "")
        scheme, _, token = auth.partition(" ")
        label = store.client_of(token.strip()) if scheme.lower() == "bearer" and token else None
        if label is None:
            raise HTTPException(401, "a client token issued by this mirror is required",
                                headers={"WWW-Authenticate": "Bearer"})
        return label

    @app.get("/log/checkpoint")
    def checkpoint(_: str = Depends(client)) -> Response:
        cp = store.checkpoint()
        if not cp.note:
            raise HTTPException(404, "the mirror holds no checkpoint yet")
        return Response(cp.served(), media_type="text/plain; charset=utf-8", headers={"Cache-Control": "no-store"})

    @app.get("/log/key")
    def log_key(_: str = Depends(client)) -> Response:
        return Response(store.log_vkey + "\n", media_type="text/plain")

    @app.get("/mirror/key")
    def mirror_key(_: str = Depends(client)) -> Response:
        return Response(store.vkey() + "\n", media_type="text/plain")

    @app.get("/mirror/status")
    def status(_: str = Depends(client)) -> Response:
        cp = store.checkpoint()
        body = {"origin": store.origin, "size": cp.size, "verified_at": cp.verified_at,
                "last_sync": store.status("last_sync"), "last_error": store.status("last_error"),
                "mirror": store.cosigner.name}
        return Response(json.dumps(body), media_type="application/json", headers={"Cache-Control": "no-store"})

    @app.get("/api/log/data-keys")
    def data_keys(_: str = Depends(client), after: str = Query("", max_length=100),
                  limit: int = Query(1000, ge=1, le=5000)) -> Response:
        held = sorted(((x, k) for x, k in store.keys().items() if x > after), key=lambda xk: xk[0])[:limit]
        keys = [{"subject": x, "key": base64.b64encode(k.key).decode() if k.key is not None else None,
                 "created_idx": k.created_idx, "destroyed_idx": k.destroyed_idx} for x, k in held]
        body = {"keys": keys, "next": held[-1][0] if len(held) == limit else None}
        return Response(json.dumps(body), media_type="application/json", headers={"Cache-Control": "no-store"})

    @app.get("/log/tile/{path:path}")
    def tile(path: str, _: str = Depends(client)) -> Response:
        try:
            ref = tiles.parse_tile_path("tile/" + path)
        except ValueError as exc:
            raise HTTPException(404, str(exc)) from None
        width = ref.width or tiles.TILE_WIDTH
        start = ref.n * tiles.TILE_WIDTH
        try:
            if ref.level < 0:
                body = tiles.encode_entry_bundle([n for n, _ in store.entries(start, start + width)])
            else:
                body = store.hash_tile(ref.level, ref.n, width)
        except LookupError as exc:
            raise HTTPException(404, str(exc)) from None
        return Response(body, media_type="application/octet-stream",
                        headers={"Cache-Control": IMMUTABLE} if ref.width is None else {})

    @app.get("/log/payloads/{path:path}")
    def payloads(path: str, _: str = Depends(client)) -> Response:
        try:
            ref = tiles.parse_payload_path("payloads/" + path)
        except ValueError as exc:
            raise HTTPException(404, str(exc)) from None
        width = ref.width or tiles.TILE_WIDTH
        start = ref.n * tiles.TILE_WIDTH
        try:
            body = tiles.encode_payload_bundle([p for _, p in store.entries(start, start + width)])
        except LookupError as exc:
            raise HTTPException(404, str(exc)) from None
        return Response(body, media_type="application/octet-stream",
                        headers={"Cache-Control": IMMUTABLE} if ref.width is None else {})

    return app

"""``WriteAdmission``: writing requests go in a few at a time per credential and a bounded number in all;
the others wait their turn (then 503), reads are never held back, and one member's flood does not delay
another member's write."""

from __future__ import annotations

from typing import Any

import anyio

from parley.asgi import WriteAdmission


class Held:
    """An application that keeps every write until released, counting how many are inside at once."""

    def __init__(self) -> None:
        self.inside: dict[bytes, int] = {}
        self.most: dict[bytes, int] = {}
        self.release = anyio.Event()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        who = dict(scope["headers"]).get(b"authorization", b"-")
        if scope["method"] != "GET":
            self.inside[who] = self.inside.get(who, 0) + 1
            self.most[who] = max(self.most.get(who, 0), self.inside[who])
            try:
                await self.release.wait()
            finally:
                self.inside[who] -= 1
        await send({"type": "http.response.start", "status": 201, "headers": []})
        await send({"type": "http.response.body", "body": b""})


async def call(app: Any, method: str, token: str, out: list[int]) -> None:
    scope = {"type": "http", "method": method, "path": "/api/actions", "headers": [(b"authorization", token.encode())],
             "client": ("127.0.0.1", 1)}

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(msg: dict[str, Any]) -> None:
        if msg["type"] == "http.response.start":
            out.append(msg["status"])

    await app(scope, receive, send)


def test_writes_queue_per_credential_and_reads_pass() -> None:
    async def main() -> None:
        held = Held()
        app = WriteAdmission(held, in_flight=6, per_client=4, queue_timeout=5)
        flood: list[int] = []
        other: list[int] = []
        reads: list[int] = []
        async with anyio.create_task_group() as tg:
            for _ in range(20):
                tg.start_soon(call, app, "POST", "Bearer flood", flood)
            await anyio.sleep(0.05)
            assert held.inside[b"Bearer flood"] == 4  # four in, sixteen waiting
            tg.start_soon(call, app, "POST", "Bearer other", other)
            await anyio.sleep(0.05)
            assert held.inside.get(b"Bearer other") == 1  # another member's write goes straight in
            for _ in range(10):
                await call(app, "GET", "Bearer flood", reads)  # reads are not held back
            assert reads == [201] * 10
            held.release.set()
        assert flood == [201] * 20 and other == [201]
        assert held.most[b"Bearer flood"] == 4
        assert app.clients == {}  # nothing kept for credentials no longer writing

    anyio.run(main)


def test_the_total_is_bounded_and_a_long_wait_is_503() -> None:
    async def main() -> None:
        held = Held()
        app = WriteAdmission(held, in_flight=3, per_client=2, queue_timeout=0.3)
        answers: list[int] = []
        async with anyio.create_task_group() as tg:
            for token in ("a", "b", "c"):
                for _ in range(3):
                    tg.start_soon(call, app, "POST", token, answers)
            await anyio.sleep(0.1)
            assert sum(held.inside.values()) == 3  # the total, though each could have two
            await anyio.sleep(0.5)  # the waiting ones time out
            assert answers == [503] * 6
            held.release.set()
        assert sorted(answers) == [201] * 3 + [503] * 6

    anyio.run(main)

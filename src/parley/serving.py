"""How Parley runs uvicorn: timeouts and limits for clients that send slowly or never finish.

uvicorn (0.54, h11 or httptools) closes an idle keep-alive connection after ``timeout_keep_alive``
and refuses request heads over ``h11_max_incomplete_event_size`` (h11), but it has no deadline for a
request's head: a client that sends one header line every few seconds keeps its connection forever
(every byte re-arms nothing, it is simply never timed). ``HeaderDeadline`` adds one to uvicorn's own
protocol class: from the moment a connection opens, and again after each response, the next request's
head must be complete within ``header_timeout`` or the connection is closed. Bodies are timed by
``parley.asgi.BodyLimit``, inside the application.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from parley.settings import Settings

MAX_HEAD_BYTES = 16 << 10  # request line and headers, at most (h11's default, stated)


def _header_deadline(base: type[asyncio.Protocol], timeout: float) -> type[asyncio.Protocol]:
    class HeaderDeadline(base):  # type: ignore[misc, valid-type]
        """uvicorn's HTTP protocol with a deadline for each request's head."""

        header_timeout = timeout

        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            super().connection_made(transport)  # type: ignore[arg-type]
            self._head_timer: asyncio.TimerHandle | None = None
            self._arm()

        def _arm(self) -> None:
            self._disarm()
            self._waiting_for = self.cycle  # a new request (head complete) replaces uvicorn's cycle
            self._head_timer = self.loop.call_later(self.header_timeout, self._head_too_slow)

        def _disarm(self) -> None:
            timer = getattr(self, "_head_timer", None)
            if timer is not None:
                timer.cancel()
                self._head_timer = None

        def _head_too_slow(self) -> None:
            self._head_timer = None
            if self.cycle is self._waiting_for and not self.transport.is_closing():
                self.transport.close()  # nothing to answer: the request never got as far as a request

        def data_received(self, data: bytes) -> None:
            super().data_received(data)
            if self.cycle is not self._waiting_for:
                self._disarm()

        def on_response_complete(self) -> None:
            before = self.cycle
            super().on_response_complete()
            if self.transport.is_closing():
                self._disarm()
            elif self.cycle is before:  # no pipelined request already waiting: time the next head
                self._arm()

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            super().connection_lost(exc)

    HeaderDeadline.__name__ = f"HeaderDeadline{base.__name__}"
    return HeaderDeadline


def http_protocol(header_timeout: float) -> type[asyncio.Protocol]:
    """uvicorn's default HTTP/1.1 protocol (httptools when installed, else h11) with a header deadline."""
    from uvicorn.protocols.http.auto import AutoHTTPProtocol

    return _header_deadline(AutoHTTPProtocol, header_timeout)


def server_options(settings: Settings) -> dict[str, Any]:
    """Keyword arguments for ``uvicorn.run`` / ``uvicorn.Config`` (the server, the demo, the witnesses)."""
    return {
        "http": http_protocol(settings.header_timeout.total_seconds()),
        "timeout_keep_alive": max(1, int(settings.keep_alive_timeout.total_seconds())),
        "h11_max_incomplete_event_size": MAX_HEAD_BYTES,
    }


def witness_server_options() -> dict[str, Any]:
    """The same for a witness, which has no Parley settings: the defaults' timeouts."""
    return {"http": http_protocol(10.0), "timeout_keep_alive": 5, "h11_max_incomplete_event_size": MAX_HEAD_BYTES}


def exit_with_parent() -> None:
    """If ``PARLEY_EXIT_WITH_PARENT`` names this process's parent (``parley demo`` sets it for its witnesses
    and mirror), end this process with SIGTERM once that parent is gone, even if it was killed outright."""
    import os
    import signal

    wanted = os.environ.get("PARLEY_EXIT_WITH_PARENT", "")
    if wanted.isdigit() and int(wanted) == os.getppid():
        watch_parent(int(wanted), lambda: os.kill(os.getpid(), signal.SIGTERM))


def watch_parent(parent: int, gone: Callable[[], object], interval: float = 0.5) -> None:
    """Call ``gone`` (on a thread of its own) once this process's parent is no longer ``parent``: it ended,
    however it ended, and this process was handed to another."""
    import os
    import threading
    import time

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(interval)
        gone()

    threading.Thread(target=watch, name="parley-parent-watch", daemon=True).start()

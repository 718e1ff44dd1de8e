"""A served process (``parley serve``, ``parley demo``: ``cli.run_server``) freezes what its start-up built out of
the garbage collector's sight, so full collections under load walk only what requests made; an application made
by a test (or any other caller) does not, since such a process makes many and drops them."""

from __future__ import annotations

import gc

from fastapi.testclient import TestClient

from parley.app import create_app


def test_only_a_served_application_freezes_its_start_up(sqlite_runtime):
    rt = sqlite_runtime
    settings = rt.settings.model_copy(update={"self_check_on_start": False})
    before = gc.get_freeze_count()
    try:
        with TestClient(create_app(settings, rt)):
            pass
        assert gc.get_freeze_count() == before  # made and dropped by a caller: nothing frozen
        app = create_app(settings, rt)
        app.state.freeze_after_start = True  # what cli.run_server says before uvicorn starts it
        with TestClient(app):
            assert gc.get_freeze_count() > before
    finally:
        gc.unfreeze()
        if before:
            gc.freeze()  # as it was (the objects frozen before are older than any made here)

"""A live uvicorn server for a test: the app on a free port of 127.0.0.1, in a thread."""

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn
from starlette.types import ASGIApp

STARTUP_SECONDS = 30


@contextmanager
def live_server(app: ASGIApp, **config: object) -> Iterator[str]:
    """Serve `app` until the block ends; yields its base URL (http://127.0.0.1:port)."""
    listening = socket.socket()
    listening.bind(("127.0.0.1", 0))  # port 0: the system picks a free one
    port = listening.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", **config))  # type: ignore[arg-type]
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listening]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + STARTUP_SECONDS
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the live server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(STARTUP_SECONDS)
        listening.close()

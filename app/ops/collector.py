"""Keep the garbage collector's full passes short: what lives as long as the process is
frozen (gc.freeze), out of their reach.

A full pass walks every tracked object. Start-up builds some 200,000 (modules, schemas,
routes): frozen at start-up (`freeze_long_lived`, from the lifespan). The first requests
build some 45,000 more that also stay (statement shapes and SQLAlchemy's compiled
statements, built as each kind of search first comes in): left in reach, they made every
full pass, about one request in 80, take ~10 ms. `FreezeAfterWarmUp` freezes them once,
after the worker's first requests.

Freezing is for good: an object frozen while in use that later becomes part of a garbage
cycle is not reclaimed. Hence once, after a collection, with only the requests in flight
at that moment left over.
"""

import gc

from starlette.types import ASGIApp, Receive, Scope, Send


def freeze_long_lived() -> None:
    gc.collect()
    gc.freeze()


class FreezeAfterWarmUp:
    """After `requests` requests have been answered, freeze_long_lived, once."""

    def __init__(self, app: ASGIApp, requests: int) -> None:
        self.app = app
        self.remaining = requests

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)
        if self.remaining > 0 and scope["type"] == "http":
            self.remaining -= 1
            if self.remaining == 0:
                freeze_long_lived()

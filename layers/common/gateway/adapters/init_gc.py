"""The garbage collector waits while a handler module is built: import this module first, call
`resume()` at the end of the handler module.

A cold start allocates a few hundred thousand objects (boto3's, pydantic's and psycopg's modules,
our models and routes) and frees almost none of them, yet each 700 new objects start a young
collection and each tenth of those an older one that walks everything allocated so far: 6-11 % of a
function's import on this machine (20-45 ms; benchmarks/README.md, "Cold starts"). Paused, nothing
is collected that could have been; `resume()` then moves what INIT built into the permanent
generation (`gc.freeze`), so the first event's collections do not walk it either and nothing is
merely moved from INIT to the first request (Python's documentation of `gc.freeze` gives the same
recipe for a process that forks after its imports). SnapStart's before-snapshot hook unfreezes,
collects and freezes again (runtime_hooks.py). Only the first handler imported in a process pauses
the collector (a module runs once); tests that import several handlers simply collect as usual.
"""

from __future__ import annotations

import gc

gc.disable()


def resume() -> None:
    """INIT is over: what it built is kept out of future collections, and the collector runs again."""
    gc.freeze()
    gc.enable()

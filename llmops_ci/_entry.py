"""The console script. A CLI run is short and frees everything at exit, so the cyclic garbage collector
only costs time (a tenth of lint's cold start): it is off from the first import, and commands that run
long (eval) switch it back on. The process ends with ``os._exit`` after flushing, skipping interpreter
teardown (module and object finalisation), which a finished CLI run does not need."""

from __future__ import annotations

import contextlib
import gc
import os
import sys


def run() -> None:
    gc.disable()
    from llmops_ci.cli import main

    code = main()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(BrokenPipeError, ValueError):  # the reader went away, or it is closed
            stream.flush()
    os._exit(code)

"""The engine's main loop and its wiring to the process's stdin and stdout.

``serve`` reads lines, parses them (``gtp.protocol``) and lets the engine
answer each; empty and comment lines get no answer.  With pondering on, the
engine searches between its genmove and the next line.  When the controller has
been quiet for ``IDLE_SECONDS`` the engine starts loading its model in the
background.  It returns on ``quit`` or at the end of input.

``run_stdio`` keeps stdout for protocol responses only: it moves the real
stdout to a private descriptor and points descriptor 1 (and ``sys.stdout``)
at stderr, so a stray print or a library's chatter can never corrupt the
protocol.  After ``quit`` it exits at once, without waiting for a model that
may still be loading.
"""

from __future__ import annotations

import logging
import os
import sys

from gtp.engine import Engine
from gtp.options import EngineOptions
from gtp.protocol import parse_line
from gtp.streams import LineReader, ResponseWriter

log = logging.getLogger(__name__)

IDLE_SECONDS = 0.3


def serve(engine: Engine, reader: LineReader) -> None:
    """Answer commands until ``quit`` or the end of input."""
    while not engine.quitting:
        engine.ponder()  # returns at once unless pondering is on and the last command was genmove
        try:
            line = reader.get(timeout=None if engine.warm else IDLE_SECONDS)
        except TimeoutError:
            engine.on_idle()
            continue
        if line is None:
            return
        command = parse_line(line)
        if command is not None:
            engine.handle(command)


def run_stdio(options: EngineOptions) -> int:
    """Run the engine on this process's stdin/stdout; never returns normally."""
    protocol_out = os.fdopen(os.dup(sys.stdout.fileno()), "wb", buffering=0)
    sys.stdout.flush()
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    sys.stdout = sys.stderr
    reader = LineReader(sys.stdin.buffer).start()
    engine = Engine(options, ResponseWriter(protocol_out), reader)
    log.info("goagent GTP engine ready (model %s)", options.model)
    code = 0
    try:
        serve(engine, reader)
    except KeyboardInterrupt:
        code = 130
    sys.stderr.flush()
    os._exit(code)  # daemon threads (stdin, model loading) must not delay the exit

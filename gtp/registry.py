"""Registration of GTP command handlers.

A handler is a ``cmd_*`` method marked with ``@command("gtp-name")``.  A plain
handler takes the argument list and returns the response text (or raises
``GtpError``); a ``streaming=True`` handler also gets a ``StreamReply`` and
writes its lines as it goes (analysis).  ``collect`` gathers the marked
methods of a class and its mixins, in definition order, for dispatch and
``list_commands``: there is no dispatcher to edit when a command is added.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Handler:
    name: str  # the GTP command name
    attr: str  # the method implementing it
    streaming: bool


def command(name: str, streaming: bool = False) -> Callable:
    """Mark a ``cmd_*`` method as the handler of GTP command ``name``."""

    def mark(method: Callable) -> Callable:
        if not method.__name__.startswith("cmd_"):
            raise TypeError(f"GTP handler {method.__name__} must be named cmd_*")
        method.gtp_command = (name, streaming)
        return method

    return mark


def collect(cls: type) -> dict[str, Handler]:
    """GTP name -> Handler for every marked method of ``cls`` (base classes first)."""
    handlers: dict[str, Handler] = {}
    for klass in reversed(cls.__mro__):
        for attr, value in vars(klass).items():
            marked = getattr(value, "gtp_command", None)
            if marked is not None:
                name, streaming = marked
                handlers[name] = Handler(name, attr, streaming)
    return handlers

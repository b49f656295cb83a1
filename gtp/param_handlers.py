"""GTP commands about the engine itself: komi, caches, CPU time, KataGo's parameters.

A mixin of ``gtp.engine.Engine``.  ``kata-get-param``/``kata-set-param`` use
KataGo's parameter names (its docs/GTP_Extensions.md): ``maxVisits`` and
``maxTime`` (the per-move limits, as ``--visits``/``--seconds`` set them;
time settings still take over while a clock runs), ``ponderingEnabled``
(think on the opponent's time, as ``--ponder``) and ``numSearchThreads``
(read only: goagent searches on one thread; the network's torch threads are
``--threads``).  ``playoutDoublingAdvantage`` and the other KataGo
parameters goagent has no counterpart for are refused with a clear error.
"""

from __future__ import annotations

import math
import time

from gtp import registry
from gtp.protocol import SYNTAX_ERROR, GtpError, expect

_PARAMS = ("maxVisits", "maxTime", "ponderingEnabled", "numSearchThreads")


def _bool_word(text: str) -> bool:
    word = text.lower()
    if word not in ("true", "false"):
        raise GtpError(SYNTAX_ERROR)
    return word == "true"


class ParamCommands:
    """get_komi, clear_cache, cputime, kata-get-param, kata-set-param."""

    @registry.command("get_komi")
    def cmd_get_komi(self, args):
        return f"{self.komi:g}"

    @registry.command("clear_cache")
    def cmd_clear_cache(self, args):
        """KataGo's: forget the search tree and the evaluation cache (a fresh look)."""
        if self._brain is not None:
            self._brain.clear_cache()
        return ""

    @registry.command("cputime")
    def cmd_cputime(self, args):
        """CPU seconds this engine has used, all threads (GNU Go's and GoGui's cputime)."""
        return f"{time.process_time():.3f}"

    def _param(self, name: str) -> str:
        options = self.options
        if name == "maxVisits":
            visits, _ = options.limits()
            return str(visits if visits is not None else 0)  # 0: no visit limit (KataGo's big number)
        if name == "maxTime":
            _, seconds = options.limits()
            return f"{seconds:g}" if seconds is not None else "1e+20"
        if name == "ponderingEnabled":
            return "true" if options.ponder else "false"
        return "1"  # numSearchThreads

    @registry.command("kata-get-param")
    def cmd_kata_get_param(self, args):
        name = expect(args, 1)[0]
        if name not in _PARAMS:
            raise GtpError(f"unknown or unsupported parameter {name!r}; goagent has {', '.join(_PARAMS)}")
        return self._param(name)

    @registry.command("kata-set-param")
    def cmd_kata_set_param(self, args):
        name, value = expect(args, 2)
        if name not in _PARAMS or name == "numSearchThreads":
            raise GtpError(
                f"unknown or unsupported parameter {name!r}; goagent sets {', '.join(_PARAMS[:3])}"
            )
        if name == "ponderingEnabled":
            self.set_options(ponder=_bool_word(value))
            return ""
        try:
            number = float(value)
        except ValueError:
            raise GtpError(SYNTAX_ERROR) from None
        if not number > 0 or math.isnan(number):
            raise GtpError(SYNTAX_ERROR)
        visits, seconds = self.options.limits()
        if name == "maxVisits":
            visits = None if number >= 1e9 else max(1, int(number))
        else:
            seconds = None if number >= 1e9 else number
        if visits is None and seconds is None:
            raise GtpError("maxVisits and maxTime cannot both be unlimited")
        self.set_options(visits=visits, seconds=seconds)
        return ""

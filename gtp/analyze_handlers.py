"""GTP analysis commands: lz-analyze, kata-analyze, their genmove forms, GoGui.

A mixin of ``gtp.engine.Engine``.  ``lz-analyze`` / ``kata-analyze`` answer
``=`` at once, then search the position (for the colour asked, whoever is to
move) and write one ``info ...`` line every interval until any input line
arrives; that line stops the search, ends the response with the empty line
and is then handled as the next command.  ``*-genmove_analyze`` stream the
same lines while choosing a move, then write ``play <move>`` (they are not
interrupted: a move must come).  Line formats live in ``gtp.analysis``.
"""

from __future__ import annotations

import time

from goagent.coords import BLACK
from goagent.winrate import black_winrate
from gtp import registry
from gtp.analysis import (
    GOGUI_ANALYZE_COMMANDS,
    AnalyzeRequest,
    kata_line,
    lz_line,
    ownership_gfx,
    parse_request,
    play_line,
    policy_gfx,
)
from gtp.protocol import StreamReply, parse_player


class _Updates:
    """Writes analysis lines for one command at the requested interval."""

    def __init__(self, reply: StreamReply, request: AnalyzeRequest, size: int, kata: bool, ownership):
        self.reply = reply
        self.request = request
        self.size = size
        self.kata = kata
        self._ownership = ownership  # callable -> side-to-move ownership, used if the search has none
        self.sent = 0
        self.next_at = time.monotonic() + request.interval if request.interval > 0 else float("inf")

    def __call__(self, search) -> None:
        """Called before each search batch: write an update when one is due."""
        if time.monotonic() >= self.next_at:
            self.send(search.result(), search)

    def send(self, result, search=None) -> None:
        """Write an update for ``result`` (a ``SearchResult``; ``search``: its tree) now."""
        now = time.monotonic()
        if self.kata:
            ownership = result.ownership  # search-averaged; also what scoreStdev is estimated from
            if ownership is None and (self.request.ownership or self.request.moves_ownership):
                ownership = self._ownership()
            line = kata_line(result, self.request, self.size, ownership, search)
        else:
            line = lz_line(result, self.request, self.size)
        if line:
            self.reply.line(line)
            self.sent += 1
            if self.request.interval > 0:
                self.next_at = now + self.request.interval


class AnalyzeCommands:
    """lz-analyze, kata-analyze, lz-genmove_analyze, kata-genmove_analyze, stop,
    gogui-analyze_commands and the GoGui board displays."""

    def _updates(self, request: AnalyzeRequest, reply: StreamReply, state, kata: bool) -> _Updates:
        cache = []

        def ownership():  # the side to move's view, computed once per command
            if not cache:
                own, _ = self.brain.ownership_black(state)
                cache.append(own if state.to_play == BLACK else -own)
            return cache[0]

        return _Updates(reply, request, self.size, kata, ownership)

    def _model_or_stop(self, reply: StreamReply) -> bool:
        """Wait for the model; True once it is ready.  While it loads, the response has
        begun ("=") and the next input line stops it (False): a GUI that asks for analysis
        at start-up is answered at once and can go on.  A model that cannot load is
        answered "?" when that is known before the response begins."""
        brain = self.brain
        if not brain.wait_loaded(0):
            self.on_idle()  # make sure loading is under way (it is, after the handshake)
            reply.begin()
            while not brain.wait_loaded(0.05):
                if self.reader.pending():
                    return False
        brain.ready()
        return True

    def _analyze(self, args, reply: StreamReply, kata: bool) -> None:
        request = parse_request(args, self.size)
        if not self._model_or_stop(reply):  # before the position: building it imports Numba code
            return
        state = self._position_for(request.color or self.state.to_play)
        reply.begin()
        updates = self._updates(request, reply, state, kata)

        def step(search) -> bool:
            if self.reader.pending():
                return True
            updates(search)
            return False

        self.brain.analyze(state, step, request.rules)
        search = self.brain.player.search
        if not self.reader.pending() and search is not None:
            updates.send(search.result(), search)  # the search stopped by itself (visit cap or game over)
            self.reader.wait(None)  # the stream stays open until the next line
        if updates.sent == 0 and search is not None:
            updates.send(search.result(), search)

    def _genmove_analyze(self, args, reply: StreamReply, kata: bool) -> None:
        request = parse_request(args, self.size)
        color = request.color or self.state.to_play
        state = self._position_for(color)
        self.brain.ready()
        reply.begin()
        updates = self._updates(request, reply, state, kata)

        def step(search) -> bool:
            updates(search)
            return False

        decision = self.brain.genmove(state, step, request.rules)
        if updates.sent == 0:
            updates.send(decision.search)
        reply.line(play_line(self._commit(color, decision)))

    @registry.command("lz-analyze", streaming=True)
    def cmd_lz_analyze(self, args, reply):
        self._analyze(args, reply, kata=False)

    @registry.command("kata-analyze", streaming=True)
    def cmd_kata_analyze(self, args, reply):
        self._analyze(args, reply, kata=True)

    @registry.command("lz-genmove_analyze", streaming=True)
    def cmd_lz_genmove_analyze(self, args, reply):
        self._genmove_analyze(args, reply, kata=False)

    @registry.command("kata-genmove_analyze", streaming=True)
    def cmd_kata_genmove_analyze(self, args, reply):
        self._genmove_analyze(args, reply, kata=True)

    @registry.command("stop")
    def cmd_stop(self, args):
        """Lizzie and KataGo's "stop analysing": any line already stopped it."""
        return ""

    # -- GoGui -----------------------------------------------------------------

    @registry.command("gogui-analyze_commands")
    def cmd_gogui_analyze_commands(self, args):
        return "\n".join(GOGUI_ANALYZE_COMMANDS)

    def _gogui_position(self, args):
        return self._position_for(parse_player(args[0]) if args else self.state.to_play)

    @registry.command("goagent-policy_heatmap")
    def cmd_goagent_policy_heatmap(self, args):
        state = self._gogui_position(args)
        return policy_gfx(self.brain.evaluate(state).priors[0], self.size)

    @registry.command("goagent-value_ownership")
    def cmd_goagent_value_ownership(self, args):
        state = self._gogui_position(args)
        value = float(self.brain.evaluate(state).values[0])
        ownership, source = self.brain.ownership_black(state)
        winrate = black_winrate(value, state.to_play)
        return ownership_gfx(ownership, winrate, self.size, f"{source}; value from the evaluator")

"""GTP commands that think: genmove, cleanup, clocks (the final count: ``gtp.rules_handlers``).

A mixin of ``gtp.engine.Engine`` (it uses the engine's ``state``, ``brain``
and ``core``).  ``genmove COLOR`` searches the position with COLOR to move,
whoever the board says is to move, plays the move on the board and answers
its vertex, ``pass`` or ``resign`` (the player's resign rule: sustained low
win rate, never early, never as White early in a handicap game).
"""

from __future__ import annotations

from goagent.coords import action_to_gtp, opponent
from gtp import registry
from gtp.protocol import SYNTAX_ERROR, GtpError, expect, parse_player


def _numbers(args: list[str], integer_at: tuple[int, ...] = ()) -> list[float]:
    """Non-negative numbers; those at ``integer_at`` must be whole."""
    values = []
    for i, text in enumerate(args):
        try:
            value = float(text)
        except ValueError:
            raise GtpError(SYNTAX_ERROR) from None
        if not 0 <= value < 1e9 or (i in integer_at and value != int(value)):
            raise GtpError(SYNTAX_ERROR)
        values.append(value)
    return values


class PlayCommands:
    """genmove, kgs-genmove_cleanup, time_settings, kgs-time_settings, time_left."""

    # -- helpers shared with the analysis commands -----------------------------

    def _position_for(self, color: int):
        """The current position with ``color`` to move (a copy if that is not the board's
        turn).  After two passes the controller, not the engine, decides the game is over:
        the copy counts only the last pass, so the search goes on."""
        state = self.state
        if state.to_play == color and state.passes < 2:
            return state
        return state.view_for(color)

    def _commit(self, color: int, decision) -> str:
        """Play a decision on the board; the GTP answer (vertex, ``pass`` or ``resign``)."""
        if decision.resign:
            return "resign"
        self.state.play(decision.action, color)  # chosen for this very position: legal
        return action_to_gtp(decision.action, self.size)

    # -- moves -----------------------------------------------------------------

    @registry.command("genmove")
    def cmd_genmove(self, args):
        color = parse_player(expect(args, 1)[0])
        move = self._commit(color, self.brain.genmove(self._position_for(color)))
        self._ponder_next = move != "resign"
        return move

    @registry.command("kgs-genmove_cleanup")
    def cmd_kgs_genmove_cleanup(self, args):
        """genmove that captures dead stones before passing, and never resigns."""
        # Imported here, not at the top: goagent.player loads Numba, and the handshake
        # must not wait for that (see gtp.engine.heavy).
        from goagent.player import MoveFlags

        color = parse_player(expect(args, 1)[0])
        flags = MoveFlags(no_pass=self._opponent_has_dead_stones(color), no_resign=True)
        return self._commit(color, self.brain.genmove(self._position_for(color), flags=flags))

    def _opponent_has_dead_stones(self, color: int) -> bool:
        # The dead stones final_score would take off (gtp.rules_handlers).
        colors = self.state.board.to_array().reshape(-1)
        return bool((self._dead_stones() & (colors == opponent(color))).any())

    # -- clocks ----------------------------------------------------------------

    def _set_clock(self, main: float = 0.0, byo: float = 0.0, stones: int = 0, periods: int = 0) -> str:
        control = self.core.player.TimeControl(main, byo, int(stones), int(periods))
        self.brain.set_time_control(control)
        return ""

    @registry.command("time_settings")
    def cmd_time_settings(self, args):
        main, byo, stones = _numbers(expect(args, 3), integer_at=(2,))
        if byo > 0 and stones == 0:
            # GTP 2 (section 4.2), Leela Zero and KataGo: byo-yomi time with 0 stones means no
            # time limit, whatever the main time (q5Go's "no limit" sends time_settings 1 1 0).
            return self._set_clock()
        return self._set_clock(main, byo, int(stones))

    @registry.command("kgs-time_settings")
    def cmd_kgs_time_settings(self, args):
        if not args:
            raise GtpError(SYNTAX_ERROR)
        kind, rest = args[0].lower(), args[1:]
        if kind == "none" and not rest:
            return self._set_clock()
        if kind == "absolute" and len(rest) == 1:
            return self._set_clock(_numbers(rest)[0])
        if kind in ("byoyomi", "canadian") and len(rest) == 3:
            main, byo, count = _numbers(rest, integer_at=(2,))
            if kind == "byoyomi":
                return self._set_clock(main, byo, periods=int(count))
            return self._set_clock(main, byo, stones=int(count))
        raise GtpError(SYNTAX_ERROR)

    @registry.command("time_left")
    def cmd_time_left(self, args):
        expect(args, 3)
        color = parse_player(args[0])
        seconds, stones = _numbers(args[1:], integer_at=(1,))
        self.brain.time_control.set_left(color, seconds, int(stones))
        return ""

"""The GTP engine: one ``cmd_*`` handler per command, found by ``gtp.registry``.

``Engine.handle(command)`` looks the handler up, runs it and writes exactly
one response: ``=`` with its text, or ``?`` with the ``GtpError`` message;
any other exception is logged (stderr) and answered ``? internal error``, so
bad input never ends the process.  This module holds the protocol, board
and game-record commands; ``gtp.play_handlers`` (genmove, clocks, scoring)
and ``gtp.analyze_handlers`` (lz/kata/gogui analysis) add the rest as mixins.

Start-up must be instant (a GUI's handshake is answered within half a
second), so this module imports only light code.  The board engine (Numba),
SGF and search (``heavy()``) are imported on first use, and the model loads
either then or, once the controller has been quiet for a moment, on a
background thread (``on_idle``).  Komi survives ``boardsize`` and
``clear_board``; ``play`` and ``genmove`` honour their colour argument
whoever is to move.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from dataclasses import replace
from types import SimpleNamespace

from goagent import __version__
from goagent.coords import check_size, gtp_to_action
from goagent.rules import parse_rules, rules_from_sgf
from gtp import registry
from gtp.analyze_handlers import AnalyzeCommands
from gtp.param_handlers import ParamCommands
from gtp.play_handlers import PlayCommands
from gtp.protocol import (
    BAD_VERTEX_LIST,
    BOARD_NOT_EMPTY,
    CANNOT_LOAD,
    CANNOT_UNDO,
    ILLEGAL_MOVE,
    INVALID_STONES,
    SYNTAX_ERROR,
    UNACCEPTABLE_SIZE,
    UNKNOWN_COMMAND,
    Command,
    GtpError,
    StreamReply,
    expect,
    failure,
    parse_player,
    parse_vertex,
    success,
)
from gtp.rules_handlers import RulesCommands

log = logging.getLogger(__name__)

LIZZIE_NAME = "KataGo-compatible goagent"  # see cmd_name

_heavy_lock = threading.Lock()


def heavy() -> SimpleNamespace:
    """The modules that load Numba (and maybe torch), imported on first use so the
    handshake never waits for them."""
    with _heavy_lock:
        from goagent import game, player, scoring, sgf, textboard
        from gtp import brain, handicap

    modules = {"game": game, "sgf": sgf, "textboard": textboard, "scoring": scoring, "player": player}
    return SimpleNamespace(brain=brain, handicap=handicap, **modules)


class Engine(RulesCommands, PlayCommands, AnalyzeCommands, ParamCommands):
    """A GTP engine answering on ``writer`` and checking ``reader`` for new input."""

    name = "goagent"

    def __init__(self, options, writer, reader):
        self.options = options
        self.writer = writer
        self.reader = reader
        self.size = 19
        self.komi = 7.5
        self.rules = parse_rules(options.rules)
        self.quitting = False
        self.warm = False
        self._state = None
        self._record = None  # the game record loadsgf read: printsgf keeps its properties
        self._ponder_next = False  # the last command was this engine's genmove
        self._brain = None
        self._core: SimpleNamespace | None = None
        self._brain_lock = threading.Lock()
        self.handlers = registry.collect(type(self))

    # -- lazily built parts ----------------------------------------------------

    @property
    def core(self) -> SimpleNamespace:
        if self._core is None:
            self._core = heavy()
        return self._core

    @property
    def brain(self):
        with self._brain_lock:
            if self._brain is None:
                self._brain = self.core.brain.Brain(self.options)
            return self._brain

    @property
    def state(self):
        """The current game (a ``GameState``), created on first use."""
        if self._state is None:
            self._state = self.core.game.GameState(self.size, self.komi, rules=self.rules)
        return self._state

    def on_idle(self) -> None:
        """The controller is quiet: load the model in the background."""
        if not self.warm:
            self.warm = True
            threading.Thread(target=lambda: self.brain.load(), name="gtp-load", daemon=True).start()

    def set_options(self, **changes) -> None:
        """Change engine options (``kata-set-param``); the player's limits follow."""
        self.options = replace(self.options, **changes)
        if self._brain is not None:
            self._brain.set_options(self.options)

    def new_game(self) -> None:
        self._state = None
        self._record = None
        if self._brain is not None:
            self._brain.new_game()

    # -- dispatch --------------------------------------------------------------

    def ponder(self) -> None:
        """Think on the opponent's time (``--ponder`` / ponderingEnabled): right after this
        engine's genmove, search the position the opponent faces until the next input line
        arrives; the next genmove reuses the tree."""
        if not (self.options.ponder and self._ponder_next and self._brain is not None):
            return
        self._ponder_next = False
        state = self.state
        if state.is_over or self._brain.player is None:
            return
        self._brain.analyze(state, lambda search: self.reader.pending())

    def handle(self, cmd: Command) -> None:
        """Answer one command (exactly one response)."""
        self._ponder_next = False  # genmove sets it again
        handler = self.handlers.get(cmd.name)
        if handler is None:
            self.writer.write(failure(UNKNOWN_COMMAND, cmd.id))
            return
        method = getattr(self, handler.attr)
        reply = StreamReply(self.writer.write, cmd.id) if handler.streaming else None
        try:
            text = method(cmd.args, reply) if reply else method(cmd.args)
        except GtpError as err:
            self._fail(reply, err.message, cmd.id)
        except Exception as err:  # a bug must not end the engine: answer, log, go on
            log.exception("internal error in %r", cmd)
            self._fail(reply, f"internal error: {' '.join(str(err).split())}", cmd.id)
        else:
            if reply is None:
                self.writer.write(success(text or "", cmd.id))
            elif not reply.started:
                reply.begin()
        if reply is not None:
            reply.finish()

    def _fail(self, reply: StreamReply | None, message: str, command_id: int | None) -> None:
        if reply is not None and reply.started:
            log.error("%s (response already under way)", message)
        else:
            if reply is not None:
                reply.finished = True
            self.writer.write(failure(message, command_id))

    # -- protocol --------------------------------------------------------------

    @registry.command("protocol_version")
    def cmd_protocol_version(self, args):
        return "2"

    @registry.command("name")
    def cmd_name(self, args):
        # Lizzie 0.7 uses kata-analyze (score, ownership) only for a name starting with
        # "KataGo", and otherwise wants a Leela Zero version >= 0.15: --lizzie says so.
        return LIZZIE_NAME if self.options.lizzie else self.name

    @registry.command("version")
    def cmd_version(self, args):
        return __version__

    @registry.command("known_command")
    def cmd_known_command(self, args):
        expect(args, 1)
        return "true" if args[0].lower() in self.handlers else "false"

    @registry.command("list_commands")
    def cmd_list_commands(self, args):
        return "\n".join(self.handlers)

    @registry.command("quit")
    def cmd_quit(self, args):
        self.quitting = True
        return ""

    # -- board set-up ----------------------------------------------------------

    @registry.command("boardsize")
    def cmd_boardsize(self, args):
        expect(args, 1)
        try:
            size = int(args[0])
        except ValueError:
            raise GtpError(SYNTAX_ERROR) from None
        try:
            check_size(size)
        except ValueError:
            raise GtpError(UNACCEPTABLE_SIZE) from None
        self.size = size
        self.new_game()
        return ""

    @registry.command("clear_board")
    def cmd_clear_board(self, args):
        self.new_game()
        return ""

    @registry.command("komi")
    def cmd_komi(self, args):
        expect(args, 1)
        try:
            komi = float(args[0])
        except ValueError:
            raise GtpError(SYNTAX_ERROR) from None
        if not abs(komi) < 1000:  # also rejects nan and inf
            raise GtpError(SYNTAX_ERROR)
        self.komi = komi
        if self._state is not None:
            self._state.set_komi(komi)
        return ""

    @registry.command("play")
    def cmd_play(self, args):
        expect(args, 2)
        color = parse_player(args[0])
        action = parse_vertex(args[1], self.size)
        state = self.state
        reason = state.illegal_reason(action, color)
        if reason == "superko":
            # The controller is the referee: accept a repetition its rules allow
            # (genmove never plays one).
            log.warning("play %s %s repeats an earlier position; accepted", args[0], args[1])
            state.play(action, color, check_superko=False)
        elif reason:
            raise GtpError(ILLEGAL_MOVE)
        else:
            state.play(action, color)
        return ""

    @registry.command("undo")
    def cmd_undo(self, args):
        state = self.state
        if not state.moves:
            raise GtpError(CANNOT_UNDO)
        state.undo()
        return ""

    @registry.command("showboard")
    def cmd_showboard(self, args):
        text = self.core.textboard
        return "\n" + text.format_board(self.state) + "\n" + text.format_status(self.state)

    # -- handicap --------------------------------------------------------------

    def _place_handicap(self, actions: list[int]) -> str:
        state = self.state
        if state.moves or state.board.to_array().any():
            raise GtpError(BOARD_NOT_EMPTY)
        try:
            state.place_handicap(actions)
        except ValueError:
            raise GtpError(BAD_VERTEX_LIST) from None
        return " ".join(self.core.handicap.vertices(actions, self.size))

    def _stone_count(self, args) -> int:
        expect(args, 1)
        try:
            return int(args[0])
        except ValueError:
            raise GtpError(SYNTAX_ERROR) from None

    @registry.command("fixed_handicap")
    def cmd_fixed_handicap(self, args):
        stones = self._stone_count(args)
        try:
            actions = self.core.game.fixed_handicap(self.size, stones)
        except ValueError:
            raise GtpError(INVALID_STONES) from None
        return self._place_handicap(actions)

    @registry.command("place_free_handicap")
    def cmd_place_free_handicap(self, args):
        stones = self._stone_count(args)
        if not 2 <= stones < self.size * self.size:
            raise GtpError(INVALID_STONES)
        return self._place_handicap(self.core.handicap.free_placement(self.size, stones))

    @registry.command("set_free_handicap")
    def cmd_set_free_handicap(self, args):
        try:
            actions = [gtp_to_action(vertex, self.size) for vertex in args]
        except ValueError:
            raise GtpError(BAD_VERTEX_LIST) from None
        n2 = self.size * self.size
        if len(actions) < 2 or len(set(actions)) != len(actions) or n2 in actions or len(actions) >= n2:
            raise GtpError(BAD_VERTEX_LIST)
        self._place_handicap(actions)
        return ""

    # -- game records ----------------------------------------------------------

    @registry.command("loadsgf")
    def cmd_loadsgf(self, args):
        if not args:
            raise GtpError(SYNTAX_ERROR)
        words = list(args)
        moves = None
        if len(words) > 1 and words[-1].isdigit():
            number = int(words.pop())
            if number < 1:  # GTP counts moves from 1 (KataGo refuses 0 too)
                raise GtpError(f"{CANNOT_LOAD}: move numbers count from 1")
            moves = number - 1  # the position before move N
        path = " ".join(words).strip('"')
        sgf = self.core.sgf
        try:
            record = sgf.load_sgf(path)
            state = record.to_state(None if moves is None else min(moves, len(record.moves)))
        except (OSError, ValueError) as err:
            log.warning("loadsgf %s: %s", path, err)
            raise GtpError(CANNOT_LOAD) from None
        self.new_game()
        self.rules = rules_from_sgf(record.rules) or self.rules  # RU sets the rules, as KM sets komi
        state.set_rules(self.rules)
        self.size, self.komi, self._state = state.size, state.komi, state
        self._record = record
        return ""

    def _record_info(self) -> dict:
        """GameRecord fields for printsgf: the loaded record's players, ranks, date, rules,
        other root properties, and its result while the game is still the record's."""
        loaded = self._record
        info = {"date": time.strftime("%Y-%m-%d")}
        if loaded is not None:
            for key in ("black_player", "white_player", "black_rank", "white_rank", "date", "rules"):
                if getattr(loaded, key):
                    info[key] = getattr(loaded, key)
            info["properties"] = dict(loaded.properties)
            if loaded.result and list(self.state.moves) == list(loaded.moves):
                info["result"] = loaded.result
        return info

    @registry.command("printsgf")
    def cmd_printsgf(self, args):
        sgf = self.core.sgf
        record = sgf.record_from_state(self.state, **self._record_info())
        text = sgf.write_sgf(record).decode("utf-8")
        if not args:
            return "\n".join(line for line in text.splitlines() if line.strip())
        path = " ".join(args).strip('"')
        try:
            with open(os.path.expanduser(path), "w", encoding="utf-8") as handle:
                handle.write(text)
        except OSError as err:
            raise GtpError(f"cannot write file: {' '.join(str(err).split())}") from None
        return ""

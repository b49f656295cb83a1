"""GTP commands for rules and the final count: kata-set-rules, kata-get-rules,
kgs-rules, final_score, final_status_list.

A mixin of ``gtp.engine.Engine`` (it uses the engine's ``rules``, ``komi``,
``state``, ``brain`` and ``core``).  Rules follow KataGo's GTP extensions:
``kata-set-rules`` takes a preset name or a JSON object (``goagent.rules``),
``kata-get-rules`` answers the JSON object, ``kgs-rules`` takes KGS's names
(japanese, chinese, aga, new_zealand).  The ruleset persists across
``clear_board``, as in KataGo.

The count takes its dead stones from ``goagent.dead_stones`` (playouts that
keep live groups alive, judged per group, pass-alive strings never dead), the
one judgement ``final_score``, ``final_status_list`` and ``kgs-genmove_cleanup``
share.  Measured on the 7,399 counted KGS games (``python -m
goagent.rules_survey --no-survey --final-score 7399 --model playouts``;
docs/BENCHMARKS.md, "Rules and scoring").  The shipped network's ownership is
not used: it learned dead stones as alive (issue "Ownership that knows dead
stones").  ``goagent.scoring`` then counts under the ruleset: area or
territory, dame out, seki eyes out under Japanese rules, komi plus White's
handicap bonus.
"""

from __future__ import annotations

import json

from goagent.coords import action_to_gtp
from goagent.rules import parse_rules, parse_rules_and_komi
from gtp import registry
from gtp.protocol import CANNOT_SCORE, SYNTAX_ERROR, GtpError, expect

# kgs-rules names (KGS's GTP extension) -> goagent/KataGo presets.  KGS's Chinese
# rules use positional superko, which is KataGo's "chinese-kgs".
KGS_RULES = {"japanese": "japanese", "chinese": "chinese-kgs", "aga": "aga", "new_zealand": "new-zealand"}


class RulesCommands:
    """kata-set-rules, kata-get-rules, kgs-rules, final_score, final_status_list."""

    def _apply_rules(self, rules, komi: float | None = None) -> None:
        self.rules = rules
        if komi is not None:
            self.komi = komi
        if self._state is not None:
            self._state.set_rules(rules)
            if komi is not None:
                self._state.set_komi(komi)

    @registry.command("kata-set-rules")
    def cmd_kata_set_rules(self, args):
        if not args:
            raise GtpError(SYNTAX_ERROR)
        try:
            rules, komi = parse_rules_and_komi(" ".join(args))
        except ValueError as err:
            raise GtpError(f"unknown rules: {err}") from None
        self._apply_rules(rules, komi)
        return ""

    @registry.command("kata-get-rules")
    def cmd_kata_get_rules(self, args):
        return json.dumps(self.rules.to_json(), sort_keys=True)

    @registry.command("kgs-rules")
    def cmd_kgs_rules(self, args):
        name = expect(args, 1)[0].lower()
        if name not in KGS_RULES:
            raise GtpError(f"unknown rules: {name} (KGS names: {', '.join(KGS_RULES)})")
        self._apply_rules(parse_rules(KGS_RULES[name]))
        return ""

    # -- the final count -----------------------------------------------------

    def _dead_stones(self):
        """``bool[n*n]``: the stones the count takes off (``goagent.dead_stones``)."""
        # Imported here, not at the top: it loads Numba, and the handshake must not
        # wait for that (see gtp.engine.heavy).
        from goagent.dead_stones import dead_stones

        try:
            network = self.brain.dead_stone_ownership(self.state)
            return dead_stones(self.state, seed=self.options.seed, network=network)
        except GtpError:
            raise
        except Exception as err:
            raise GtpError(CANNOT_SCORE) from err

    @registry.command("final_score")
    def cmd_final_score(self, args):
        counted = self.core.scoring.score_state(self.state, self._dead_stones())
        return self.core.game.format_result(counted.margin)

    @registry.command("final_status_list")
    def cmd_final_status_list(self, args):
        status = expect(args, 1)[0].lower()
        if status not in ("dead", "alive", "seki"):
            raise GtpError(SYNTAX_ERROR)
        groups = self.core.scoring.status_lists(self.state, self._dead_stones())[status]
        return "\n".join(" ".join(action_to_gtp(a, self.size) for a in group) for group in groups)

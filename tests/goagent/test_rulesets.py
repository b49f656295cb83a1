"""Rulesets: KataGo's names and JSON forms, bad input, and GameState's ko rules."""

from __future__ import annotations

import json

import pytest

from goagent.coords import BLACK, WHITE, gtp_to_action
from goagent.game import GameState, IllegalMoveError
from goagent.rules import PRESETS, Ruleset, parse_rules, parse_rules_and_komi, rules_from_sgf


@pytest.mark.parametrize(
    ("spec", "name"),
    [
        ("tromp-taylor", "tromp-taylor"),
        ("Tromp Taylor", "tromp-taylor"),
        ("tromp_taylor", "tromp-taylor"),
        ("TrompTaylor", "tromp-taylor"),
        ("chinese", "chinese"),
        ("chinese-ogs", "chinese-kgs"),
        ("Japanese", "japanese"),
        ("jp", "japanese"),
        ("korean", "japanese"),  # KataGo's Korean rules are its Japanese rules
        ("AGA", "aga"),
        ("bga", "aga"),
        ("new zealand", "new-zealand"),
        ("NZ", "new-zealand"),
        ("stone-scoring", "stone-scoring"),
        ("stone_scoring", "stone-scoring"),
    ],
)
def test_names(spec, name):
    assert parse_rules(spec).name == name


def test_presets_follow_katago():
    # KataGo's rules.cpp parseRulesHelper / docs/rules.html.
    japanese, chinese, aga, nz, tt = (
        PRESETS[k] for k in ("japanese", "chinese", "aga", "new-zealand", "tromp-taylor")
    )
    assert (japanese.scoring, japanese.ko, japanese.tax, japanese.suicide) == (
        "territory",
        "simple",
        "seki",
        False,
    )
    assert (chinese.scoring, chinese.ko, chinese.white_handicap_bonus) == ("area", "simple", "N")
    assert (aga.ko, aga.white_handicap_bonus, aga.suicide) == ("situational", "N-1", False)
    assert (nz.ko, nz.suicide, nz.white_handicap_bonus) == ("situational", True, "0")
    assert (tt.ko, tt.scoring, tt.suicide, tt.friendly_pass_ok) == ("positional", "area", True, False)
    assert japanese.default_komi == 6.5 and chinese.default_komi == 7.5


def test_json_objects_as_katago_and_katrain_send_them():
    text = (
        '{"ko":"SIMPLE","scoring":"TERRITORY","suicide":false,"tax":"SEKI",'
        '"hasButton":false,"whiteHandicapBonus":"0","friendlyPassOk":false}'
    )
    assert parse_rules(text) == PRESETS["japanese"]
    assert parse_rules(json.loads(text)) == PRESETS["japanese"]
    # Unspecified keys default to Tromp-Taylor; an unspecified tax follows the scoring.
    assert parse_rules({"scoring": "TERRITORY"}).tax == "seki"
    assert parse_rules({"score": "area", "ko": "situational"}).ko == "situational"
    rules, komi = parse_rules_and_komi('{"ko": "POSITIONAL", "komi": 6.5}')
    assert rules.ko == "positional" and komi == 6.5


def test_json_round_trip_and_compact_form():
    for rules in PRESETS.values():
        assert parse_rules(rules.to_json()) == rules
        assert parse_rules(rules.compact()) == rules
    assert PRESETS["japanese"].compact() == "koSIMPLEscoreTERRITORYtaxSEKIsui0"


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("", "empty"),
        ("chess", "unknown rules 'chess'"),
        ('{"ko": "SUPER"}', "ko must be one of"),
        ('{"colour": "blue"}', "unknown rules option 'colour'"),
        ('{"suicide": "maybe"}', "suicide must be true or false"),
        ('{"komi": 0.3}', "half-integer"),
        ('{"ko": ', "not valid JSON"),
        ("[1, 2]", "unknown rules"),
        ('"japanese"', "unknown rules"),
        ("koSIMPLEscoreBOTH", "cannot parse"),
    ],
)
def test_bad_rules_get_a_clear_error(spec, message):
    with pytest.raises(ValueError, match=message):
        parse_rules(spec)


def test_bad_types_and_fields():
    with pytest.raises(ValueError, match="a name or a JSON object"):
        parse_rules(3)
    with pytest.raises(ValueError, match="scoring must be one of"):
        Ruleset(scoring="points")


def test_handicap_bonus_and_effective_komi():
    assert PRESETS["chinese"].effective_komi(7.5, 3) == 10.5
    assert PRESETS["aga"].effective_komi(0.5, 3) == 2.5
    assert PRESETS["japanese"].effective_komi(0.5, 3) == 0.5
    state = GameState(9, komi=0.5, handicap=4, rules=PRESETS["chinese"])
    assert state.effective_komi == 4.5


def test_sgf_ru_values():
    assert rules_from_sgf("Japanese") == PRESETS["japanese"]
    assert rules_from_sgf("Chinese").scoring == "area"
    assert rules_from_sgf("NZ") == PRESETS["new-zealand"]
    assert rules_from_sgf("") is None and rules_from_sgf("house rules") is None


# -- GameState under each ko rule ------------------------------------------------


def at(vertex: str) -> int:
    return gtp_to_action(vertex, 5)


def ko_position(rules: Ruleset) -> GameState:
    """5x5 with a ko: Black takes the white stone C3 by playing D3, White may retake at C3.

    The set-up position is recorded with White to move (then Black moves first), so
    positional and situational superko disagree about recreating it with Black to move.
    """
    state = GameState(5, rules=rules)
    state.to_play = WHITE
    state.setup(black=[at(v) for v in ("B3", "C4", "C2")], white=[at(v) for v in ("D4", "D2", "E3", "C3")])
    state.to_play = BLACK
    return state


def take_and_pass_twice(state: GameState) -> None:
    state.play(at("D3"), BLACK)  # captures C3: a ko
    state.pass_move(WHITE)
    state.pass_move(BLACK)


def test_simple_ko_forbids_the_immediate_recapture():
    state = ko_position(PRESETS["japanese"])
    assert state.play(at("D3"), BLACK) == 1
    assert state.illegal_reason(at("C3"), WHITE) == "ko"


@pytest.mark.parametrize(
    ("rules", "reason"),
    [("tromp-taylor", "superko"), ("aga", None), ("new-zealand", None), ("japanese", None)],
)
def test_retaking_after_two_passes(rules, reason):
    # White's retake recreates the set-up stones with Black to move.  They were seen
    # before, but with White to move: positional superko forbids it, situational allows it
    # (a new situation), simple ko allows it (the passes lifted the ko).
    state = ko_position(PRESETS[rules])
    take_and_pass_twice(state)
    assert state.illegal_reason(at("C3"), WHITE) == reason


def test_situational_superko_forbids_the_same_situation():
    # Retake, then Black passes and White passes: Black's retake at D3 would recreate the
    # stones after Black's first capture with White to move, a situation already seen.
    state = ko_position(PRESETS["aga"])
    take_and_pass_twice(state)
    state.play(at("C3"), WHITE)
    state.pass_move(BLACK)
    state.pass_move(WHITE)
    assert state.illegal_reason(at("D3"), BLACK) == "superko"
    state.undo()
    state.undo()
    state.undo()
    assert state.illegal_reason(at("C3"), WHITE) is None  # undo forgets the situations


def test_check_superko_false_accepts_a_repetition_and_keeps_the_rules():
    state = ko_position(PRESETS["tromp-taylor"])
    take_and_pass_twice(state)
    with pytest.raises(IllegalMoveError):
        state.play(at("C3"), WHITE)
    state.play(at("C3"), WHITE, check_superko=False)
    assert state.rules == PRESETS["tromp-taylor"]


def test_legal_mask_agrees_with_illegal_reason_under_every_ko_rule():
    for name in ("tromp-taylor", "aga", "japanese"):
        state = ko_position(PRESETS[name])
        take_and_pass_twice(state)
        mask = state.legal_mask(WHITE)
        for action in range(25):
            assert mask[action] == (state.illegal_reason(action, WHITE) is None), (name, action)


def test_superko_attribute_still_works_for_old_callers():
    state = GameState(5, superko=False)
    assert state.rules.ko == "simple" and not state.superko
    state.superko = True
    assert state.rules.ko == "positional"
    state.set_rules(PRESETS["aga"])
    assert state.superko and state.history_key()[3] == PRESETS["aga"]


def test_set_komi_refuses_nonsense():
    state = GameState(5)
    state.set_komi(6.5)
    assert state.komi == 6.5
    with pytest.raises(ValueError):
        state.set_komi(float("nan"))


def test_set_to_play_and_set_komi_guard_their_fields():
    from goagent.coords import BLACK, WHITE
    from goagent.game import GameState

    state = GameState(9, 7.5)
    state.set_to_play(WHITE)
    assert state.to_play == WHITE
    with pytest.raises(ValueError, match="side to move"):
        state.set_to_play(3)
    state.set_komi(6.5)
    assert state.komi == 6.5
    with pytest.raises(ValueError, match="komi"):
        state.set_komi(float("nan"))
    assert state.to_play == WHITE and state.komi == 6.5 and BLACK != WHITE

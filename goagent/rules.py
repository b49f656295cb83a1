"""Go rulesets as KataGo defines them: ``Ruleset`` and ``parse_rules``.

A ``Ruleset`` is the set of rule parameters of KataGo's rules document
(lightvector/KataGo, docs/rules.html, "Parameters"): the ko rule, area or
territory scoring, the tax rule (which empty points may not be scored), whether
multi-stone suicide is legal, the button, White's handicap bonus and
"friendly pass ok".  Komi is not part of a ruleset here: ``GameState`` owns it.

``parse_rules`` accepts what KataGo's ``kata-set-rules`` and analysis queries
accept (cpp/game/rules.cpp, ``parseRulesHelper``): a preset name in any case
with ``-``, ``_``, space or nothing between words ("tromp-taylor", "Japanese",
"new zealand", "stone_scoring", "chinese-kgs"), a JSON object string or a dict
with KataGo's keys ("ko", "scoring"/"score", "tax", "suicide", "hasButton",
"whiteHandicapBonus", "friendlyPassOk", "komi"), or KataGo's compact form
("koPOSITIONALscoreAREAtaxNONEsui1").  A few short aliases ("jp", "cn", "kr",
"tt", "nz") are accepted as well.  Anything else raises ``ValueError`` naming
what was wrong.  Unspecified JSON keys default to Tromp-Taylor, and an
unspecified tax follows the scoring (SEKI for territory, NONE for area), as
KataGo does.

This module is pure Python (no numpy, no numba) so the CLI parser can import it.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass

KO_RULES = ("simple", "positional", "situational")
SCORING_RULES = ("area", "territory")
TAX_RULES = ("none", "seki", "all")
HANDICAP_BONUS_RULES = ("0", "N", "N-1")


@dataclass(frozen=True)
class Ruleset:
    """One ruleset (KataGo's parameters, komi excluded).

    ``ko``: simple (only an immediate recapture is barred), positional
    (no earlier arrangement of stones may recur) or situational (no earlier
    arrangement with the same player to move).  ``scoring``: area (stones +
    surrounded points) or territory (surrounded points + captures).  ``tax``:
    none, seki (points surrounded by seki groups do not count) or all (also
    2 points per living group).  ``suicide``: multi-stone suicide is legal.
    ``white_handicap_bonus``: "0", "N" or "N-1" points to White when Black
    has N handicap stones.  ``friendly_pass_ok`` and ``has_button`` as KataGo.
    """

    ko: str = "positional"
    scoring: str = "area"
    tax: str = "none"
    suicide: bool = True
    has_button: bool = False
    white_handicap_bonus: str = "0"
    friendly_pass_ok: bool = False

    def __post_init__(self):
        for field, value, allowed in (
            ("ko", self.ko, KO_RULES),
            ("scoring", self.scoring, SCORING_RULES),
            ("tax", self.tax, TAX_RULES),
            ("white_handicap_bonus", self.white_handicap_bonus, HANDICAP_BONUS_RULES),
        ):
            if value not in allowed:
                raise ValueError(f"rules: {field} must be one of {', '.join(allowed)}, not {value!r}")
        for field in ("suicide", "has_button", "friendly_pass_ok"):
            if not isinstance(getattr(self, field), bool):
                raise ValueError(f"rules: {field} must be true or false")

    # -- derived -------------------------------------------------------------

    @property
    def name(self) -> str:
        """The preset's name ("japanese", ...) or KataGo's compact form if it is none."""
        for name, preset in PRESETS.items():
            if preset == self:
                return name
        return self.compact()

    @property
    def territory(self) -> bool:
        return self.scoring == "territory"

    @property
    def superko(self) -> bool:
        """Whether a full-board repetition rule applies (positional or situational)."""
        return self.ko != "simple"

    @property
    def default_komi(self) -> float:
        """KataGo's default komi: 6.5 under territory scoring, 7.0 with a button, else 7.5."""
        return 6.5 if self.territory else 7.0 if self.has_button else 7.5

    def handicap_bonus(self, handicap: int) -> int:
        """Points White receives for Black's ``handicap`` stones (0 below 2 stones)."""
        if handicap < 2 or self.white_handicap_bonus == "0":
            return 0
        return handicap if self.white_handicap_bonus == "N" else handicap - 1

    def effective_komi(self, komi: float, handicap: int) -> float:
        """Komi plus White's handicap bonus: what the score (and the komi plane) uses."""
        return float(komi) + self.handicap_bonus(handicap)

    def to_json(self) -> dict:
        """KataGo's JSON form (``Rules::toJsonNoKomi``): upper-case enum values."""
        return {
            "friendlyPassOk": self.friendly_pass_ok,
            "hasButton": self.has_button,
            "ko": self.ko.upper(),
            "scoring": self.scoring.upper(),
            "suicide": self.suicide,
            "tax": self.tax.upper(),
            "whiteHandicapBonus": self.white_handicap_bonus,
        }

    def compact(self) -> str:
        """KataGo's compact string (``Rules::toStringNoKomi``), e.g. ``koSIMPLEscoreTERRITORYtaxSEKIsui0``."""
        text = f"ko{self.ko.upper()}score{self.scoring.upper()}tax{self.tax.upper()}sui{int(self.suicide)}"
        if self.has_button:
            text += "button1"
        if self.white_handicap_bonus != "0":
            text += f"whb{self.white_handicap_bonus}"
        if self.friendly_pass_ok:
            text += "fpok1"
        return text

    def as_dict(self) -> dict:
        return asdict(self)


# The presets of KataGo's parseRulesHelper (cpp/game/rules.cpp), komi left out.
# KGS's records agree on the handicap bonus (python -m goagent.rules_survey;
# docs/BENCHMARKS.md, "Rules and scoring"): Japanese 0 in 197 of 197 marked
# handicap games, Chinese N in 140 of 140, AGA N-1 in 17 of 19 and New Zealand
# 0 in 21 of 21 (dead stones by GNU Go); and KGS's Japanese counts leave seki
# eyes out (tax "seki"), its Chinese counts keep them.
PRESETS: dict[str, Ruleset] = {
    "tromp-taylor": Ruleset(),
    "chinese": Ruleset(ko="simple", suicide=False, white_handicap_bonus="N", friendly_pass_ok=True),
    # KGS and OGS play Chinese rules with positional superko (KataGo's "chinese-kgs").
    "chinese-kgs": Ruleset(suicide=False, white_handicap_bonus="N", friendly_pass_ok=True),
    "japanese": Ruleset(ko="simple", scoring="territory", tax="seki", suicide=False),
    "korean": Ruleset(ko="simple", scoring="territory", tax="seki", suicide=False),
    "aga": Ruleset(ko="situational", suicide=False, white_handicap_bonus="N-1", friendly_pass_ok=True),
    "aga-button": Ruleset(
        ko="situational", suicide=False, has_button=True, white_handicap_bonus="N-1", friendly_pass_ok=True
    ),
    "new-zealand": Ruleset(ko="situational", friendly_pass_ok=True),
    "stone-scoring": Ruleset(ko="simple", tax="all", suicide=False, friendly_pass_ok=True),
    "ancient-territory": Ruleset(ko="simple", scoring="territory", tax="all", suicide=False),
    "goe": Ruleset(friendly_pass_ok=True),
}

# Alias (normalised: lower case, no separators) -> preset name.  KataGo's own
# spellings first, then short forms users type.
_ALIASES = {
    "tromptaylor": "tromp-taylor",
    "chinese": "chinese",
    "chineseogs": "chinese-kgs",
    "chinesekgs": "chinese-kgs",
    "japanese": "japanese",
    "korean": "korean",
    "aga": "aga",
    "bga": "aga",
    "french": "aga",
    "agabutton": "aga-button",
    "nz": "new-zealand",
    "newzealand": "new-zealand",
    "stonescoring": "stone-scoring",
    "ancientarea": "stone-scoring",
    "ancientterritory": "ancient-territory",
    "goe": "goe",
    "ing": "goe",
    "tt": "tromp-taylor",
    "jp": "japanese",
    "japan": "japanese",
    "cn": "chinese",
    "china": "chinese",
    "kr": "korean",
    "korea": "korean",
}

_JSON_KEYS = (
    "ko",
    "score",
    "scoring",
    "tax",
    "suicide",
    "hasButton",
    "whiteHandicapBonus",
    "friendlyPassOk",
    "komi",
)


def preset(name: str) -> Ruleset:
    """The preset called ``name`` (any alias); ValueError if there is none."""
    key = re.sub(r"[\s_\-]+", "", name.strip().lower())
    if key not in _ALIASES:
        raise ValueError(f"unknown rules {name.strip()!r}; known: {', '.join(PRESETS)}")
    return PRESETS[_ALIASES[key]]


def parse_rules(spec: str | dict) -> Ruleset:
    """A ``Ruleset`` from a name, a JSON object (string or dict) or KataGo's compact form.

    A ``komi`` key is checked but dropped; use ``parse_rules_and_komi`` to keep it.
    """
    return parse_rules_and_komi(spec)[0]


def parse_rules_and_komi(spec: str | dict) -> tuple[Ruleset, float | None]:
    """As ``parse_rules``, also returning the komi the spec carries (None if it carries none)."""
    if isinstance(spec, dict):
        return _from_json(spec)
    if not isinstance(spec, str):
        raise ValueError(f"rules must be a name or a JSON object, not {type(spec).__name__}")
    text = spec.strip()
    if not text:
        raise ValueError("rules: empty rules string")
    if text.startswith("{"):
        try:
            obj = json.loads(text)
        except json.JSONDecodeError as error:
            raise ValueError(f"rules: not valid JSON ({error.msg}): {text}") from None
        if not isinstance(obj, dict):
            raise ValueError(f"rules: a JSON object is expected: {text}")
        return _from_json(obj)
    key = re.sub(r"[\s_\-]+", "", text.lower())
    if key in _ALIASES:
        return PRESETS[_ALIASES[key]], None
    if text.startswith("ko") or text.startswith("score") or text.startswith("komi"):
        return _from_compact(text)
    raise ValueError(f"unknown rules {text!r}; known: {', '.join(PRESETS)}, or a JSON object")


def _enum(key: str, value, allowed: tuple[str, ...]) -> str:
    if not isinstance(value, str) or value.strip().lower() not in {a.lower() for a in allowed}:
        raise ValueError(
            f"rules: {key} must be one of {', '.join(a.upper() for a in allowed)}, not {value!r}"
        )
    low = value.strip().lower()
    return next(a for a in allowed if a.lower() == low)


def _bool(key: str, value) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false", "1", "0"):
        return value.strip().lower() in ("true", "1")
    raise ValueError(f"rules: {key} must be true or false, not {value!r}")


def _komi(value) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ValueError(f"rules: komi must be a number, not {value!r}")
    try:
        komi = float(value)
    except ValueError:
        raise ValueError(f"rules: komi must be a number, not {value!r}") from None
    # KataGo's limits for user komi (Rules::MIN_USER_KOMI/MAX_USER_KOMI) and half-integer rule.
    if not -150 <= komi <= 150 or komi * 2 != int(komi * 2):
        raise ValueError(f"rules: komi must be an integer or half-integer in [-150, 150], not {value!r}")
    return komi


def _from_json(obj: dict) -> tuple[Ruleset, float | None]:
    fields: dict = {}
    komi = None
    for key, value in obj.items():
        if key not in _JSON_KEYS:
            raise ValueError(f"rules: unknown rules option {key!r}; known: {', '.join(_JSON_KEYS)}")
        if key == "ko":
            fields["ko"] = _enum(key, value, ("SIMPLE", "POSITIONAL", "SITUATIONAL")).lower()
        elif key in ("score", "scoring"):
            fields["scoring"] = _enum(key, value, ("AREA", "TERRITORY")).lower()
        elif key == "tax":
            fields["tax"] = _enum(key, value, ("NONE", "SEKI", "ALL")).lower()
        elif key == "suicide":
            fields["suicide"] = _bool(key, value)
        elif key == "hasButton":
            fields["has_button"] = _bool(key, value)
        elif key == "whiteHandicapBonus":
            fields["white_handicap_bonus"] = _enum(
                key, str(value) if isinstance(value, int) else value, HANDICAP_BONUS_RULES
            )
        elif key == "friendlyPassOk":
            fields["friendly_pass_ok"] = _bool(key, value)
        else:
            komi = _komi(value)
    if "tax" not in fields:
        fields["tax"] = "seki" if fields.get("scoring") == "territory" else "none"
    return Ruleset(**fields), komi


_COMPACT = re.compile(
    r"komi(?P<komi>-?[0-9.]+)|ko(?P<ko>SIMPLE|POSITIONAL|SITUATIONAL)|scor(?:e|ing)(?P<scoring>AREA|TERRITORY)"
    r"|tax(?P<tax>NONE|SEKI|ALL)|sui(?P<sui>[01])|button(?P<button>[01])|whb(?P<whb>N-1|N|0)|fpok(?P<fpok>[01])"
)


def _from_compact(text: str) -> tuple[Ruleset, float | None]:
    fields: dict = {}
    komi = None
    pos = 0
    while pos < len(text):
        if text[pos].isspace():
            pos += 1
            continue
        match = _COMPACT.match(text, pos)
        if not match:
            raise ValueError(f"rules: cannot parse {text!r} at {text[pos:]!r}")
        pos = match.end()
        group = match.lastgroup
        value = match.group(group)
        if group == "komi":
            komi = _komi(value)
        elif group in ("ko", "scoring", "tax"):
            fields[group] = value.lower()
        elif group == "whb":
            fields["white_handicap_bonus"] = value
        else:
            fields[{"sui": "suicide", "button": "has_button", "fpok": "friendly_pass_ok"}[group]] = (
                value == "1"
            )
    if "tax" not in fields:
        fields["tax"] = "seki" if fields.get("scoring") == "territory" else "none"
    return Ruleset(**fields), komi


def record_rules(ru: str) -> Ruleset:
    """The ruleset of a game record's RU, Japanese when it names none (KGS's default)."""
    return rules_from_sgf(ru) or JAPANESE


def rules_from_sgf(ru: str) -> Ruleset | None:
    """The ruleset an SGF ``RU`` value names ("Japanese", "Chinese", "AGA", "NZ", "GOE"...),
    None when it is empty or unknown (the caller keeps its own rules then)."""
    try:
        return parse_rules(ru) if ru and ru.strip() else None
    except ValueError:
        return None


TROMP_TAYLOR = PRESETS["tromp-taylor"]
JAPANESE = PRESETS["japanese"]
CHINESE = PRESETS["chinese"]

"""Where ``place_free_handicap`` puts its stones: ``goagent.handicap`` (shared with matches)."""

from goagent.handicap import fixed_handicap, free_placement, vertices

__all__ = ["fixed_handicap", "free_placement", "vertices"]

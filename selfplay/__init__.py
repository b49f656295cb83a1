"""Self-play, training loop, matches and ratings (imports goagent only)."""

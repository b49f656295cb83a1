"""The GTP engine for Sabaki and other Go GUIs (imports goagent only)."""

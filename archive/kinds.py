"""The kinds of change edittrail names, in the order it lists them.

A module of its own so that the config (an alert channel's ``kinds``) can check them without
importing the detection stage that finds them (archive.detect.changes).
"""

CONTENT_KINDS = ("headline", "lead", "body", "date", "caption", "image", "section", "byline")
FATE_KINDS = ("retraction", "redirect", "restoration")
EVIDENCE_KINDS = ("slug_mismatch",)
MIRROR_KINDS = ("mirror_divergence",)
CHANGE_KINDS = CONTENT_KINDS + FATE_KINDS + EVIDENCE_KINDS + MIRROR_KINDS
ALERT_KINDS = (*CHANGE_KINDS, "domain")
"""What an alert channel's ``kinds`` may name: every change kind, and ``domain`` (mirror health)."""

"""Privacy: one redaction engine (tiers, policies, placeholders) shared by the SDK and the server."""

from genlens.privacy.engine import Counts, Policy, Redactor
from genlens.privacy.patterns import Found, PatternTier
from genlens.privacy.redact import Redaction, redact, redact_value

__all__ = ["Counts", "Found", "PatternTier", "Policy", "Redaction", "Redactor", "redact", "redact_value"]

"""Privacy: redaction of personal data and secrets, shared by the SDK and the server."""

from genlens.privacy.redact import RULES, Redaction, Rule, redact, redact_value

__all__ = ["RULES", "Redaction", "Rule", "redact", "redact_value"]

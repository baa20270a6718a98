"""Analysis jobs over stored spans: cost detectors today (regressions, cache drops, anomalies,
budgets, runaway conversations), each producing structured findings for alerting."""

"""SLO documents in the three shapes, and every malformed or hostile one refused with a message naming it."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from genlens.errors import ConfigError
from genlens.slo.spec import CALLS, load_file, parse_documents, parse_predicate
from genlens.store.queries import Condition

GENLENS = """
service: support-bot
slos:
  - name: ttft_under_1s
    sli: {type: ttft, threshold: 1.0}
    where: {feature: chat}
    objective: 0.95
    window: 30d
  - name: api_success
    sli: {type: availability}
    objective: 99.5
  - name: cheap
    sli: {good: "cost_usd <= 0.1", total: "kind = llm"}
    objective: 0.99
    window: 7d
"""

SLOTH = """
version: prometheus/v1
service: support-bot
labels: {owner: llm-team}
slos:
  - name: requests-availability
    objective: 99.9
    description: Common SLO based on availability for HTTP request responses.
    sli:
      events:
        error_query: sum(rate(llm_requests_total{status="error"}[{{.window}}]))
        total_query: sum(rate(llm_requests_total[{{.window}}]))
    alerting:
      name: SupportBotHighErrorRate
  - name: span-predicates
    objective: 99
    sli:
      events:
        error_query: status = error and error_class != validation
        total_query: kind in (llm, embedding) and feature = "chat"
"""

OPENSLO = """
apiVersion: openslo/v1
kind: SLO
metadata: {name: latency-under-5s, labels: {team: rag}}
spec:
  service: search
  budgetingMethod: Occurrences
  timeWindow: [{duration: 28d, isRolling: true}]
  objectives: [{target: 0.99}]
  indicator:
    metadata: {name: latency}
    spec:
      ratioMetric:
        counter: true
        good: {metricSource: {type: genlens, spec: {query: "duration_s <= 5"}}}
        total: {metricSource: {type: genlens, spec: {query: "kind = llm"}}}
"""


def _docs(text: str) -> list[Any]:
    return list(yaml.safe_load_all(text))


def test_genlens_shape() -> None:
    ttft, api, cheap = parse_documents(_docs(GENLENS), "test")
    assert ttft.id == "support-bot-ttft_under_1s" and ttft.objective == 0.95 and ttft.period_s == 30 * 86400
    assert ttft.total == (*CALLS, Condition("feature", "=", "chat"), Condition("ttft_s", ">=", 0.0))
    assert ttft.bad == (Condition("ttft_s", ">", 1.0),)
    assert api.objective == pytest.approx(0.995) and api.bad == (Condition("status", "=", "error"),)
    assert cheap.bad == (Condition("cost_usd", ">", 0.1),) and cheap.period_s == 7 * 86400
    assert cheap.sli_type is None and cheap.computed_by_genlens


def test_sloth_shape_promql_and_predicates() -> None:
    promql, predicates = parse_documents(_docs(SLOTH), "test")
    assert promql.objective == pytest.approx(0.999) and not promql.computed_by_genlens
    assert promql.error_query is not None and "{{.window}}" in promql.error_query
    assert dict(promql.labels) == {"owner": "llm-team"}
    assert predicates.total == (Condition("kind", "in", ("llm", "embedding")), Condition("feature", "=", "chat"))
    assert predicates.bad == (Condition("status", "=", "error"), Condition("error_class", "!=", "validation"))


def test_openslo_subset() -> None:
    (slo,) = parse_documents(_docs(OPENSLO), "test")
    assert slo.id == "search-latency-under-5s" and slo.period_s == 28 * 86400 and slo.objective == 0.99
    assert slo.bad == (Condition("duration_s", ">", 5.0),)


def test_all_shapes_in_one_file(tmp_path: Any) -> None:
    path = tmp_path / "slos.yaml"
    path.write_text(GENLENS + "\n---\n" + SLOTH + "\n---\n" + OPENSLO)
    assert len(load_file(str(path))) == 6


@pytest.mark.parametrize(("text", "problem"), [
    ("slos: [{name: x, sli: {type: ttft}, objective: 0.9}]", "positive threshold"),
    ("slos: [{name: x, sli: {type: ttft, threshold: -1}, objective: 0.9}]", "positive threshold"),
    ("slos: [{name: x, sli: {type: magic}, objective: 0.9}]", "unknown type"),
    ("slos: [{name: x, sli: {type: availability}, objective: 150}]", "between 0 and 1"),
    ("slos: [{name: x, sli: {type: availability}, objective: 0}]", "between 0 and 1"),
    ("slos: [{name: x, sli: {type: availability}, objective: yes}]", "must be a number"),
    ("slos: [{name: x, sli: {type: availability}, objective: 0.9, window: 0d}]", "window"),
    ("slos: [{name: x, sli: {type: availability}, objective: 0.9, window: 400d}]", "window"),
    ("slos: [{name: x, sli: {type: availability}, objective: 0.9, window: forever}]", "window"),
    ("slos: [{name: '../../etc', sli: {type: availability}, objective: 0.9}]", "name"),
    ("slos: [{name: x, sli: {type: availability}, objective: 0.9, where: {user_id: u1}}]", "unknown slice"),
    ("slos: [{name: x, sli: {type: availability}, objective: 0.9, colour: red}]", "unknown keys"),
    ("slos: [{name: x, sli: {bad: 'status = error'}, objective: 0.9}]", "total"),
    ("slos: [{name: x, sli: {bad: 'password = 1', total: 'kind = llm'}, objective: 0.9}]", "unknown span field"),
    ("slos: [{name: x, sli: {bad: 'ttft_s > fast', total: 'kind = llm'}, objective: 0.9}]", "numbers"),
    ("slos: [{name: x, sli: {bad: 'status ~ error', total: 'kind = llm'}, objective: 0.9}]", "unknown operator"),
    ("slos: [{name: x, sli: {bad: 'status =', total: 'kind = llm'}, objective: 0.9}]", "no value"),
    ("slos: [{name: x, sli: {bad: 'status = error or kind = llm', total: 'kind = llm'}, objective: 0.9}]",
     "expected 'and'"),
    ("slos: [{name: x, sli: {bad: 'kind in (llm', total: 'kind = llm'}, objective: 0.9}]", "unclosed"),
    ("slos: [{name: x, sli: {good: 'a = 1 and b = 2', total: 'kind = llm'}, objective: 0.9}]", "unknown span"),
    ("slos: [{name: x, sli: {type: availability}, objective: 0.9}, {name: x, sli: {type: availability}, "
     "objective: 0.9}]", "defined twice"),
    ("just text", "expected a mapping"),
    ("colour: red", "not an SLO document"),
    ("version: prometheus/v1\nservice: s\nslos: [{name: x, objective: 99, sli: {raw: {error_ratio_query: q}}}]",
     "events"),
    ("version: prometheus/v1\nservice: s\nslos: [{name: x, objective: 99, sli: {events: {error_query: "
     "'rate(x[{{.window}}])', total_query: 'kind = llm'}}}]", "both"),
    ("apiVersion: openslo/v1\nkind: SLO\nmetadata: {name: x}\nspec: {service: s, budgetingMethod: Timeslices}",
     "Occurrences"),
])
def test_malformed_documents_name_the_flaw(text: str, problem: str) -> None:
    with pytest.raises(ConfigError, match=problem):
        parse_documents(_docs(text), "test")


@pytest.mark.parametrize("text", ["", " ", "x" * 3000, "kind = llm and", "and kind = llm", "(", "kind in ()",
                                  "kind = 'unterminated", "\x00 = 1", "kind = llm ; DROP TABLE spans"])
def test_hostile_predicates_are_refused(text: str) -> None:
    with pytest.raises(ConfigError):
        parse_predicate(text, "test")


def test_predicate_values_are_data_not_sql() -> None:
    (c,) = parse_predicate("feature = \"chat' OR 1=1 --\"", "test")
    assert c == Condition("feature", "=", "chat' OR 1=1 --")


def test_missing_file_and_bad_yaml(tmp_path: Any) -> None:
    with pytest.raises(ConfigError, match="No such file"):
        load_file(str(tmp_path / "missing.yaml"))
    bad = tmp_path / "bad.yaml"
    bad.write_text("slos: [unclosed")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_file(str(bad))

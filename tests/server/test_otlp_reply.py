"""The one answer to an accepted export: partial_success in the field of each signal, the same for HTTP and gRPC."""

from __future__ import annotations

import pytest

from genlens.pipeline.decode import Rejections
from genlens.server.otlp_reply import SIGNALS, export_response


@pytest.mark.parametrize("signal,field", [
    ("traces", "rejected_spans"), ("logs", "rejected_log_records"), ("metrics", "rejected_data_points"),
])
def test_refused_items_are_counted_in_the_signals_own_field(signal: str, field: str) -> None:
    rejected = Rejections()
    for reason in ("span 1: bad trace id", "span 2: bad span id", "span 3: bad trace id"):
        rejected.add(reason, "invalid_id")
    response = export_response(signal, rejected)
    assert isinstance(response, SIGNALS[signal][0])
    assert response.HasField("partial_success")
    assert getattr(response.partial_success, field) == 3
    assert "bad trace id" in response.partial_success.error_message


@pytest.mark.parametrize("signal", sorted(SIGNALS))
def test_nothing_refused_is_an_empty_response(signal: str) -> None:
    response = export_response(signal, Rejections())
    assert not response.HasField("partial_success")
    assert response.SerializeToString() == b""

"""The series of one metric family: values by label combination, a cardinality cap, cached exposition.

Values live here, not in ``prometheus_client`` metric objects, because they are
folded in from whole committed batches (group sums), and because a scrape must
stay cheap with thousands of series: encoding 10,000 series through
``prometheus_client`` costs 100–200 ms of the server's interpreter (it validates
and escapes every label of every line), during which ingest waits.  So:

* the label part of each line is ``prometheus_client``'s encoding of that series,
  made once per series and format; a scrape appends the values (in
  ``prometheus_client``'s float notation) and, in OpenMetrics, the exemplars —
  the text is byte for byte what ``prometheus_client`` would write
  (``tests/metrics/test_aggregator.py`` compares the two);
* series are kept in chunks of :data:`CHUNK` in the order they appeared, and a
  chunk's text is rebuilt only when one of its series changed since the last
  scrape.

**The cap is on label combinations**, per family: once a family holds
``max_series`` combinations, a new one folds into the family's ``other`` series
(every label ``other``) and the observations folded are counted — never
dropped, so ``sum()`` over a family stays exact.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry
from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.samples import Exemplar
from prometheus_client.utils import floatToGoString

from genlens.metrics.catalog import Family

CHUNK = 128  # series per cached piece of exposition text
Key = tuple[str, ...]
Encoder = Callable[[CollectorRegistry], bytes]
# (slot, counter value or histogram sum, histogram bucket counts, histogram exemplars)
Snapshot = list[tuple[int, "int | float", "list[int] | None", "list[Sample | None] | None"]]


@dataclass(slots=True)
class Sample:
    """One histogram observation kept as a bucket's exemplar: the span it came from."""

    trace_id: str
    span_id: str
    value: float
    time_s: float


@dataclass(slots=True)
class _Histogram:
    counts: list[int]  # per bucket (not cumulative), the last one is +Inf
    total: float = 0.0
    exemplars: list[Sample | None] = field(default_factory=list)


class _Once:
    """A collector for one render: ``prometheus_client`` encodes what it yields."""

    def __init__(self, metrics: list[Metric]) -> None:
        self._metrics = metrics

    def collect(self) -> list[Metric]:
        return self._metrics


def le_labels(bounds: Sequence[float]) -> list[str]:
    """The ``le`` label values of histogram buckets, in the notation ``prometheus_client`` uses ("+Inf" last)."""
    return [floatToGoString(b) for b in bounds] + ["+Inf"]  # type: ignore[no-untyped-call]


def _number(value: float) -> bytes:
    """``prometheus_client``'s float notation; small whole counts (most bucket lines) without its detour."""
    if type(value) is int and 0 <= value < 1_000_000:  # floatToGoString writes these as "13.0"
        return b"%d.0" % value
    text: str = floatToGoString(value)  # type: ignore[no-untyped-call]
    return text.encode()


def _exemplar(sample: Sample) -> bytes:
    """An OpenMetrics exemplar as ``prometheus_client`` writes one (ids are hex: nothing to escape)."""
    return (f' # {{span_id="{sample.span_id}",trace_id="{sample.trace_id}"}} '
            f"{_number(sample.value).decode()} {sample.time_s}").encode()


def encode(metrics: list[Metric], encoder: Encoder) -> bytes:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Once(metrics))
    return encoder(registry)


def strip_frame(text: bytes) -> bytes:
    """The sample lines of an encoded family: without its ``# HELP``/``# TYPE`` header and ``# EOF``."""
    start = 0
    while text.startswith(b"# ", start):
        start = text.index(b"\n", start) + 1
    end = len(text) - 6 if text.endswith(b"# EOF\n") else len(text)
    return text[start:end]


class FamilySeries:
    """Every series of one family, folded into by the aggregator and read by the scrape."""

    def __init__(self, family: Family, max_series: int) -> None:
        self.family = family
        self.max_series = max_series
        self._index: dict[Key, int] = {}
        self.keys: list[Key] = []
        self._values: list[int | float] = []
        self._histograms: list[_Histogram] = []
        self._versions: list[int] = []  # per chunk, bumped by every change
        self._cache: dict[tuple[str, int], tuple[int, bytes]] = {}  # (format, chunk) → (version, text)
        self._line_prefixes: dict[str, dict[int, list[bytes]]] = {}  # format → slot → label part of each line
        self.folded = 0  # observations that went to the other series because of the cap

    def __len__(self) -> int:
        return len(self.keys)

    def _slot(self, key: Key, observations: int) -> int:
        slot = self._index.get(key)
        if slot is not None:
            return slot
        if len(self.keys) >= self.max_series and key != self.family.other_key:
            self.folded += observations
            return self._slot(self.family.other_key, 0)
        slot = len(self.keys)
        self._index[key] = slot
        self.keys.append(key)
        if self.family.kind == "counter":
            self._values.append(0)
        else:
            size = len(self.family.buckets) + 1
            self._histograms.append(_Histogram([0] * size, 0.0, [None] * size))
        if slot // CHUNK >= len(self._versions):
            self._versions.append(0)
        return slot

    def _touch(self, slot: int) -> None:
        self._versions[slot // CHUNK] += 1

    def add(self, key: Key, value: int | float, observations: int = 1) -> None:
        """Add to a counter series (created at zero when new)."""
        slot = self._slot(key, observations)
        self._values[slot] += value
        self._touch(slot)

    def observe(self, key: Key, bucket: int, count: int, total: float, exemplar: Sample | None) -> None:
        """Add ``count`` observations summing to ``total`` to one bucket of a histogram series."""
        slot = self._slot(key, count)
        hist = self._histograms[slot]
        hist.counts[bucket] += count
        hist.total += total
        if exemplar is not None:
            hist.exemplars[bucket] = exemplar
        self._touch(slot)

    def value(self, key: Key) -> float:
        """A counter's exposed value (0 for a series that does not exist)."""
        slot = self._index.get(key)
        return 0.0 if slot is None else float(self._values[slot]) / self.family.divisor

    def histogram(self, key: Key) -> tuple[list[int], float] | None:
        """A histogram series' per-bucket counts (last is +Inf) and sum, or None."""
        slot = self._index.get(key)
        if slot is None:
            return None
        hist = self._histograms[slot]
        return list(hist.counts), hist.total

    # -- exposition --------------------------------------------------------------
    def header(self, encoder: Encoder) -> bytes:
        text = encode([self._empty()], encoder)
        return text[: len(text) - 6] if text.endswith(b"# EOF\n") else text

    def _empty(self) -> Metric:
        f = self.family
        if f.kind == "counter":
            return CounterMetricFamily(f.name, f.help, labels=f.labels)
        return HistogramMetricFamily(f.name, f.help, labels=f.labels)

    def stale_chunks(self, fmt: str) -> list[tuple[int, int]]:
        """(chunk, version) of every chunk whose cached text in ``fmt`` is missing or older."""
        out = []
        for chunk, version in enumerate(self._versions):
            cached = self._cache.get((fmt, chunk))
            if cached is None or cached[0] != version:
                out.append((chunk, version))
        return out

    def _slots(self, chunk: int) -> range:
        return range(chunk * CHUNK, min(len(self.keys), (chunk + 1) * CHUNK))

    def snapshot(self, chunk: int) -> Snapshot:
        """The values of one chunk's series, copied (taken under the aggregator's lock, encoded outside it)."""
        if self.family.kind == "counter":
            return [(slot, self._values[slot], None, None) for slot in self._slots(chunk)]
        return [(slot, hist.total, list(hist.counts), list(hist.exemplars))
                for slot in self._slots(chunk) for hist in (self._histograms[slot],)]

    def render_chunk(self, fmt: str, encoder: Encoder, snapshot: Snapshot) -> bytes:
        """The sample lines of a snapshot: each series' label part as ``prometheus_client`` encodes it (once
        per series and format), followed by this scrape's values, and in OpenMetrics the bucket exemplars."""
        lines: list[bytes] = []
        divisor = self.family.divisor
        for slot, value, counts, exemplars in snapshot:
            prefixes = self._prefixes(fmt, slot, encoder)
            if counts is None:
                lines.append(prefixes[0] + _number(value if divisor == 1.0 else float(value) / divisor) + b"\n")
                continue
            assert exemplars is not None
            running = 0
            for prefix, count, sample in zip(prefixes, counts, exemplars, strict=False):
                running += count
                tail = _exemplar(sample) if sample is not None and fmt == "openmetrics" else b""
                lines.append(prefix + _number(running) + tail + b"\n")
            lines.append(prefixes[-2] + _number(running) + b"\n")  # _count
            lines.append(prefixes[-1] + _number(value) + b"\n")  # _sum
        return b"".join(lines)

    def _prefixes(self, fmt: str, slot: int, encoder: Encoder) -> list[bytes]:
        cache = self._line_prefixes.setdefault(fmt, {})
        prefixes = cache.get(slot)
        if prefixes is None:
            text = strip_frame(encode([self._zero(slot)], encoder))
            lines = [line for line in text.split(b"\n") if line]
            if not all(line.endswith(b" 0.0") for line in lines):
                raise AssertionError(f"unexpected encoding of {self.family.name}: {text[:200]!r}")
            prefixes = cache[slot] = [line[:-3] for line in lines]
        return prefixes

    def _zero(self, slot: int) -> Metric:
        """One series with every value 0: what its label parts are cut from."""
        metric = self._empty()
        if isinstance(metric, CounterMetricFamily):
            metric.add_metric(self.keys[slot], 0.0)
        else:
            assert isinstance(metric, HistogramMetricFamily)
            metric.add_metric(self.keys[slot], [(le, 0.0) for le in le_labels(self.family.buckets)], sum_value=0.0)
        return metric

    def chunk_metric(self, chunk: int) -> Metric:
        """The series of one chunk as a ``prometheus_client`` family: the reference encoding tests compare with."""
        f = self.family
        metric = self._empty()
        if f.kind == "counter":
            assert isinstance(metric, CounterMetricFamily)
            for slot in self._slots(chunk):
                metric.add_metric(self.keys[slot], float(self._values[slot]) / f.divisor)
            return metric
        assert isinstance(metric, HistogramMetricFamily)
        bounds = le_labels(f.buckets)
        for slot in self._slots(chunk):
            hist = self._histograms[slot]
            buckets: list[tuple[str, float] | tuple[str, float, Exemplar]] = []
            running = 0
            for bound, count, sample in zip(bounds, hist.counts, hist.exemplars, strict=True):
                running += count
                if sample is None:
                    buckets.append((bound, running))
                else:
                    buckets.append((bound, running, Exemplar({"trace_id": sample.trace_id, "span_id": sample.span_id},
                                                             sample.value, sample.time_s)))
            metric.add_metric(self.keys[slot], buckets, sum_value=hist.total)
        return metric

    def store_chunk(self, fmt: str, chunk: int, version: int, text: bytes) -> None:
        self._cache[(fmt, chunk)] = (version, text)

    def cached(self, fmt: str) -> Sequence[bytes]:
        return [self._cache[(fmt, chunk)][1] for chunk in range(len(self._versions)) if (fmt, chunk) in self._cache]

"""Stream proxies: one span per stream, ended exactly once however the stream ends.

The proxy forwards iteration to the provider's stream, feeds each chunk to the
provider's accumulator and times it.  Exhaustion ends the span normally; an
exception ends it as an error (and propagates unchanged); ``close()``, leaving
a ``with`` block early, dropping the stream, or cancelling the awaiting task
ends it tagged ``cancelled`` with the usage seen so far.
"""

from __future__ import annotations

import asyncio
from typing import Any, Protocol

from genlens.sdk import _safety
from genlens.sdk.core import LLMCall, Result


class Accumulator(Protocol):
    def feed(self, chunk: Any) -> tuple[bool, bool]:
        """Read one chunk; returns (carried output, hide this chunk from the caller)."""

    def result(self) -> Result: ...


class _Base:
    _inner: Any
    _call: LLMCall
    _acc: Accumulator

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def _feed(self, chunk: Any) -> bool:
        try:
            has_output, hide = self._acc.feed(chunk)
            self._call.chunk(has_output)
            return hide
        except Exception as exc:
            _safety.report("stream chunk", exc)
            return False

    def _result(self) -> Result | None:
        try:
            return self._acc.result()
        except Exception as exc:
            _safety.report("stream result", exc)
            return None

    def _end_cancelled(self) -> None:
        if not self._call.ended:
            self._call.finish(self._result(), cancelled=True)

    def __del__(self) -> None:
        try:
            call = self.__dict__.get("_call")
            if call is not None and not call.ended:
                self._end_cancelled()
        except Exception:  # never raise from a finalizer
            pass


class TracedStream(_Base):
    """Proxy for a synchronous provider stream (iterator and context manager)."""

    def __init__(self, inner: Any, call: LLMCall, accumulator: Accumulator) -> None:
        self.__dict__.update(_inner=inner, _call=call, _acc=accumulator)

    def __iter__(self) -> TracedStream:
        return self

    def __next__(self) -> Any:
        while True:
            try:
                chunk = self._inner.__next__()
            except StopIteration:
                if not self._call.ended:
                    self._call.finish(self._result())
                raise
            except GeneratorExit:
                self._end_cancelled()
                raise
            except BaseException as exc:
                if not self._call.ended:
                    if isinstance(exc, KeyboardInterrupt):
                        self._call.finish(self._result(), cancelled=True)
                    else:
                        self._call.fail(exc, self._result())
                raise
            if not self._feed(chunk):
                return chunk

    def close(self) -> None:
        try:
            self._inner.close()
        finally:
            self._end_cancelled()

    def __enter__(self) -> TracedStream:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()


class AsyncTracedStream(_Base):
    """Proxy for an asynchronous provider stream (async iterator and async context manager)."""

    def __init__(self, inner: Any, call: LLMCall, accumulator: Accumulator) -> None:
        self.__dict__.update(_inner=inner, _call=call, _acc=accumulator)

    def __aiter__(self) -> AsyncTracedStream:
        return self

    async def __anext__(self) -> Any:
        while True:
            try:
                chunk = await self._inner.__anext__()
            except StopAsyncIteration:
                if not self._call.ended:
                    self._call.finish(self._result())
                raise
            except (asyncio.CancelledError, GeneratorExit):
                self._end_cancelled()
                raise
            except BaseException as exc:
                if not self._call.ended:
                    self._call.fail(exc, self._result())
                raise
            if not self._feed(chunk):
                return chunk

    async def close(self) -> None:
        try:
            await self._inner.close()
        finally:
            self._end_cancelled()

    async def aclose(self) -> None:
        await self.close()

    async def __aenter__(self) -> AsyncTracedStream:
        return self

    async def __aexit__(self, *exc_info: Any) -> None:
        await self.close()

"""Background asyncio tasks: how a long-running one is stopped, the same way in every process."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any


async def cancel_and_wait(task: asyncio.Task[Any]) -> None:
    """Cancel the task and return once it has finished, so nothing it holds outlives its owner's stop. The
    CancelledError it ends with is the expected outcome, not a failure to report."""
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task

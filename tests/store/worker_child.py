"""A shared-queue worker in its own process, whose run of group ``stuck`` never ends (test aid).

Run: ``python -m tests.store.worker_child URL``. Prints ``running stuck`` once that run has
started, so the test can kill the process with SIGKILL in the middle of it.
"""

from __future__ import annotations

import asyncio
import sys

from syncd.workers import SharedScheduler


async def main(url: str) -> None:
    async def run(group: str) -> bool:
        if group == "stuck":
            print("running stuck", flush=True)
            await asyncio.Event().wait()  # never ends: the process is killed here
        return False

    scheduler = SharedScheduler(run, url=url, interval=1.0, workers=2, heartbeat_timeout=3.0)
    scheduler.set_groups(["stuck"])
    await scheduler.serve(asyncio.Event())


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))

"""Open-loop webhook sender in its own process: the driving process also serves the sandboxes
and drives the busy returns, and timing answers there would add its own waits to the ingress's.

    python -m tests.bench.sender URL RATE < BODIES.json   # prints {"latencies_ms", "statuses"}

BODIES.json is a list of webhook bodies (UTF-8 text); each is signed with the test secret.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from typing import Any

from adapters.loop.signature import HEADER, sign
from tests.drills.courier import Courier
from tests.harness import WEBHOOK_SECRET


async def blast(url: str, bodies: list[bytes], rate: float) -> dict[str, Any]:
    """Open loop: body i leaves at i/rate s whatever happened to the others. Each latency (ms),
    the answers by status, and the seconds from the first send to the last answer."""
    courier = Courier(url)
    latencies: list[float] = []
    statuses: dict[str, int] = {}
    signed = [(body, {HEADER: sign(body, WEBHOOK_SECRET)}) for body in bodies]
    first_send_epoch = time.time()
    started = time.monotonic()

    async def send(body: bytes, headers: dict[str, str]) -> None:
        ack = await courier.post(body, headers)
        latencies.append(ack.seconds * 1000)
        statuses[str(ack.status)] = statuses.get(str(ack.status), 0) + 1

    tasks = []
    for i, (body, headers) in enumerate(signed):
        delay = started + i / rate - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(send(body, headers)))
    await asyncio.gather(*tasks)
    seconds = time.monotonic() - started
    await courier.aclose()
    return {
        "latencies_ms": latencies,
        "statuses": statuses,
        "seconds": seconds,
        "first_send_epoch": first_send_epoch,
    }


async def blast_from_process(url: str, bodies: list[bytes], rate: float) -> dict[str, Any]:
    """`blast` in a child process at normal priority (whatever this process's niceness is)."""
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.bench.sender",
        url,
        str(rate),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        preexec_fn=lambda: os.setpriority(os.PRIO_PROCESS, 0, 0),
    )
    out, _ = await child.communicate(json.dumps([b.decode() for b in bodies]).encode())
    if child.returncode != 0:
        raise RuntimeError(f"the sender failed ({child.returncode})")
    answer: dict[str, Any] = json.loads(out)
    return answer


def main(url: str, rate: str) -> None:
    bodies = [b.encode() for b in json.loads(sys.stdin.read())]
    print(json.dumps(asyncio.run(blast(url, bodies, float(rate)))))


if __name__ == "__main__":
    main(*sys.argv[1:3])

"""Open-loop webhook sender in its own process: the driving process also serves the sandboxes
and drives the busy returns, and timing answers there would add its own waits to the ingress's.

    python -m tests.bench.sender URL RATE < BODIES.json   # prints {"latencies_ms", "statuses"}

BODIES.json is a list of webhook bodies (UTF-8 text); each is signed with the test secret.

The requests are written as raw HTTP/1.1 on keep-alive connections, signed before the clock
starts. An httpx client spent ~2 ms of CPU per request: on 2 shared cores with the worker busy,
the sender itself fell behind 200/s and its queueing was read as the ingress's latency.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from typing import Any
from urllib.parse import urlsplit

from adapters.loop.signature import HEADER, sign
from tests.harness import WEBHOOK_SECRET

PATH = "/webhooks/loop"
TIMEOUT_S = 10.0
IDLE_REUSE_S = 3.0  # uvicorn closes keep-alive connections idle for 5 s: never reuse near that


def request_bytes(host: str, body: bytes) -> bytes:
    head = (
        f"POST {PATH} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
        f"{HEADER}: {sign(body, WEBHOOK_SECRET)}\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


class Connections:
    """Idle keep-alive connections, reused while fresh; a new one is opened when none is."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter, float]] = []
        self.opened: list[asyncio.StreamWriter] = []

    async def exchange(self, request: bytes) -> int:
        """Send one request, read its answer; the status code."""
        while self.idle:
            reader, writer, since = self.idle.pop()
            if time.monotonic() - since < IDLE_REUSE_S:
                break
            writer.close()
        else:
            reader, writer = await asyncio.open_connection(self.host, self.port)
            self.opened.append(writer)
        writer.write(request)
        head = await reader.readuntil(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        await reader.readexactly(length)
        self.idle.append((reader, writer, time.monotonic()))
        return status

    def close(self) -> None:
        for writer in self.opened:
            writer.close()


async def blast(url: str, bodies: list[bytes], rate: float) -> dict[str, Any]:
    """Open loop: body i leaves at i/rate s whatever happened to the others. Each latency (ms),
    the answers by status ("None": no answer within 10 s), and the seconds from the first send
    to the last answer."""
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    requests = [request_bytes(f"{host}:{port}", body) for body in bodies]
    pool = Connections(host, port)
    latencies: list[float] = []
    statuses: dict[str, int] = {}

    async def send(request: bytes) -> None:
        started = time.perf_counter()
        try:
            status: int | None = await asyncio.wait_for(pool.exchange(request), TIMEOUT_S)
        except (OSError, TimeoutError, asyncio.IncompleteReadError, ValueError):
            status = None  # that connection is not returned to the pool
        latencies.append((time.perf_counter() - started) * 1000)
        statuses[str(status)] = statuses.get(str(status), 0) + 1

    first_send_epoch = time.time()
    started = time.monotonic()
    tasks = []
    for i, request in enumerate(requests):
        delay = started + i / rate - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(send(request)))
    await asyncio.gather(*tasks)
    seconds = time.monotonic() - started
    pool.close()
    return {
        "latencies_ms": latencies,
        "statuses": statuses,
        "seconds": seconds,
        "first_send_epoch": first_send_epoch,
        "connections": len(pool.opened),
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

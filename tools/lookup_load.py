#!/usr/bin/env python3
"""Open-loop profile lookups against one or more `kith serve` replicas on loopback.

Requests are scheduled at a fixed RATE whatever the answers do (so a slow answer cannot slow
the offered load and hide itself), spread over the replicas in turn, over at most 64
keep-alive connections per replica (as a load balancer's pool). A request whose replica
refuses or drops the connection is sent again at once to another replica; its latency runs
from when it was scheduled to its answer, waiting for a connection and retry included.
Optionally kills a replica (by pid) partway through.

    tools/lookup_load.py --replica 127.0.0.1:PORT [--replica ...] --key KEY --phones FILE
        [--rate 2000] [--seconds 30] [--kill PID --kill-after SECONDS] [--connections 64]

Prints one JSON object: requests, answered, rate achieved, latency percentiles (ms), errors,
retries, answers by status.
"""

import argparse
import asyncio
import json
import os
import signal
import time
import urllib.parse


class Replica:
    def __init__(self, address, connections):
        host, port = address.rsplit(":", 1)
        self.host, self.port = host, int(port)
        self.idle = []
        self.down_until = 0.0
        # At most this many connections at once, as a load balancer's pool keeps: requests beyond
        # wait for one (their latency runs on). Without a cap, the requests a killed replica drops
        # all open new connections to the other at once, overflow its accept queue, and wait
        # out the kernel's SYN retransmissions (1, 3, 7 s...).
        self.slots = asyncio.Semaphore(connections)


async def exchange(replica, request):
    """Sends one request on an idle connection (or a new one), one of the replica's few; returns
    the status."""
    async with replica.slots:
        return await exchange_on_slot(replica, request)


async def exchange_on_slot(replica, request):
    if replica.idle:
        reader, writer = replica.idle.pop()
    else:
        reader, writer = await asyncio.open_connection(replica.host, replica.port)
    try:
        writer.write(request)
        head = await reader.readuntil(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value.strip())
        await reader.readexactly(length)
    except BaseException:
        writer.close()
        raise
    replica.idle.append((reader, writer))
    return status


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--replica", action="append", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--phones", required=True)
    parser.add_argument("--rate", type=float, default=2000)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--kill", type=int)
    parser.add_argument("--kill-after", type=float, default=10)
    parser.add_argument("--connections", type=int, default=64, help="per replica, at most")
    options = parser.parse_args()

    phones = [line.strip() for line in open(options.phones) if line.strip()]
    replicas = [Replica(r, options.connections) for r in options.replica]
    latencies, statuses = [], {}
    errors = retries = 0
    pending = set()

    def request_for(i):
        phone = urllib.parse.quote("phone:" + phones[(i * 7919) % len(phones)], safe=":")
        return (
            f"GET /v1/profiles?identifier={phone} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Authorization: Bearer {options.key}\r\n\r\n"
        ).encode()

    async def one(i, scheduled):
        nonlocal errors, retries
        request = request_for(i)
        for attempt in range(len(replicas) * 2):
            now = time.monotonic()
            live = [r for r in replicas if r.down_until <= now] or replicas
            replica = live[(i + attempt) % len(live)]
            try:
                status = await exchange(replica, request)
            except (ConnectionError, OSError, asyncio.IncompleteReadError):
                replica.down_until = time.monotonic() + 1.0
                replica.idle.clear()
                retries += 1
                continue
            latencies.append(time.monotonic() - scheduled)
            statuses[status] = statuses.get(status, 0) + 1
            return
        errors += 1

    start = time.monotonic()
    killed = False
    i = 0
    interval = 1.0 / options.rate
    while True:
        now = time.monotonic()
        if now - start >= options.seconds:
            break
        if options.kill and not killed and now - start >= options.kill_after:
            os.kill(options.kill, signal.SIGKILL)
            killed = True
        # Every request due by now, each at the instant it was due.
        while start + i * interval <= now:
            task = asyncio.ensure_future(one(i, start + i * interval))
            pending.add(task)
            task.add_done_callback(pending.discard)
            i += 1
        await asyncio.sleep(min(interval, 0.001))
    if pending:
        await asyncio.wait(pending, timeout=30)
    elapsed = time.monotonic() - start
    latencies.sort()

    def percentile(p):
        return round(latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000, 2) if latencies else None

    print(
        json.dumps(
            {
                "requests": i,
                "answered": len(latencies),
                "rate": round(len(latencies) / elapsed),
                "p50_ms": percentile(0.50),
                "p90_ms": percentile(0.90),
                "p99_ms": percentile(0.99),
                "p999_ms": percentile(0.999),
                "max_ms": round(latencies[-1] * 1000, 2) if latencies else None,
                "errors": errors,
                "retries": retries,
                "statuses": {str(k): v for k, v in sorted(statuses.items())},
                "killed": killed,
            }
        )
    )


asyncio.run(main())

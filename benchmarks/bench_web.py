"""Request latency of ``cscperf serve`` under load, from a second process on loopback.

A sample store with every catalogue indicator (``cscperf.web.sample``) is served by
``cscperf serve`` in a child process; after one warm-up request per page (the first view of a
month is evaluated and cached), 20 concurrent clients (asyncio tasks, each with its own
connection) request the dashboard, indicator and commentary pages for 30 seconds. Prints p50,
p95 and the slowest request per page against the targets: p95 under 150 ms and no request
over 1 s.
"""

from __future__ import annotations

import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_P95_MS = 150.0
TARGET_MAX_MS = 1000.0
CLIENTS = 20
SECONDS = 30.0
INDICATORS = ("lac.rate_per_10k", "cp.rate_per_10k", "referrals.rereferral_12m_pct")
LOCALITY = "Saltfleet"


def pages() -> dict[str, list[str]]:
    """Page kind -> the URLs requested for it (county and one locality)."""
    return {
        "dashboard": ["/", f"/?locality={LOCALITY}"],
        "indicator": [f"/indicators/{i}" for i in INDICATORS]
        + [f"/indicators/{i}?locality={LOCALITY}" for i in INDICATORS],
        "commentary": ["/commentary", f"/commentary/indicator/{INDICATORS[0]}"],
    }


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def wait_until_up(base: str, server: subprocess.Popen[bytes], limit: float = 60.0) -> None:
    import httpx

    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError("the dashboard server stopped while starting")
        try:
            if httpx.get(base + "/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise RuntimeError(f"the dashboard server did not answer within {limit:.0f} s")


def load(base: str) -> dict[str, list[float]]:
    """Each client (an asyncio task with its own connection) cycles through every URL until
    the time is up; times in milliseconds as the client sees them."""
    return asyncio.run(_load(base))


async def _load(base: str) -> dict[str, list[float]]:
    import httpx

    timings: dict[str, list[float]] = {kind: [] for kind in pages()}
    errors: list[str] = []
    stop = time.monotonic() + SECONDS
    plan = [(kind, url) for kind, urls in pages().items() for url in urls]

    async def client(offset: int) -> None:
        async with httpx.AsyncClient(base_url=base, timeout=30) as http:
            n = offset
            while time.monotonic() < stop:
                kind, url = plan[n % len(plan)]
                began = time.perf_counter()
                response = await http.get(url)
                timings[kind].append((time.perf_counter() - began) * 1000)
                if response.status_code != 200:
                    errors.append(f"{url}: {response.status_code}")
                n += 1

    await asyncio.gather(*(client(i) for i in range(CLIENTS)))
    if errors:
        raise RuntimeError(f"{len(errors)} requests failed, e.g. {errors[0]}")
    return timings


def server_times(log: Path) -> dict[str, list[float]]:
    """Time spent inside the server per page kind, from its JSON access log."""
    import json

    out: dict[str, list[float]] = {kind: [] for kind in pages()}
    for line in log.read_text(encoding="utf-8").splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        path = entry["path"]
        if path == "/":
            out["dashboard"].append(float(entry["ms"]))
        elif path.startswith("/indicators/"):
            out["indicator"].append(float(entry["ms"]))
        elif path.startswith("/commentary"):
            out["commentary"].append(float(entry["ms"]))
    return out


def add_commentary(store: Path) -> None:
    """Signed-off commentary on the first indicator and a draft on the topic, as a council
    would have mid-month."""
    from cscperf.app.commentary import AREA, DRAFT, INDICATOR, SIGNED_OFF, SUBMITTED, Key, record

    month = "2025-04"
    words = {"analysis": "Numbers rose after two sibling groups came into care."}
    for state in (DRAFT, SUBMITTED, SIGNED_OFF):
        record(store, Key(INDICATOR, INDICATORS[0], month), state, words, "bench")
    record(store, Key(AREA, "lac", month), DRAFT, words, "bench")


def main() -> int:
    import httpx

    from cscperf.web.sample import write_sample_store

    with tempfile.TemporaryDirectory() as folder:
        store = write_sample_store(Path(folder) / "store")
        add_commentary(store)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        command = [sys.executable, "-m", "cscperf", "serve", "--store", str(store)]
        log = Path(folder) / "access.log"
        log_file = log.open("w", encoding="utf-8")
        server = subprocess.Popen(
            [*command, "--port", str(port)],
            stdout=subprocess.DEVNULL,
            stderr=log_file,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        try:
            wait_until_up(base, server)
            began = time.perf_counter()
            for urls in pages().values():
                for url in urls:
                    httpx.get(base + url, timeout=300).raise_for_status()
            print(f"web warm-up (first view of each page): {time.perf_counter() - began:.1f} s")
            timings = load(base)
        finally:
            server.terminate()
            server.wait(timeout=20)
            log_file.close()
        inside = server_times(log)
    worst = slowest = 0.0
    for kind, values in timings.items():
        p50, p95, top = statistics.median(values), percentile(values, 0.95), max(values)
        worst, slowest = max(worst, p95), max(slowest, top)
        missed = p95 >= TARGET_P95_MS or top > TARGET_MAX_MS
        print(
            f"web {kind}: {len(values)} requests, p50 {p50:.0f} ms, p95 {p95:.0f} ms, "
            f"slowest {top:.0f} ms (targets p95 < {TARGET_P95_MS:.0f} ms, none over "
            f"{TARGET_MAX_MS:.0f} ms; {CLIENTS} clients, {SECONDS:.0f} s)"
            f"{'  OVER TARGET' if missed else ''}"
        )
        if inside.get(kind):
            print(
                f"    inside the server: p50 {statistics.median(inside[kind]):.1f} ms, "
                f"p95 {percentile(inside[kind], 0.95):.1f} ms"
            )
    return 0 if worst < TARGET_P95_MS and slowest <= TARGET_MAX_MS else 1


if __name__ == "__main__":
    sys.exit(main())

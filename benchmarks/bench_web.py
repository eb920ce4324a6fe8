"""Request latency of ``cscperf serve`` for 20 signed-in people at once, on the demo council.

The store is the demo's (``demo/store``, as ``make demo`` leaves it); without one, the demo's
first three steps (the synthetic council at ``DEMO_SCALE``, default 1.0, loaded, with its
targets and imported measures, indicators computed) are run once into
``benchmarks/.cache/web-demo``. ``--store PATH`` or ``--scale 0.05`` choose another, for a
quick run by hand.

The server runs as ``cscperf serve --sign-in`` in a child process, signed in through a mock
OpenID Connect provider (``oidc-provider-mock``, as the tests use) on a local port. Each of
the 20 clients signs in through the real redirect, the provider's form and the callback, and
keeps the session cookie the dashboard sets, so every request is checked and scoped as a
person's would be. The people: viewers, locality managers (one locality: their dashboard,
indicators and the lists of children behind the figures), heads of service (commentary) and
performance officers; the page kinds are the dashboard, the summary, indicator pages,
locality views, child lists, commentary and the builds list.

Results are prepared in the background once a build is published; the warm-up asks each
person's pages until they are no longer "being prepared" (HTTP 202) and reports how long that
took. Then the clients request their pages, one after another with no pause, for 30 seconds.
Printed: p50, p95 and the slowest request per page kind and overall, time inside the server,
the load average before and after, the CPU time per request of the server and of the clients
(and how much of the machine's cores they had: on a shared machine that, not the server, can
decide the figures), and the verdict against the targets: p95 under 150 ms and no request
over 1 s. Exit 1 when a target is missed or a request fails.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

TARGET_P95_MS = 150.0
TARGET_MAX_MS = 1000.0
CLIENTS = 20
SECONDS = 30.0
WARM_UP_LIMIT = 1800.0  # seconds for every page to be prepared (a full-size council is slow)
ROOT = Path(__file__).resolve().parent.parent
DEMO_STORE = ROOT / "demo" / "store"
CACHE = Path(__file__).parent / ".cache" / "web-demo"
LOCALITY = "Saltfleet"
OTHER_LOCALITY = "Harrowmere"
INDICATORS = (
    "lac.rate_per_10k",
    "cp.rate_per_10k",
    "referrals.rereferral_12m_pct",
    "assess.within_45wd_pct",
)
CHILD_LISTS = ("assess.within_45wd_pct", "cp.visits_in_timescale_pct")
# group -> (the cscperf roles it gives, its localities, its areas)
GROUPS: dict[str, dict[str, Any]] = {
    "viewers": {"roles": ["viewer"]},
    "saltfleet": {"roles": ["locality_manager"], "localities": [LOCALITY]},
    "heads": {"roles": ["head_of_service"], "areas": ["lac"]},
    "performance": {"roles": ["performance_officer"]},
}
# role -> how many of the clients are such a person
PEOPLE = {"viewers": 8, "saltfleet": 6, "heads": 4, "performance": 2}


def plans() -> dict[str, list[tuple[str, str]]]:
    """Group -> the (page kind, URL) each such person cycles through."""
    first = INDICATORS[0]
    return {
        "viewers": [
            ("dashboard", "/"),
            ("summary", "/summary"),
            *(("indicator", f"/indicators/{i}") for i in INDICATORS),
            ("locality", f"/?locality={LOCALITY}"),
            ("locality", f"/indicators/{first}?locality={OTHER_LOCALITY}"),
            ("commentary", "/commentary"),
        ],
        "saltfleet": [
            ("dashboard", "/"),
            *(("locality", f"/indicators/{i}") for i in INDICATORS[:2]),
            ("children", "/children"),
            *(("children", f"/children/{i}") for i in CHILD_LISTS),
        ],
        "heads": [
            ("commentary", "/commentary"),
            ("commentary", f"/commentary/indicator/{first}"),
            ("indicator", f"/indicators/{first}"),
            ("dashboard", "/"),
        ],
        "performance": [
            ("summary", "/summary"),
            ("commentary", "/commentary"),
            ("builds", "/builds"),
            ("indicator", f"/indicators/{INDICATORS[2]}"),
        ],
    }


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def cscperf(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "cscperf", *args], check=True, stdout=subprocess.DEVNULL)


def demo_store(scale: float) -> Path:
    """The demo's first three steps (scripts/demo.sh) into the benchmark cache, once."""
    folder = CACHE if scale == 1.0 else CACHE.with_name(f"web-demo-{scale}")
    store = folder / "store"
    if (store / "current").is_file():
        return store
    shutil.rmtree(folder, ignore_errors=True)
    council = folder / "eastshire"
    print(f"web: making the demo council (scale {scale}) in {folder}", flush=True)
    cscperf("synth", "--out", str(council), "--scale", str(scale), "--force")
    cscperf(
        "ingest",
        "--store",
        str(store),
        "--extract-date",
        time.strftime("%Y-%m-%d"),
        *(str(council / p) for p in ("ssd", "population", "council.yaml")),
    )
    shutil.copy(council / "targets.yaml", store / "targets.yaml")
    cscperf(
        "import-measures", "--store", str(store), *map(str, (council / "imported").glob("*.csv"))
    )
    cscperf("indicators", "--store", str(store), "--months", "13")
    return store


@contextmanager
def identity_provider() -> Iterator[str]:
    """The mock OpenID Connect provider the tests use, on a local port, with one person per
    group (the subject is the group's name)."""
    with warnings.catch_warnings():
        # it imports Authlib's jose module, which warns that it is deprecated
        warnings.simplefilter("ignore")
        import oidc_provider_mock
        import werkzeug.serving

        users = [
            oidc_provider_mock.User(sub=group, claims={"name": f"Bench {group}", "groups": [group]})
            for group in GROUPS
        ]
        flask_app = oidc_provider_mock.app(require_nonce=True, user_claims=users)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
    server = werkzeug.serving.make_server("localhost", free_port(), flask_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://localhost:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)


def sign_in_file(folder: Path, issuer: str) -> Path:
    path = folder / "sign-in.yaml"
    settings = {
        "kind": "cscperf-sign-in",
        "discovery_url": f"{issuer}/.well-known/openid-configuration",
        "client_id": "cscperf-bench",
        "groups": GROUPS,
        "secure_cookies": False,  # plain http on loopback
        "allowed_hosts": ["127.0.0.1"],
    }
    path.write_text(json.dumps(settings), encoding="utf-8")  # JSON is YAML
    return path


def signed_in(base: str, group: str) -> httpx.Cookies:
    """The session cookie of the person of ``group``, signed in as a browser would: the
    dashboard's redirect to the provider, the provider's form, the callback that sets it."""
    with httpx.Client(base_url=base, timeout=60) as client:
        start = client.get("/sign-in", follow_redirects=False)
        authorise = start.headers["location"]
        back = httpx.post(authorise, data={"sub": group}, follow_redirects=False)
        answer = client.get(back.headers["location"], follow_redirects=False)
        if answer.status_code != 303:
            raise RuntimeError(f"signing in as {group} failed: {answer.status_code}")
        return client.cookies


def wait_until_up(base: str, server: subprocess.Popen[bytes], limit: float = 120.0) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError("the dashboard server stopped while starting")
        try:
            if httpx.get(base + "/health", timeout=5).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"the dashboard server did not answer within {limit:.0f} s")


def warm_up(cookies: dict[str, httpx.Cookies], base: str) -> float:
    """Ask every person's pages until each is prepared (200); the seconds that took."""
    began = time.perf_counter()
    waiting = {(group, url) for group, plan in plans().items() for _, url in plan}
    while waiting:
        if time.perf_counter() - began > WARM_UP_LIMIT:
            raise RuntimeError(f"{len(waiting)} pages were not prepared in {WARM_UP_LIMIT:.0f} s")
        for group, url in sorted(waiting):
            answer = httpx.get(base + url, cookies=cookies[group], timeout=120)
            if answer.status_code == 200:
                waiting.discard((group, url))
            elif answer.status_code != 202:
                raise RuntimeError(f"{url} as {group}: {answer.status_code}")
        time.sleep(1.0 if waiting else 0)
    # and the rest the server prepares ahead (every locality's month, the child lists)
    while httpx.get(base + "/health", timeout=30).json().get("results") != "ready":
        if time.perf_counter() - began > WARM_UP_LIMIT:
            raise RuntimeError(f"results were not prepared in {WARM_UP_LIMIT:.0f} s")
        time.sleep(1.0)
    return time.perf_counter() - began


async def _load(base: str, cookies: dict[str, httpx.Cookies]) -> dict[str, list[float]]:
    kinds = sorted({kind for plan in plans().values() for kind, _ in plan})
    timings: dict[str, list[float]] = {kind: [] for kind in kinds}
    errors: list[str] = []
    stop = time.monotonic() + SECONDS
    people = [group for group, count in PEOPLE.items() for _ in range(count)]

    async def client(n: int, group: str) -> None:
        plan = plans()[group]
        async with httpx.AsyncClient(base_url=base, timeout=30, cookies=cookies[group]) as http:
            while time.monotonic() < stop:
                kind, url = plan[n % len(plan)]
                began = time.perf_counter()
                response = await http.get(url)
                timings[kind].append((time.perf_counter() - began) * 1000)
                if response.status_code != 200:
                    errors.append(f"{url}: {response.status_code}")
                n += 1

    await asyncio.gather(*(client(i, group) for i, group in enumerate(people)))
    if errors:
        raise RuntimeError(f"{len(errors)} requests failed, e.g. {errors[0]}")
    return timings


def server_times(log: Path, mark: int) -> list[float]:
    """Time spent inside the server per request, from its JSON access log past ``mark``."""
    out = []
    with log.open("rb") as lines:
        lines.seek(mark)
        text = lines.read().decode("utf-8", errors="replace")
    for line in text.splitlines():
        try:
            out.append(float(json.loads(line)["ms"]))
        except (ValueError, KeyError, TypeError):
            continue
    return out


def cpu_seconds(pid: int | None = None) -> float:
    """CPU time (user and system) used so far by the process ``pid`` (None: this one)."""
    if pid is None:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return usage.ru_utime + usage.ru_stime
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def report(
    timings: dict[str, list[float]],
    inside: list[float],
    loads: list[str],
    cpu: tuple[float, float] | None = None,
) -> bool:
    """Print the figures and the verdict; True when both targets are met. ``cpu``: the
    seconds of CPU the server and this benchmark's clients used during the load."""
    every = [t for values in timings.values() for t in values]
    print(
        f"web: {CLIENTS} signed-in clients, {SECONDS:.0f} s, {len(every)} requests "
        f"({len(every) / SECONDS:.0f} a second); load average {' -> '.join(loads)}"
    )
    for kind, values in [*sorted(timings.items()), ("overall", every)]:
        print(
            f"web {kind:<10} {len(values):>6} requests  p50 {statistics.median(values):5.0f} ms"
            f"  p95 {percentile(values, 0.95):5.0f} ms  slowest {max(values):5.0f} ms"
        )
    if inside:
        print(
            f"web inside the server: p50 {statistics.median(inside):.1f} ms, "
            f"p95 {percentile(inside, 0.95):.1f} ms"
        )
    if cpu is not None:
        server, clients = cpu
        print(
            f"web CPU per request: server {server / len(every) * 1000:.2f} ms, the benchmark's "
            f"clients {clients / len(every) * 1000:.2f} ms; together they had "
            f"{(server + clients) / SECONDS:.2f} of the machine's {os.cpu_count()} cores"
        )
    p95, top = percentile(every, 0.95), max(every)
    met = p95 < TARGET_P95_MS and top <= TARGET_MAX_MS
    print(
        f"web verdict: {'MET' if met else 'MISSED'} (targets p95 < {TARGET_P95_MS:.0f} ms: "
        f"{p95:.0f} ms; none over {TARGET_MAX_MS:.0f} ms: slowest {top:.0f} ms)"
    )
    return met


def load_average() -> str:
    return "/".join(f"{x:.2f}" for x in os.getloadavg())


def run(store: Path) -> bool:
    with tempfile.TemporaryDirectory() as folder, identity_provider() as issuer:
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        log = Path(folder) / "access.log"
        env = {
            **os.environ,
            "PYTHONUNBUFFERED": "1",
            "CSCPERF_OIDC_CLIENT_SECRET": "bench-client-secret",
            "CSCPERF_SESSION_SECRET": "b" * 48,
        }
        command = [sys.executable, "-m", "cscperf", "serve", "--store", str(store)]
        command += ["--port", str(port), "--sign-in", str(sign_in_file(Path(folder), issuer))]
        with log.open("w", encoding="utf-8") as log_file:
            server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=log_file, env=env)
            try:
                wait_until_up(base, server)
                cookies = {group: signed_in(base, group) for group in GROUPS}
                took = warm_up(cookies, base)
                print(f"web warm-up (until every page is prepared): {took:.1f} s", flush=True)
                loads = [load_average()]
                mark = log.stat().st_size  # the warm-up's lines are left out
                used = (cpu_seconds(server.pid), cpu_seconds())
                timings = asyncio.run(_load(base, cookies))
                loads.append(load_average())
                cpu = (cpu_seconds(server.pid) - used[0], cpu_seconds() - used[1])
            finally:
                server.terminate()
                server.wait(timeout=30)
        return report(timings, server_times(log, mark), loads, cpu)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--store", type=Path, help="a store (default: the demo's)")
    parser.add_argument("--scale", type=float, help="make a demo council of this scale")
    args = parser.parse_args(argv)
    if args.store:
        store = args.store
    elif args.scale is None and (DEMO_STORE / "current").is_file():
        store = DEMO_STORE
    else:
        store = demo_store(args.scale or float(os.environ.get("DEMO_SCALE", "1.0")))
    print(f"web: store {store}", flush=True)
    return 0 if run(store) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

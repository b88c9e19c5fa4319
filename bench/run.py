"""`make bench`: seed a database, serve it with gunicorn in production mode, load every page.

    .venv/bin/python bench/run.py            # about four minutes; writes bench/results.md
    .venv/bin/python bench/run.py --quick    # under a minute; prints, leaves results.md alone
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/recovery REDIS_URL=redis://127.0.0.1:6379/0 \
        .venv/bin/python bench/run.py        # writes bench/results-postgres.md

Steps: migrate, sync_content and collectstatic on a bench database (a SQLite file in bench/out/;
with a postgres:// DATABASE_URL, a database of its own on that server, named as DATABASE_URL's
with "_bench" added and made afresh each run; with REDIS_URL, the cache and sessions live there
under the key prefix recovery_bench), seed it (bench/seed.py), start gunicorn with DEBUG off and two
workers, save the anonymous step page's exact bytes as a file that whitenoise in the same
gunicorn serves (the floor), then run locust headless in a second process against each page in
turn (bench/locustfile.py, pages in bench/pages.py). Each page's requests per second is reported
as a ratio to the floor's, so figures compare across machines; the floor is measured first and
last, and the ratio uses the mean of the two. A worker's peak memory is read from /proc.
"""

import argparse
import csv
import datetime
import json
import os
import platform
import shutil
import subprocess
import sys
import time
import urllib.parse
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import pages  # noqa: E402
from bench.servers import (  # noqa: E402
    POSTGRES_SCHEMES,
    Gunicorn,
    delete_cache_keys,
    fetch,
    fresh_postgres_database,
    manage,
    production_env,
    wait_until,
)

BENCH = ROOT / "bench"
OUT = BENCH / "out"
RESULTS = BENCH / "results.md"
RESULTS_POSTGRES = BENCH / "results-postgres.md"  # a run with a postgres:// DATABASE_URL
WORKERS = 2
MEMORY_MB = 150
NOISY = 0.15  # the two floor measurements differ by more than this: say the run was noisy
CACHE_PREFIX = "recovery_bench"  # the run's keys in a shared Redis, removed when it ends


def log(message):
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def prepare(env, sessions_file):
    """Migrate and sync, then seed while collectstatic runs beside it."""
    manage(env, "migrate", "--no-input", "--verbosity", "0")
    manage(env, "sync_content", capture=True)
    static = subprocess.Popen(
        [sys.executable, str(ROOT / "manage.py"), "collectstatic", "--no-input", "--verbosity", "0"],
        env=env,
        cwd=ROOT,
    )
    subprocess.run([sys.executable, str(BENCH / "seed.py"), "--out", str(sessions_file)], env=env, check=True)
    if static.wait():
        raise SystemExit("bench: collectstatic failed")


def headers_for(sessions, page):
    account = {"user": sessions["users"][0], "heavy": sessions["heavy"]}.get(page.who)
    if not account:
        return {}
    return {
        "Cookie": f"{sessions['session_cookie']}={account['sessionid']}; "
        f"{sessions['csrf_cookie']}={account['csrftoken']}",
        "X-CSRFToken": account["csrftoken"],
    }


def warm_up(server, sessions, page, requests):
    """Load a page from two threads (so both workers warm up) and check what it answers."""
    headers = headers_for(sessions, page)

    def one(count):
        data = None
        if page.method == "POST":
            # A draft each: two first saves of one draft at once are a race of their own
            # (tests/test_no_data_loss.py), not what this page measures.
            data = urllib.parse.urlencode(pages.autosave_form(str(uuid.uuid4()), count)).encode()
        status, _, body = fetch(
            server.url + page.path, {**headers, "HX-Request": "true"} if data else headers, data
        )
        if status != 200:
            raise SystemExit(f"bench: {page.name} {page.path} answered {status}, not 200")
        if page.method == "GET" and page.name != "floor" and bool(headers) != (b"Log out" in body):
            raise SystemExit(
                f"bench: {page.name} {page.path} is not {'signed in' if headers else 'anonymous'}"
            )

    with ThreadPoolExecutor(2) as pool:
        list(pool.map(one, range(requests)))


def load(server, page, seconds, users, sessions_file):
    """Run locust headless against one page; its figures from locust's CSV."""
    prefix = OUT / f"locust-{page.name}"
    env = dict(os.environ, BENCH_PAGE=page.name, BENCH_SESSIONS=str(sessions_file))
    command = [
        sys.executable, "-m", "locust",
        "-f", str(BENCH / "locustfile.py"),
        "--headless", "--only-summary",
        "--users", str(users), "--spawn-rate", str(users),
        "--run-time", f"{seconds}s", "--stop-timeout", "5",
        "--host", server.url,
        "--csv", str(prefix),
        "--loglevel", "ERROR",
        "--exit-code-on-error", "0",
    ]  # fmt: skip
    with open(OUT / f"locust-{page.name}.log", "w") as log_file:
        subprocess.run(command, env=env, cwd=ROOT, check=True, stdout=log_file, stderr=subprocess.STDOUT)
    with open(f"{prefix}_stats.csv", newline="") as f:
        row = next((r for r in csv.DictReader(f) if r["Name"] == page.name), None)
    with open(f"{prefix}_failures.csv", newline="") as f:
        failures = [f"{r['Occurrences']}× {r['Error']}" for r in csv.DictReader(f) if r["Name"] == page.name]
    if row is None:
        nothing = float("nan")
        failures.append(f"no request finished within {seconds} s")
        return {
            "requests": 0,
            "errors": 1,
            "rps": 0.0,
            "p50": nothing,
            "p95": nothing,
            "p99": nothing,
            "failures": failures,
            "users": users,
        }
    return {
        "requests": int(row["Request Count"]),
        "errors": int(row["Failure Count"]),
        "rps": float(row["Requests/s"]),
        "p50": float(row["50%"]),
        "p95": float(row["95%"]),
        "p99": float(row["99%"]),
        "failures": failures,
        "users": users,
    }


def machine():
    model = platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        load_average = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        load_average = "?"
    return f"{os.cpu_count()} CPU ({model}), Python {platform.python_version()}, load average {load_average}"


def verdict(ok):
    return "met" if ok else "**missed**"


def report(results, table, floors, options, setting, memory, floor_bytes):
    floor = sum(r["rps"] for r in floors) / len(floors)
    floor_cpu = sum(r["cpu_ms"] for r in floors) / len(floors)
    spread = (max(r["rps"] for r in floors) - min(r["rps"] for r in floors)) / floor if floor else 0
    noisy = (
        f" The two differ by {spread:.0%}: other programs were busy on this machine, so every figure "
        "here moved with them; compare ratios from one run, not across runs."
        if spread > NOISY
        else ""
    )
    lines = [
        "# Benchmark results",
        "",
        f"`make bench{' QUICK=1' if options.quick else ''}`, {datetime.datetime.now():%Y-%m-%d %H:%M}. "
        f"{machine()}.",
        "",
        f"gunicorn with {WORKERS} sync workers, DEBUG off, {setting}. locust headless in a second process "
        f"on the same machine over loopback, {options.users} users a page unless the table says otherwise, "
        f"{options.seconds} s a page after a short warm-up; connections are not kept alive.",
        "",
        f"The floor is the anonymous step page's exact bytes ({floor_bytes:,}) saved as a file and served "
        f"by whitenoise in the same gunicorn, measured first and last: "
        f"{' and '.join(str(round(r['rps'])) for r in floors)} req/s. *Ratio to floor* = the page's req/s "
        f"/ {floor:.0f}, their mean. *Worker CPU* is the CPU time the gunicorn workers used during the "
        f"page's run divided by its requests (the floor's: {floor_cpu:.2f} ms).{noisy}",
        "",
        "| page | path | users | req/s | p50 ms | p95 ms | p99 ms | errors | worker CPU ms/req "
        "| ratio to floor | target | |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |",
    ]
    missed = []
    for name, r in results.items():
        page = table[name]
        ratio = r["rps"] / floor if floor else 0
        goal, status = "", ""
        if name == "floor":
            ratio = 1.0
        elif page.p50_ms:
            goal, status = f"p50 ≤ {page.p50_ms} ms", verdict(r["p50"] <= page.p50_ms)  # False for nan
        elif page.target:
            goal, status = f"≥ {page.target:.2f}", verdict(ratio >= page.target)
        if status not in ("", "met"):
            missed.append(page.label)
        lines.append(
            f"| {page.label} | `{page.method} {page.path}` | {r['users']} | {r['rps']:.0f} | {r['p50']:.0f} "
            f"| {r['p95']:.0f} | {r['p99']:.0f} | {r['errors']} | {r['cpu_ms']:.2f} | {ratio:.2f} "
            f"| {goal} | {status} |"
        )
    errors = sum(r["errors"] for r in results.values())
    lines += [
        "",
        f"- Errors, all pages: {errors} (target 0): {verdict(errors == 0)}.",
        f"- Worker peak memory (VmHWM, the larger of the {WORKERS} workers, whole run): {memory:.0f} MB "
        f"(target ≤ {MEMORY_MB} MB): {verdict(memory <= MEMORY_MB)}.",
    ]
    for name, r in results.items():
        for failure in r["failures"][:3]:
            lines.append(f"- {name}: {failure}")
    if errors:
        missed.append("errors")
    if memory > MEMORY_MB:
        missed.append("worker memory")
    return "\n".join(lines) + "\n", missed


def main():
    parser = argparse.ArgumentParser(description="Benchmark the site (see the docstring of bench/run.py).")
    parser.add_argument(
        "--quick", action="store_true", help="a few seconds a page, fewer pages: under a minute"
    )
    parser.add_argument("--seconds", type=int, help="seconds of load a page (15; 2 with --quick)")
    parser.add_argument("--users", type=int, default=8, help="concurrent locust users a page (8)")
    parser.add_argument(
        "--pages", help="comma-separated page names from bench/pages.py (the floor always runs)"
    )
    parser.add_argument(
        "--write", action="store_true", help="write bench/results.md even with --quick or --pages"
    )
    options = parser.parse_args()
    options.seconds = options.seconds or (2 if options.quick else 15)
    started = time.monotonic()

    if OUT.exists():
        shutil.rmtree(OUT)
    floor_dir = OUT / "floor"
    floor_dir.mkdir(parents=True)
    database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{OUT / 'bench.sqlite3'}"
    postgres = urllib.parse.urlsplit(database_url).scheme in POSTGRES_SCHEMES
    if postgres:
        # A database of the bench's own beside DATABASE_URL's, made afresh, so a run never adds
        # 10,000 entries to anyone's working data.
        database_url = fresh_postgres_database(database_url, "_bench")
    redis_url = os.environ.get("REDIS_URL", "")
    setting = ("PostgreSQL" if postgres else "SQLite (WAL)") + (
        ", Redis cache and sessions" if redis_url else ", local-memory cache, database sessions"
    )
    env = production_env(database_url, static_root=OUT / "static", floor_dir=floor_dir, redis_url=redis_url)
    if redis_url:
        env["BENCH_CACHE_PREFIX"] = CACHE_PREFIX
        delete_cache_keys(redis_url, CACHE_PREFIX)
    # Throwaway keys for throwaway data, kept so bench/profile.py can read the same database.
    kept = (
        "DATABASE_URL",
        "REDIS_URL",
        "BENCH_CACHE_PREFIX",
        "SECRET_KEY",
        "JOURNAL_KEYS",
        "BENCH_STATIC_ROOT",
    )
    (OUT / "env.json").write_text(json.dumps({k: env[k] for k in kept if k in env}, indent=1))

    log(f"migrate, sync_content, seed and collectstatic: {setting}")
    sessions_file = OUT / "sessions.json"
    prepare(env, sessions_file)
    sessions, table = pages.load(sessions_file)
    floor_page = table["floor"]

    with open(OUT / "gunicorn.log", "w") as server_log:
        server = Gunicorn(env, workers=WORKERS, log=server_log)
        log(f"gunicorn on {server.url}")
        server.start()
        try:
            status, _, body = fetch(server.url + table["step-anon"].path)
            if status != 200:
                raise SystemExit(f"bench: the anonymous step page answered {status}")
            (floor_dir / floor_page.path.lstrip("/")).write_bytes(body)
            # New workers, so whitenoise (which lists its files when it starts) serves the floor.
            server.reload()
            server.peaks.clear()
            wait_until(lambda: fetch(server.url + floor_page.path)[2] == body, 30, "the floor file")

            if options.pages:
                names = [n for n in options.pages.split(",") if n != "floor"]
                unknown = [n for n in names if n not in table]
                if unknown:
                    raise SystemExit(f"bench: no page {', '.join(unknown)}; pages: {', '.join(table)}")
            else:
                names = [n for n, p in table.items() if n != "floor" and (p.quick or not options.quick)]
            results, floors = {}, []
            for name in ["floor", *names, "floor"]:
                page = table[name]
                warm_up(server, sessions, page, 4 if options.quick else 20)
                cpu = server.cpu_seconds()
                r = load(server, page, options.seconds, page.users or options.users, sessions_file)
                r["cpu_ms"] = 1000 * (server.cpu_seconds() - cpu) / max(r["requests"], 1)
                if name == "floor":
                    floors.append(r)
                    results.setdefault("floor", r)
                else:
                    results[name] = r
                log(
                    f"{name:20} {r['rps']:6.0f} req/s  p50 {r['p50']:4.0f} ms  p95 {r['p95']:4.0f} ms  "
                    f"errors {r['errors']}  worker peak so far {server.peak_mb():.0f} MB"
                )
            memory = server.peak_mb()
        finally:
            server.stop()
            if redis_url:
                delete_cache_keys(redis_url, CACHE_PREFIX)

    text, missed = report(results, table, floors, options, setting, memory, len(body))
    print()
    print(text)
    if options.write or not (options.quick or options.pages):
        results_file = RESULTS_POSTGRES if postgres else RESULTS
        results_file.write_text(text)
        log(f"wrote {results_file.relative_to(ROOT)}")
    log(
        f"done in {time.monotonic() - started:.0f} s; "
        + (f"missed: {'; '.join(missed)}" if missed else "all targets met")
    )


if __name__ == "__main__":
    main()

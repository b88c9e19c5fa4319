"""`make bench`: seed a database, serve it with gunicorn in production mode, and measure each page
the way a person meets it, right after the write that changed it.

    .venv/bin/python bench/run.py            # a few minutes; writes bench/results.md
    .venv/bin/python bench/run.py --quick    # about a minute; prints, leaves results.md alone
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/recovery REDIS_URL=redis://127.0.0.1:6379/5 \
        .venv/bin/python bench/run.py        # writes bench/results-postgres.md

Steps: migrate, sync_content and collectstatic on a bench database (a SQLite file in bench/out/;
with a postgres:// DATABASE_URL, a database of its own on that server, named as DATABASE_URL's
with "_bench" added and made afresh each run; with REDIS_URL, the cache and sessions live there
under the key prefix recovery_bench), seed it (bench/seed.py), start gunicorn with DEBUG off and
one sync worker, save the anonymous step page's exact bytes as a file that whitenoise in the same
gunicorn serves (the floor), then run each journey of bench/pages.py in turn from this process
(bench/journey.py): the write, then the measured request, one at a time. The headline is the
worker's CPU time per measured request as a ratio to the floor's (measured first and last, the
mean of the two), so figures compare across machines and hold up on a busy one. wrk then loads
each GET page for a requests-per-second view, and the heavy user's export is timed. The worker's
peak memory is read from /proc.
"""

import argparse
import datetime
import json
import os
import platform
import shutil
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import journey, pages  # noqa: E402
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
OUT = Path(os.environ.get("BENCH_OUT") or BENCH / "out")  # a second run beside the first
MEMORY_MB = 150
NOISY = 0.25  # the two floor measurements differ by more than this: say the run was noisy
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


def wrk(url, sessions, page, entry, seconds):
    """Requests per second of a GET page under wrk (one thread, two connections: the worker
    always has the next request waiting), the same read again and again, no write between."""
    command = ["wrk", "-t1", "-c2", f"-d{seconds}s", "--timeout", "30s"]
    account = sessions["users"][0] if page.who == "user" else sessions.get(page.who) if page.who else None
    if account:
        command += ["-H", f"Cookie: {sessions['session_cookie']}={account['sessionid']}; "
                    f"{sessions['csrf_cookie']}={account['csrftoken']}"]  # fmt: skip
    output = subprocess.run(
        [*command, url + page.path.replace("{entry}", entry or "")],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rps, errors = 0.0, 0
    for line in output.splitlines():
        line = line.strip()
        if line.startswith("Requests/sec:"):
            rps = float(line.split()[1])
        elif line.startswith("Non-2xx or 3xx responses:") or line.startswith("Socket errors:"):
            errors += sum(int(n) for n in line.replace(",", " ").split() if n.isdigit())
    return {"rps": rps, "errors": errors}


def export(url, sessions, worker, worker_peak_mb):
    """The heavy user's whole journal as a zip: seconds, the worker's CPU seconds, bytes and the
    worker's peak memory."""
    client = journey.Client(url, sessions["heavy"], sessions)
    cpu = worker.cpu()[0]
    started = time.perf_counter()
    status, headers, body = client.request("GET", "/journal/export/")
    took = time.perf_counter() - started
    cpu = worker.cpu()[0] - cpu
    client.close()
    # A failure is reported, not fatal: gunicorn ends a worker busy for more than 30 s (a 500).
    failed = None if status == 200 and body.startswith(b"PK") else f"answered {status} after {took:.0f} s"
    return {"seconds": took, "cpu": cpu, "bytes": len(body), "peak_mb": worker_peak_mb(), "failed": failed}


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


def commit():
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "?"


def report(run, table, options, baseline):
    floors = run["floors"]
    floor_cpu = sum(f["cpu_ms"] for f in floors) / len(floors)
    floor_rps = run["rps"].get("floor", {}).get("rps", 0)
    spread = (max(f["cpu_ms"] for f in floors) - min(f["cpu_ms"] for f in floors)) / floor_cpu
    noisy = (
        f" The two differ by {spread:.0%}: other programs were busy on this machine and slowed its "
        "caches and CPUs; compare ratios from one run, not across runs."
        if spread > NOISY
        else ""
    )
    before = (
        f" *Before*: the ratio in the run recorded in `bench/{baseline['file']}` "
        f"(commit {baseline['commit']}, {baseline['date']})."
        if baseline
        else ""
    )
    lines = [
        "# Benchmark results",
        "",
        f"`make bench{' QUICK=1' if options.quick else ''}` on commit {run['commit']}, {run['date']}. {machine()}.",
        "",
        f"{run['setting']}; gunicorn with one sync worker, DEBUG off. Journey mode: one client sends one "
        "request at a time; each signed-in page is read right after the write that changes it "
        "(*write before*), as a person meets it. *Worker CPU* is the worker's own CPU time for the "
        "measured request alone (user + system, read from `/proc` before and after it, once the "
        "worker is idle again), the mean over the requests. *Ratio* = the floor's CPU per request "
        "(measured on its own, first and last, the mean of the two) / the page's: 1.0 would be as cheap "
        "as a static file. *Floor after it*: the floor requested once more after each measured request; "
        "it costs more there than on its own (the page's garbage and cold caches are left to it), so it "
        "is shown to tell the machine's drift from the page's, not used for the ratio.",
        "",
        f"The floor is the anonymous step page's exact bytes ({run['floor_bytes']:,}) saved as a file and served "
        f"by whitenoise in the same gunicorn, measured first and last: "
        f"{' and '.join(format(f['cpu_ms'], '.2f') for f in floors)} ms of worker CPU a request.{noisy}{before}",
        "",
        "| page | request | write before | requests | worker CPU ms | floor after it, ms | ratio | before | target | |",
        "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | --- | --- |",
    ]
    missed = []
    for name, r in run["pages"].items():
        page = table[name]
        ratio = floor_cpu / r["cpu_ms"] if r["cpu_ms"] else 0
        old = baseline["ratios"].get(name) if baseline else None
        goal, status = "", ""
        if name == "floor":
            ratio = 1.0
        elif page.target:
            goal, status = f"≥ {page.target:.2f}", verdict(ratio >= page.target)
        if status not in ("", "met"):
            missed.append(page.label)
        lines.append(
            f"| {page.label} | `{page.method} {page.path}` | {page.write or ''} | {r['requests']} "
            f"| {r['cpu_ms']:.2f} | {r['floor_cpu_ms']:.2f} | {ratio:.3f} | {'' if old is None else f'{old:.3f}'} "
            f"| {goal} | {status} |"
        )
    light, heavy = (
        run["pages"].get("progress"),
        [run["pages"].get(n) for n in ("progress-heavy", "progress-recent")],
    )
    if light and all(heavy):
        worst = max(h["cpu_ms"] for h in heavy) / light["cpu_ms"]
        lines += ["", f"- `/progress/` of the heavier user against the light one: {worst:.2f}× (target ≤ 1.5×): "
                      f"{verdict(worst <= 1.5)}."]  # fmt: skip
        if worst > 1.5:
            missed.append("/progress/ heavy within 1.5× of light")
    ticks = sum(r["tick_cpu_ms"] * r["requests"] for r in run["pages"].values())
    exact = sum(r["cpu_ms"] * r["requests"] for r in run["pages"].values())
    lines.append(
        f"- Cross-check: the same requests by `/proc/PID/stat` utime + stime (10 ms ticks): {ticks / 1000:.2f} s "
        f"of CPU against {exact / 1000:.2f} s by the nanosecond count."
    )
    if run.get("export"):
        e = run["export"]
        lines.append(
            f"- Export of the heavy user's {e['entries']:,} entries: {e['seconds']:.1f} s ({e['cpu']:.1f} s of worker "
            f"CPU), {e['bytes'] / 2**20:.1f} MB zip (target ≤ 10 s): {verdict(e['seconds'] <= 10)}; worker peak memory after it "
            f"{e['peak_mb']:.0f} MB (target ≤ {MEMORY_MB} MB): {verdict(e['peak_mb'] <= MEMORY_MB)}."
        )
        if e["failed"]:
            lines.append(f"- The export failed: it {e['failed']}.")
        if e["failed"] or e["seconds"] > 10 or e["peak_mb"] > MEMORY_MB:
            missed.append("export")
    lines.append(
        f"- Worker peak memory (VmHWM, whole run): {run['memory']:.0f} MB (target ≤ {MEMORY_MB} MB): "
        f"{verdict(run['memory'] <= MEMORY_MB)}."
    )
    if run["memory"] > MEMORY_MB:
        missed.append("worker memory")
    if run["rps"]:
        lines += [
            "",
            "## Requests per second (a second view)",
            "",
            f"wrk, one thread and two connections, {options.wrk_seconds} s a page, against the same one worker: the "
            "same GET again and again, with no write between (nothing private is kept, so each is rendered "
            "afresh). Wall-clock throughput, so it moves with whatever else the machine runs.",
            "",
            "| page | req/s | ratio to floor | errors |",
            "| --- | ---: | ---: | ---: |",
        ]
        for name, r in run["rps"].items():
            ratio = r["rps"] / floor_rps if floor_rps else 0
            lines.append(f"| {table[name].label} | {r['rps']:.0f} | {ratio:.3f} | {r['errors']} |")
    return "\n".join(lines) + "\n", missed


def main():
    parser = argparse.ArgumentParser(description="Benchmark the site (see the docstring of bench/run.py).")
    parser.add_argument("--quick", action="store_true", help="fewer requests and pages: about a minute")
    parser.add_argument("--reads", type=int, help="measured requests a page (150; 20 with --quick)")
    parser.add_argument("--seconds", type=float, help="at most this long a page, once 10 are done (20; 4)")
    parser.add_argument("--wrk-seconds", type=int, help="seconds of wrk a page (5; 0 with --quick: none)")
    parser.add_argument(
        "--pages", help="comma-separated page names from bench/pages.py (the floor always runs)"
    )
    parser.add_argument(
        "--write", action="store_true", help="write the results file even with --quick or --pages"
    )
    parser.add_argument(
        "--baseline", action="store_true", help="keep this run's ratios as the *before* column of later runs"
    )
    options = parser.parse_args()
    options.reads = options.reads or (20 if options.quick else 150)
    options.seconds = options.seconds or (4 if options.quick else 20)
    if options.wrk_seconds is None:
        options.wrk_seconds = 0 if options.quick else 5
    started = time.monotonic()

    if OUT.exists():
        shutil.rmtree(OUT)
    floor_dir = OUT / "floor"
    floor_dir.mkdir(parents=True)
    database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{OUT / 'bench.sqlite3'}"
    postgres = urllib.parse.urlsplit(database_url).scheme in POSTGRES_SCHEMES
    if postgres:
        # A database of the bench's own beside DATABASE_URL's, made afresh, so a run never adds
        # 12,000 entries to anyone's working data.
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
    if options.pages:
        names = [n for n in options.pages.split(",") if n != "floor"]
        unknown = [n for n in names if n not in table]
        if unknown:
            raise SystemExit(f"bench: no page {', '.join(unknown)}; pages: {', '.join(table)}")
    else:
        names = [n for n, p in table.items() if n != "floor" and (p.quick or not options.quick)]

    run = {"setting": setting, "commit": commit(), "date": f"{datetime.datetime.now():%Y-%m-%d %H:%M}"}
    with open(OUT / "gunicorn.log", "w") as server_log:
        server = Gunicorn(env, workers=1, log=server_log)
        log(f"gunicorn on {server.url}")
        server.start()
        try:
            status, _, body = fetch(server.url + table["step-anon"].path)
            if status != 200:
                raise SystemExit(f"bench: the anonymous step page answered {status}")
            (floor_dir / table["floor"].path.lstrip("/")).write_bytes(body)
            # A new worker, so whitenoise (which lists its files when it starts) serves the floor.
            server.reload()
            server.peaks.clear()
            wait_until(lambda: fetch(server.url + table["floor"].path)[2] == body, 30, "the floor file")
            run["floor_bytes"] = len(body)
            (pid,) = server.workers()
            worker = journey.Worker(pid)
            run["pages"], run["floors"], entry = {}, [], None
            for name in ["floor", *names, "floor"]:
                r = journey.run_page(
                    server.url,
                    sessions,
                    table[name],
                    worker,
                    reads=options.reads,
                    seconds=options.seconds,
                    floor=table["floor"],
                )
                entry = r["entry"] or entry
                if name == "floor":
                    run["floors"].append(r)
                    run["pages"].setdefault("floor", r)
                else:
                    run["pages"][name] = r
                log(
                    f"{name:16} {r['cpu_ms']:8.2f} ms worker CPU, floor {r['floor_cpu_ms']:.2f} "
                    f"({r['requests']} requests, ticks "
                    f"{r['tick_cpu_ms']:.2f})  wall p50 {r['wall_ms']:7.1f} ms  peak {server.peak_mb():.0f} MB"
                )
            run["rps"] = {}
            if options.wrk_seconds:
                for name in ["floor", *names]:
                    if table[name].wrk:
                        run["rps"][name] = r = wrk(
                            server.url, sessions, table[name], entry, options.wrk_seconds
                        )
                        log(f"{name:16} {r['rps']:8.0f} req/s under wrk, errors {r['errors']}")
            if not options.pages or "export" in options.pages:
                run["export"] = export(server.url, sessions, worker, server.peak_mb)
                run["export"]["entries"] = sessions["heavy_entries"]
                e = run["export"]
                log(f"export {e['seconds']:.1f} s, {e['cpu']:.1f} s CPU, worker peak {e['peak_mb']:.0f} MB")
            run["memory"] = server.peak_mb()
        finally:
            server.stop()
            if redis_url:
                delete_cache_keys(redis_url, CACHE_PREFIX)

    suffix = "-postgres" if postgres else ""
    baseline_file = BENCH / f"baseline{suffix}.json"
    floor_cpu = sum(f["cpu_ms"] for f in run["floors"]) / len(run["floors"])
    ratios = {n: floor_cpu / r["cpu_ms"] for n, r in run["pages"].items() if n != "floor"}
    (OUT / "run.json").write_text(json.dumps(run, indent=1))
    if options.baseline:
        baseline_file.write_text(
            json.dumps({"commit": run["commit"], "date": run["date"], "ratios": ratios}, indent=1) + "\n"
        )
        log(f"wrote {baseline_file.relative_to(ROOT)}")
    baseline = None
    if baseline_file.exists() and not options.baseline:
        baseline = {**json.loads(baseline_file.read_text()), "file": baseline_file.name}
    text, missed = report(run, table, options, baseline)
    print()
    print(text)
    if options.write or not (options.quick or options.pages):
        results_file = BENCH / f"results{suffix}.md"
        results_file.write_text(text)
        log(f"wrote {results_file.relative_to(ROOT)}")
    log(
        f"done in {time.monotonic() - started:.0f} s; "
        + (f"missed: {'; '.join(missed)}" if missed else "all targets met")
    )


if __name__ == "__main__":
    main()

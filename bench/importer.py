"""Time and peak memory of one journal import of N entries, through the real upload form and,
past what one request adds, the real job runner.

    .venv/bin/python bench/importer.py                 # 10,000 entries, SQLite in bench/out/
    .venv/bin/python bench/importer.py -n 20000 --profile --no-limits
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test .venv/bin/python bench/importer.py

The zip is built by a first process and posted by a second, so the second's peak resident
memory (ru_maxrss) is Django plus the request alone. A file too large for one request is queued:
the second process then starts `manage.py qcluster` (one worker) and waits for the job, reading
each of the cluster's processes' peak memory (VmHWM) and CPU time from /proc. On PostgreSQL the database is the URL's name
with `_import_bench` added, dropped and made again.
"""

import argparse
import json
import os
import subprocess
import sys
import time
import uuid
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
WORDS = [
    "river",
    "walk",
    "quiet",
    "morning",
    "letter",
    "sister",
    "anger",
    "calm",
    "tired",
    "hopeful",
    "sleep",
    "work",
    "friend",
    "rain",
]


def build(count, path):
    """An export-like zip: entries.json and one Markdown file per entry, like Export writes."""
    now = datetime.now(UTC)
    records = []
    for i in range(count):
        words = " ".join(WORDS[(i + j) % len(WORDS)] for j in range(60))
        records.append(
            {
                "code": str(uuid.uuid4()),
                "kind": "entry",
                "title": f"Day {i}",
                "body": f"{words}.\n\n*{words[:80]}* and day {i}.\n\n- one\n- two\n",
                "mood": i % 5 + 1,
                "step": "reflect" if i % 2 else None,
                "prompt": "needs-unmet" if i % 4 == 1 else None,
                "created_at": (now - timedelta(hours=i)).isoformat(),
                "deleted_at": None,
                "version": 1,
            }
        )
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for record in records:
            archive.writestr(f"entries/{record['code']}.md", f"---\ntitle: x\n---\n\n{record['body']}\n")
        document = {"format": "mending-journal", "version": 1, "entries": records}
        archive.writestr("entries.json", json.dumps(document, ensure_ascii=False, indent=2))


def run(path, profile, trace, no_limits):
    import resource
    import tracemalloc

    import django

    django.setup()
    from django.conf import settings

    # Pages link to static files; the manifest of collectstatic is not needed to time an import.
    settings.STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.core.management import call_command
    from django.test import Client

    if no_limits:  # to time more than one import may hold
        from journal import imports

        imports.MAX_ENTRIES = imports.MAX_TEXT = 10**9
    call_command("migrate", verbosity=0)
    call_command("sync_content", verbosity=0)
    from recovery.models import User

    user = User.objects.create_user(username=f"bench-{uuid.uuid4()}", password="x")
    client = Client()
    client.force_login(user)
    content = path.read_bytes()
    client.get("/journal/import/")
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if trace:
        tracemalloc.start()
    started, cpu = time.perf_counter(), time.process_time()
    upload = SimpleUploadedFile("journal.zip", content, "application/zip")
    if profile:
        import cProfile
        import pstats

        profiler = cProfile.Profile()
        response = profiler.runcall(client.post, "/journal/import/", {"archive": upload})
    else:
        response = client.post("/journal/import/", {"archive": upload})
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    peak_traced = tracemalloc.get_traced_memory()[1] / 1024 / 1024 if trace else 0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"zip {len(content) / 1024 / 1024:.1f} MB, status {response.status_code}")
    print(
        f"request: time {elapsed:.2f} s (CPU {cpu:.2f} s); peak RSS {peak:.0f} MB (before it {before:.0f} MB)",
        end="",
    )
    print(f"; tracemalloc peak {peak_traced:.0f} MB" if trace else "")
    if response.status_code == 302:
        run_worker(response.url.split("/")[-2])
    elif response.status_code != 200:
        print(response.content.decode()[-1500:])
    print(f"{user.journal_entries.count()} entries added")
    if profile:
        stats = pstats.Stats(profiler)
        stats.sort_stats("cumulative").print_stats(
            r"journal|recovery|bulk_create|execute_sql|fernet|hmac", 40
        )
        stats.sort_stats("tottime").print_stats(20)


def _descendants(pid):
    children = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        for child in children.get(current, []):
            found.append(child)
            todo.append(child)
    return found


def _reading(pid):
    """(peak RSS in MB, CPU seconds) of a process, from /proc."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    peaks = [int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM")]
    if not peaks:  # a worker that has just exited (django-q2 replaces it)
        return None
    return peaks[0] / 1024, (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_worker(code):
    """Start the job runner, wait for the import job, and say what its busiest process used."""
    from journal.models import ImportJob

    started = time.perf_counter()
    cluster = subprocess.Popen(
        [sys.executable, str(ROOT / "manage.py"), "qcluster"],
        env=dict(os.environ, Q_WORKERS="1"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    readings = {}
    try:
        while True:
            for pid in _descendants(cluster.pid):
                if (reading := _reading(pid)) is not None:
                    readings[pid] = reading
            job = ImportJob.objects.get(code=code)
            if job.finished or time.perf_counter() - started > 900:
                break
            time.sleep(0.5)
    finally:
        cluster.terminate()
        try:
            cluster.wait(10)
        except subprocess.TimeoutExpired:
            cluster.kill()
    # The cluster's own processes (sentinel, pusher, monitor) do little; its workers do the runs,
    # a fresh one after a worker grown past max_rss.
    workers = [reading for reading in readings.values() if reading[1] > 0.5]
    print(
        f"job {job.state}: {job.added} added, {job.read} of {job.total} read, "
        f"{time.perf_counter() - started:.1f} s from starting the job runner; "
        f"{len(workers)} worker(s) did the work: CPU {sum(r[1] for r in workers):.1f} s in all, "
        f"largest peak RSS {max(r[0] for r in readings.values()):.0f} MB "
        f"(each: {', '.join(f'{r[0]:.0f} MB' for r in workers)})"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=10_000, help="entries in the import")
    parser.add_argument("--profile", action="store_true", help="cProfile the request instead")
    parser.add_argument("--tracemalloc", action="store_true", help="trace Python's allocations (slower)")
    parser.add_argument("--no-limits", action="store_true", help="lift MAX_ENTRIES and MAX_TEXT")
    parser.add_argument("--import-zip", type=Path, help=argparse.SUPPRESS)  # the second process
    args = parser.parse_args()
    # bench/profile.py would shadow the standard library's profile, which cProfile imports.
    sys.path[0] = str(ROOT)
    if args.import_zip:
        return run(args.import_zip, args.profile, args.tracemalloc, args.no_limits)
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"import-{args.n}.zip"
    build(args.n, path)
    env = dict(
        os.environ,
        DJANGO_SETTINGS_MODULE="recovery.settings",
        DEBUG="false",
        HTTPS="false",
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
    )
    env.update(ALLOWED_HOSTS="testserver", LOG_LEVEL="WARNING", SECRET_KEY=uuid.uuid4().hex * 2)
    from cryptography.fernet import Fernet

    env["JOURNAL_KEYS"] = Fernet.generate_key().decode()
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith("postgres"):
        base, name = url.rsplit("/", 1)
        env["DATABASE_URL"] = f"{base}/{name}_import_bench"
        for sql in (f"DROP DATABASE IF EXISTS {name}_import_bench", f"CREATE DATABASE {name}_import_bench"):
            subprocess.run(["psql", url, "-qc", sql], check=True)
    else:
        db = OUT / "import-bench.sqlite3"
        for leftover in OUT.glob("import-bench.sqlite3*"):
            leftover.unlink()
        env["DATABASE_URL"] = f"sqlite:///{db}"
    command = [sys.executable, __file__, "-n", str(args.n), "--import-zip", str(path)]
    command += ["--profile"] if args.profile else []
    command += ["--tracemalloc"] if args.tracemalloc else []
    command += ["--no-limits"] if args.no_limits else []
    subprocess.run(command, env=env, check=True)


if __name__ == "__main__":
    main()

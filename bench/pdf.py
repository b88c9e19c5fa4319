"""CPU time and peak memory of one therapist PDF of N entries, through the real form's view.

    .venv/bin/python bench/pdf.py              # 1,000 entries, SQLite in bench/out/
    .venv/bin/python bench/pdf.py -n 200 --profile
    make bench-pdf

A first process seeds a fresh database with N entries of typical lengths (40 to 400 words,
some with a step and prompt, most with a mood, a few check-ins) through the model, so bodies are
rendered and encrypted as in use. A second process signs in and posts the export form once: its
CPU time (user + system) and peak resident memory (ru_maxrss) are the PDF's, Django included.
Targets: under 20 s of CPU and under 200 MB.
"""

import argparse
import os
import resource
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
CPU_TARGET, MEMORY_TARGET = 20.0, 200
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
    "kitchen",
    "message",
    "evening",
    "laughed",
    "cried",
    "window",
    "music",
    "slowly",
    "breathe",
    "garden",
    "train",
    "weekend",
]
START, END = "2024-01-01", "2026-12-31"


def body_of(i):
    """Typical lengths: mostly a paragraph or three, now and then a long one."""
    count = (40, 90, 150, 220, 400)[i % 5] if i % 7 else 60
    words = [WORDS[(i * 7 + j * 3) % len(WORDS)] for j in range(count)]
    paragraphs = [" ".join(words[k : k + 70]).capitalize() + "." for k in range(0, count, 70)]
    if i % 6 == 0:
        paragraphs.append("- one small thing\n- another *small* thing")
    return "\n\n".join(paragraphs)


def seed(count):
    import django

    django.setup()
    from django.core.management import call_command
    from django.utils import timezone

    from journal.models import Entry
    from recovery.content import library
    from recovery.models import Step, User

    call_command("migrate", verbosity=0)
    call_command("sync_content", verbosity=0)
    user = User.objects.create_user(username="pdf-bench", password="x")
    steps = {s.slug: s for s in Step.objects.all()}
    linked = [(steps[doc.slug], p.id) for doc in library().path for p in doc.prompts if doc.slug in steps]
    end = timezone.now().replace(year=2026, month=12, day=30)
    rows = []
    for i in range(count):
        step, prompt = linked[i % len(linked)] if i % 3 == 0 else (None, "")
        entry = Entry(
            owner=user,
            kind=Entry.Kind.CHECKIN if i % 10 == 9 else Entry.Kind.ENTRY,
            title=f"Day {i}" if i % 4 else "",
            body=body_of(i),
            mood=None if i % 8 == 0 else i % 5 + 1,
            step=step,
            prompt=prompt,
            created_at=end - timedelta(hours=17 * i),
        )
        entry.derive()
        rows.append(entry)
    Entry.objects.bulk_create(rows, batch_size=500)


def measure(profile):
    import django

    django.setup()
    from django.conf import settings

    settings.STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
    from django.test import Client

    from recovery.models import User

    client = Client()
    client.force_login(User.objects.get(username="pdf-bench"))
    client.get("/journal/export/therapist/")
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    data = {"start": START, "end": END, "checkins": "1", "title": "For my sessions"}
    started, cpu = time.perf_counter(), time.process_time()
    if profile:
        import cProfile
        import pstats

        profiler = cProfile.Profile()
        response = profiler.runcall(client.post, "/journal/export/therapist/pdf/", data)
    else:
        response = client.post("/journal/export/therapist/pdf/", data)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if response.status_code != 200 or response["Content-Type"] != "application/pdf":
        print(response.status_code, response.content.decode()[-800:])
        sys.exit(1)
    import io

    import pypdf

    pages = len(pypdf.PdfReader(io.BytesIO(response.content)).pages)
    cpu_ok = "met" if cpu < CPU_TARGET else "MISSED"
    memory_ok = "met" if peak < MEMORY_TARGET else "MISSED"
    print(
        f"PDF of {os.environ['PDF_BENCH_N']} entries: {pages} pages, {len(response.content) / 1024:.0f} KB; "
        f"CPU {cpu:.2f} s (target < {CPU_TARGET:.0f} s: {cpu_ok}), wall {elapsed:.2f} s; "
        f"peak RSS {peak:.0f} MB (target < {MEMORY_TARGET} MB: {memory_ok}; {before:.0f} MB before the request); "
        f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )
    if profile:
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)
    if cpu >= CPU_TARGET or peak >= MEMORY_TARGET:
        sys.exit(1)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=1_000, help="entries in the PDF")
    parser.add_argument("--profile", action="store_true", help="cProfile the request")
    parser.add_argument("--step", choices=["seed", "measure"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    sys.path[0] = str(ROOT)  # bench/profile.py would shadow the standard library's profile
    if args.step == "seed":
        return seed(args.n)
    if args.step == "measure":
        return measure(args.profile)
    OUT.mkdir(parents=True, exist_ok=True)
    db = OUT / "pdf-bench.sqlite3"
    for leftover in OUT.glob("pdf-bench.sqlite3*"):
        leftover.unlink()
    from cryptography.fernet import Fernet

    env = dict(
        os.environ,
        DJANGO_SETTINGS_MODULE="recovery.settings",
        DEBUG="false",
        HTTPS="false",
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        ALLOWED_HOSTS="testserver",
        LOG_LEVEL="WARNING",
        SECRET_KEY=uuid.uuid4().hex * 2,
        JOURNAL_KEYS=Fernet.generate_key().decode(),
        DATABASE_URL=f"sqlite:///{db}",
        PDF_BENCH_N=str(args.n),
    )
    command = [sys.executable, __file__, "-n", str(args.n)]
    subprocess.run([*command, "--step", "seed"], env=env, check=True)
    subprocess.run(
        [*command, "--step", "measure", *(["--profile"] if args.profile else [])], env=env, check=True
    )


if __name__ == "__main__":
    main()

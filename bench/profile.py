"""Profile one benchmark page in-process with pyinstrument, on the database `make bench` left.

    .venv/bin/python bench/profile.py journal-400            # 100 requests, the call tree
    .venv/bin/python bench/profile.py progress -n 300 --html > /tmp/progress.html

Same production settings and data as the last run (bench/out/env.json, bench/out/sessions.json);
the requests go through Django's test client, so the figures leave out gunicorn and the network.
Needs pyinstrument (`pip install pyinstrument`), which the site itself does not.
"""

import argparse
import json
import os
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("page", help="a page name from bench/pages.py, such as step-anon or journal-400")
    parser.add_argument("-n", type=int, default=100, help="requests to profile (after 5 to warm up)")
    parser.add_argument("--html", action="store_true", help="print pyinstrument's HTML report instead")
    args = parser.parse_args()
    try:
        from pyinstrument import Profiler
    except ImportError:
        raise SystemExit("bench/profile.py needs pyinstrument: .venv/bin/pip install pyinstrument") from None
    try:
        os.environ.update(json.loads((OUT / "env.json").read_text()))
    except OSError:
        raise SystemExit("bench/profile.py: run `make bench` (or `make bench QUICK=1`) first") from None
    os.environ.update(
        DJANGO_SETTINGS_MODULE="bench.settings",
        DEBUG="false",
        HTTPS="false",
        ALLOWED_HOSTS="testserver",
        CONTENT_RELOAD="false",
        LOG_LEVEL="WARNING",
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        BENCH_FLOOR_DIR=str(OUT / "floor"),
    )
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.test import Client

    from bench import pages

    sessions, table = pages.load(OUT / "sessions.json")
    if args.page not in table:
        raise SystemExit(f"bench/profile.py: no page {args.page!r}; one of {', '.join(table)}")
    page = table[args.page]
    method, path, who = page.method, page.path, page.who
    client = Client()
    account = {"user": sessions["users"][0], "heavy": sessions["heavy"]}.get(who)
    draft = str(uuid.uuid4())
    count = 0

    def one():
        nonlocal count
        count += 1
        if account:
            client.cookies[sessions["session_cookie"]] = account["sessionid"]
            client.cookies[sessions["csrf_cookie"]] = account["csrftoken"]
        elif who is None:
            client.cookies.clear()  # every request a first visit
        if method == "GET":
            response = client.get(path)
        else:
            data = pages.autosave_form(draft, count)
            response = client.post(path, data, HTTP_X_CSRFTOKEN=account["csrftoken"], HTTP_HX_REQUEST="true")
        if response.status_code != 200:
            raise SystemExit(f"{args.page}: {path} answered {response.status_code}")

    for _ in range(5):
        one()
    profiler = Profiler(interval=0.0005)
    started = time.perf_counter()
    profiler.start()
    for _ in range(args.n):
        one()
    profiler.stop()
    took = time.perf_counter() - started
    if args.html:
        print(profiler.output_html())
        return
    print(f"{args.page} {path}: {1000 * took / args.n:.1f} ms a request in-process ({args.n} requests)")
    print(profiler.output_text(unicode=False, color=False, show_all=bool(os.environ.get("SHOW_ALL"))))


if __name__ == "__main__":
    main()

"""Profile one benchmark journey in-process, on the database `make bench` left.

    .venv/bin/python bench/profile_page.py progress-heavy         # 100 requests: where the CPU goes
    .venv/bin/python bench/profile_page.py step-user --sql        # and the queries of the last one
    .venv/bin/python bench/profile_page.py progress --lines 60    # more of each table

Same production settings, data and journeys as the last run (bench/out/env.json,
bench/out/sessions.json, bench/pages.py): each measured request comes right after its write, and
only the measured requests are profiled. cProfile counts CPU time (time.process_time), not wall
time, so other programs busy on the machine do not show up as slow code. The requests go through
Django's test client, so the figures leave out gunicorn and the network.
"""

import argparse
import cProfile
import json
import os
import pstats
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = Path(os.environ.get("BENCH_OUT") or ROOT / "bench" / "out")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("page", help="a page name from bench/pages.py, such as step-anon or journal-400")
    parser.add_argument("-n", type=int, default=100, help="requests to profile (after 5 to warm up)")
    parser.add_argument("--lines", type=int, default=35, help="rows of each table (35)")
    parser.add_argument("--sql", action="store_true", help="print the last request's queries too")
    args = parser.parse_args()
    try:
        os.environ.update(json.loads((OUT / "env.json").read_text()))
    except OSError:
        raise SystemExit("bench/profile_page.py: run `make bench` (or `make bench QUICK=1`) first") from None
    os.environ.update(
        DJANGO_SETTINGS_MODULE="bench.settings",
        DEBUG="false",
        HTTPS="false",
        ALLOWED_HOSTS="testserver",
        CONTENT_RELOAD="false",
        LOG_LEVEL="WARNING",
        BENCH_FLOOR_DIR=str(OUT / "floor"),
    )
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from bench import journey, pages

    sessions, table = pages.load(OUT / "sessions.json")
    if args.page not in table:
        raise SystemExit(f"bench/profile_page.py: no page {args.page!r}; one of {', '.join(table)}")
    page = table[args.page]
    account = sessions["users"][0] if page.who == "user" else sessions.get(page.who) if page.who else None
    browser = InProcess(Client(), account, sessions)
    steps = journey.Journey(sessions)
    profiler = cProfile.Profile(timer=time.process_time)
    took, queries = 0.0, []

    for i in range(5 + args.n):
        if page.write:
            steps.write(browser, page.write)
        if i >= 5:
            profiler.enable()
        started = time.process_time()
        with CaptureQueriesContext(connection) as captured:
            expected, status, _ = steps.measured(browser, page)
        if i >= 5:
            profiler.disable()
            took += time.process_time() - started
            queries.append(captured.captured_queries)
        if status != expected:
            raise SystemExit(f"{args.page}: {page.path} answered {status}, not {expected}")
    count = sum(len(q) for q in queries) / len(queries)
    print(f"{args.page} {page.path} after {page.write or 'nothing'}: {1000 * took / args.n:.1f} ms of CPU a request "
          f"in-process, profiler included ({args.n} requests), {count:.1f} queries")  # fmt: skip
    if args.sql:
        for query in queries[-1]:
            print(f"  {query['time']}s  {query['sql'][:300]}")
    stats = pstats.Stats(profiler)
    # The site's own functions first, by the time spent in them and what they call; then all.
    stats.sort_stats("cumulative").print_stats(f"{ROOT}/(me|journal|recovery)/", args.lines)
    stats.strip_dirs().sort_stats("tottime").print_stats(args.lines)


class InProcess:
    """Django's test client behind the same request() as bench/journey.py's Client."""

    def __init__(self, client, account, sessions):
        self.client = client
        self.csrf = account["csrftoken"] if account else None
        if account:
            client.cookies[sessions["session_cookie"]] = account["sessionid"]
            client.cookies[sessions["csrf_cookie"]] = account["csrftoken"]

    def request(self, method, path, data=None, htmx=False):
        headers = {"HX-Request": "true"} if htmx else {}
        if method == "GET":
            if self.csrf is None:
                self.client.cookies.clear()  # every request a first visit
            response = self.client.get(path, headers=headers)
        else:
            response = self.client.post(path, data or {}, headers={**headers, "X-CSRFToken": self.csrf})
        return response.status_code, response.headers, response.content


if __name__ == "__main__":
    main()

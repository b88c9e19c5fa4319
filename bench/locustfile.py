"""The load generator's side of `make bench`: one page per locust run, chosen by BENCH_PAGE.

bench/run.py starts locust headless in its own process for each page, as in

    BENCH_PAGE=progress BENCH_SESSIONS=bench/out/sessions.json \
        .venv/bin/locust -f bench/locustfile.py --headless -u 8 -r 8 -t 20s --host http://127.0.0.1:PORT

Signed-in pages carry the session cookies bench/seed.py created; each simulated user takes the
next seeded user in turn, or the heavy user's session for the journal pages. Redirects are not
followed: a redirect to the login page is an error, not a fast success.
"""

import itertools
import os
import sys
import uuid

from locust import FastHttpUser, task

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pages  # noqa: E402

SESSIONS, PAGES = pages.load(os.environ.get("BENCH_SESSIONS", "bench/out/sessions.json"))
PAGE = PAGES[os.environ.get("BENCH_PAGE", "step-anon")]
_next_user = itertools.count()


class Reader(FastHttpUser):
    def on_start(self):
        self.headers = {}
        account = None
        if PAGE.who == "user":
            users = SESSIONS["users"]
            account = users[next(_next_user) % len(users)]
        elif PAGE.who == "heavy":
            account = SESSIONS["heavy"]
        elif PAGE.who == "visitor":
            # A returning visitor: the session cookie of their first visit, kept as a browser would.
            self.client.get(PAGE.path, name="first visit", allow_redirects=False)
            self.headers["Cookie"] = "; ".join(f"{c.name}={c.value}" for c in self.client.cookiejar)
        if account:
            self.headers["Cookie"] = (
                f"{SESSIONS['session_cookie']}={account['sessionid']}; "
                f"{SESSIONS['csrf_cookie']}={account['csrftoken']}"
            )
            self.headers["X-CSRFToken"] = account["csrftoken"]
        self.draft = str(uuid.uuid4())
        self.sent = 0

    @task
    def page(self):
        # Cookies are exactly the ones set above: a first visit stays a first visit.
        self.client.cookiejar.clear()
        if PAGE.method == "GET":
            self.sent += 1
            request = self.client.get(
                pages.fresh_path(PAGE, f"{self.draft}-{self.sent}"),
                name=PAGE.name,
                headers=self.headers,
                allow_redirects=False,
                catch_response=True,
            )
        else:
            self.sent += 1
            request = self.client.post(
                PAGE.path,
                name=PAGE.name,
                data=pages.autosave_form(self.draft, self.sent),
                headers={**self.headers, "HX-Request": "true"},
                allow_redirects=False,
                catch_response=True,
            )
        with request as response:
            if response.status_code == 200:
                response.success()
            else:
                response.failure(f"{response.status_code} {response.headers.get('Location', '')}".strip())

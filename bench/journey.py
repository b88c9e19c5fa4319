"""The client side of `make bench`: one person at a time, a write and then the read it changed.

Requests go one after another from one client over HTTP/1.1 (gunicorn's sync worker closes each
connection after its response, so every request, the floor's included, pays one accept). Before
and after each measured request the one worker's CPU time is read from /proc once the worker is
back waiting for the next connection, so the figure is that request's own CPU time and nothing
else: not the write before it, not time spent waiting for a CPU the machine's other programs hold.
"""

import http.client
import os
import time
import urllib.parse
import uuid
from http.cookies import SimpleCookie
from pathlib import Path

from bench import pages

CLOCK_TICK = 1 / os.sysconf("SC_CLK_TCK")


class Worker:
    """The CPU time of one gunicorn worker process, read from /proc."""

    def __init__(self, pid):
        self.pid = pid
        self._schedstat = Path(f"/proc/{pid}/schedstat")
        self._stat = Path(f"/proc/{pid}/stat")

    def _fields(self):
        return self._stat.read_text().rsplit(")", 1)[1].split()

    def idle(self, timeout=0.5):
        """Wait until the worker sleeps again (back in its accept loop), so the request it just
        answered has finished every bit of its work, closing the socket included."""
        deadline = time.monotonic() + timeout
        while self._fields()[0] != "S" and time.monotonic() < deadline:
            time.sleep(0.0002)

    def cpu(self):
        """(seconds of CPU by the scheduler's nanosecond count, seconds as utime + stime).

        utime + stime (/proc/PID/stat) count in clock ticks of 10 ms, coarser than a static
        file's whole request; schedstat's first field is the same CPU time in nanoseconds.
        Both are kept: the run reports the first and checks the second agrees over the run."""
        self.idle()
        fields = self._fields()
        ticks = int(fields[11]) + int(fields[12])
        try:
            exact = int(self._schedstat.read_text().split()[0]) / 1e9
        except OSError:
            exact = ticks * CLOCK_TICK
        return exact, ticks * CLOCK_TICK


class Client:
    """One browser: its cookies, one connection reopened whenever the server closed it."""

    def __init__(self, url, account=None, sessions=None):
        parts = urllib.parse.urlsplit(url)
        self.host, self.port = parts.hostname, parts.port
        self.conn = None
        self.cookies = {}
        self.csrf = None
        if account:
            self.cookies[sessions["session_cookie"]] = account["sessionid"]
            self.cookies[sessions["csrf_cookie"]] = account["csrftoken"]
            self.csrf = account["csrftoken"]

    def request(self, method, path, data=None, htmx=False):
        headers = {"Host": f"{self.host}:{self.port}"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if data is not None:
            body = urllib.parse.urlencode(data).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if method == "POST" and self.csrf:
            headers["X-CSRFToken"] = self.csrf
        if htmx:
            headers["HX-Request"] = "true"
        for attempt in (1, 2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=120)
            try:
                self.conn.request(method, path, body=body, headers=headers)
                response = self.conn.getresponse()
                content = response.read()
                break
            except (ConnectionError, http.client.HTTPException):
                self.close()
                if attempt == 2:
                    raise
        if response.will_close:
            self.close()
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                if morsel["max-age"] == "0" or "1970" in morsel["expires"]:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        return response.status, response.headers, content

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None


class Journey:
    """The writes that come before a page's read, and the POSTs measured themselves."""

    def __init__(self, sessions):
        self.sessions = sessions
        self.count = 0
        self.ticked = False
        self.completed = False
        self.entry = None  # the path of the entry written last
        self.draft = str(uuid.uuid4())

    def write(self, client, name):
        self.count += 1
        step = self.sessions["step"]
        if name == "tick":
            self.ticked = not self.ticked
            exercise = self.sessions["exercises"][0]
            path = f"/steps/{step}/exercises/{exercise}/"
            status = client.request("POST", path, {"done": "1" if self.ticked else "0"}, htmx=True)[0]
            expected = 200
        elif name == "complete":
            self.completed = not self.completed
            path = f"/steps/{step}/{'complete' if self.completed else 'revisit'}/"
            status, expected = client.request("POST", path, {}, htmx=True)[0], 200
        elif name == "entry":
            status, headers, _ = client.request("POST", "/journal/new/", pages.entry_form(self.count))
            expected, self.entry = 302, headers.get("Location")
        elif name == "checkin":
            status, expected = (
                client.request("POST", "/progress/check-in/", pages.checkin_form(self.count))[0],
                302,
            )
        else:
            raise ValueError(name)
        if status != expected:
            raise SystemExit(f"bench: the write {name!r} answered {status}, not {expected}")

    def measured(self, client, page):
        """The measured request: (status expected, status, body)."""
        self.count += 1
        if page.method == "GET":
            path = page.path.replace("{entry}", self.entry or "")
            status, _, body = client.request("GET", path)
            return 200, status, body
        if page.name == "new-entry":
            status, _, body = client.request("POST", page.path, pages.entry_form(self.count))
            return 302, status, body
        if page.name == "tick":
            self.ticked = not self.ticked
            status, _, body = client.request(
                "POST", page.path, {"done": "1" if self.ticked else "0"}, htmx=True
            )
            return 200, status, body
        if page.name == "autosave":
            status, _, body = client.request(
                "POST", page.path, pages.autosave_form(self.draft, self.count), htmx=True
            )
            return 200, status, body
        raise ValueError(page.name)


def run_page(url, sessions, page, worker, *, reads, seconds, floor, warm=3):
    """Measure one page: up to `reads` measured requests (at least 10, within `seconds` after
    that), each right after its write, and after each the floor once more: a machine shared with
    other programs runs faster or slower from one minute to the next, and the floor beside the
    page shows how much. {requests, cpu_ms, floor_cpu_ms, tick_cpu_ms, wall_ms (median)}."""
    account = sessions.get(page.who) if page.who else None
    if page.who == "user":
        account = sessions["users"][0]
    client = Client(url, account, sessions)
    visitor = Client(url)
    journey = Journey(sessions)
    cpu, ticks, walls, floors = [], [], [], []
    started = time.monotonic()
    for i in range(warm + reads):
        if i >= warm + 10 and time.monotonic() - started > seconds:
            break
        if page.write:
            journey.write(client, page.write)
        before, before_ticks = worker.cpu()
        wall = time.perf_counter()
        expected, status, body = journey.measured(client, page)
        wall = time.perf_counter() - wall
        after, after_ticks = worker.cpu()
        if status != expected:
            raise SystemExit(f"bench: {page.name} {page.path} answered {status}, not {expected}")
        if page.method == "GET" and page.name != "floor" and bool(account) != (b"Log out" in body):
            raise SystemExit(f"bench: {page.name} is not {'signed in' if account else 'anonymous'}")
        if i >= warm:
            cpu.append(after - before)
            ticks.append(after_ticks - before_ticks)
            walls.append(wall)
            if page.name != "floor":
                status = visitor.request("GET", floor.path)[0]
                if status != 200:
                    raise SystemExit(f"bench: the floor answered {status}")
                floors.append(worker.cpu()[0] - after)
    client.close()
    visitor.close()
    walls.sort()
    return {
        "requests": len(cpu),
        "cpu_ms": 1000 * sum(cpu) / len(cpu),
        "floor_cpu_ms": 1000 * sum(floors or cpu) / len(floors or cpu),
        "tick_cpu_ms": 1000 * sum(ticks) / len(ticks),
        "wall_ms": 1000 * walls[len(walls) // 2],
        "entry": journey.entry,
    }

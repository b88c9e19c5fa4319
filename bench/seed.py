"""Fill the benchmark database and write the sessions the load generator signs in with.

200 users with progress and a few journal entries each; among them a light user with 30 entries;
and two heavy users, adversarial for the pages that summarise a journal: one with 10,000 entries
spread over three years and every step, one with 2,000 entries all inside the last 90 days (the
dashboard's mood chart and calendar window). Rows are written with bulk_create; title and body are encrypted by the
model fields through journal.crypto.encrypt, exactly as the site stores them; body_html, excerpt
and the blind search index come from the journal's own functions (markdown.render, excerpt_of,
search.index_tokens), as Entry.save would make them. Sessions are created with the
configured session engine, as a real sign-in would, so no password hashing slows the run.

Only bench users (emails at bench.invalid) are touched: they are deleted and made again.
Run through bench/run.py, which points DJANGO_SETTINGS_MODULE at bench.settings.
"""

import argparse
import json
import os
import random
import sys
import time
from datetime import timedelta
from importlib import import_module
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOMAIN = "bench.invalid"
HEAVY_EMAIL = f"heavy@{DOMAIN}"
RECENT_EMAIL = f"recent@{DOMAIN}"
LIGHT_ENTRIES = 30  # the first user's, the light one the journeys sign in as
FIRST_STEP = "acknowledge-feelings"

TEXT = (
    "today felt heavy and slow but I kept going anyway walked outside for a while called my sister "
    "cried a little in the car then felt lighter afterwards noticed the anger under the sadness wrote "
    "down what I miss and what I do not miss about us slept badly again woke early made tea sat "
    "with the feeling instead of pushing it away remembered the good parts too which hurt more "
    "friends asked how I was doing and I told them the truth for once boundaries feel strange but "
    "necessary I said no to something and the world did not end the evening was the hardest part "
    "still learning to be kind to myself when I slip back into old patterns progress is not a "
    "straight line and that is fine small steps count grief comes in waves forgiveness is for me "
    "not for them letting go does not mean forgetting work was a welcome distraction the garden "
    "needed water music helped more than I expected"
)
WORDS = TEXT.split()
# Words the search benchmark looks for: "garden" is in about a third of the heavy user's entries
# (it is in the vocabulary above, and every twentieth body names it), "lighthouse" in ten.
COMMON_TERM = "garden"
RARE_TERM = "lighthouse"


def setup_django():
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    import django

    django.setup()


def sentence(rng, n):
    return " ".join(rng.choice(WORDS) for _ in range(n)).capitalize() + "."


def body_text(rng, index):
    paragraphs = [" ".join(sentence(rng, rng.randint(8, 18)) for _ in range(rng.randint(2, 4)))]
    paragraphs += [sentence(rng, rng.randint(6, 14)) for _ in range(rng.randint(0, 3))]
    # A known share of bodies mention each search term, so the search has real work to return.
    if index % 20 == 0:
        paragraphs.append(f"I spent the afternoon in the {COMMON_TERM}.")
    if index % 1000 == 7:
        paragraphs.append(f"We once walked to the {RARE_TERM} together.")
    return "\n\n".join(paragraphs)


def delete_previous():
    from recovery.models import User

    User.objects.filter(email__endswith=f"@{DOMAIN}").delete()


def make_users(count, password_hash):
    from allauth.account.models import EmailAddress

    from recovery.models import User

    emails = [f"user{i:03d}@{DOMAIN}" for i in range(count)] + [HEAVY_EMAIL, RECENT_EMAIL]
    User.objects.bulk_create(User(username=e, email=e, password=password_hash) for e in emails)
    users = list(User.objects.filter(email__in=emails).order_by("email"))
    EmailAddress.objects.bulk_create(
        EmailAddress(user=u, email=u.email, verified=True, primary=True) for u in users
    )
    heavy = next(u for u in users if u.email == HEAVY_EMAIL)
    recent = next(u for u in users if u.email == RECENT_EMAIL)
    return [u for u in users if u not in (heavy, recent)], heavy, recent


def make_progress(rng, users, docs, rows):
    from django.utils import timezone

    from recovery.models import ExerciseTick, StepProgress

    Status = StepProgress.Status
    now = timezone.now()
    progress, ticks = [], []
    for user in users:
        chosen = [d for d in docs if d.slug == FIRST_STEP or rng.random() < 0.5]
        for doc in chosen:
            started = now - timedelta(days=rng.randint(1, 120))
            status = rng.choice([Status.IN_PROGRESS, Status.COMPLETED, Status.REVISITING])
            # The step the benchmark reads was visited minutes ago, so reading it writes nothing
            # (a visit is recorded at most once an hour): the steady state of a reader.
            visited = now - timedelta(minutes=5) if doc.slug == FIRST_STEP else started + timedelta(days=1)
            progress.append(
                StepProgress(
                    user=user,
                    step=rows[doc.slug],
                    status=status,
                    started_at=started,
                    completed_at=started + timedelta(days=2) if status != Status.IN_PROGRESS else None,
                    last_visited_at=visited,
                )
            )
            for exercise in doc.exercises:
                if rng.random() < 0.5:
                    ticks.append(ExerciseTick(user=user, step=rows[doc.slug], exercise=exercise.id))
    StepProgress.objects.bulk_create(progress, batch_size=1000)
    ExerciseTick.objects.bulk_create(ticks, batch_size=1000)
    return len(progress), len(ticks)


class Bodies:
    """Entry texts and what Entry.save derives from them (body_html, excerpt), made by the
    journal's own functions. A thousand distinct bodies are written and rendered once each, so
    seeding 10,000 entries takes seconds, not a minute of Markdown."""

    SIZE = 1000

    def __init__(self, rng):
        self.rng = rng
        self.made = {}

    def __getitem__(self, index):
        from journal.models import excerpt_of
        from recovery import markdown

        key = index % self.SIZE
        if key not in self.made:
            body = body_text(self.rng, key)
            body_html = markdown.render(body).html
            self.made[key] = (body, body_html, excerpt_of(body_html))
        return self.made[key]


def entry(rng, bodies, owner, docs, rows, index, created):
    from journal.models import Entry

    # Four entries in five belong to a step, two in three of those answer one of its prompts.
    doc = rng.choice(docs) if rng.random() < 0.8 else None
    prompt = rng.choice(doc.prompts).id if doc and rng.random() < 0.67 else ""
    body, body_html, excerpt = bodies[index]
    return Entry(
        owner=owner,
        step=rows[doc.slug] if doc else None,
        prompt=prompt,
        title=sentence(rng, rng.randint(3, 7))[:-1] if rng.random() < 0.75 else "",
        body=body,
        body_html=body_html,
        excerpt=excerpt,
        mood=rng.randint(1, 5) if rng.random() < 0.7 else None,
        created_at=created,
        updated_at=created,
    )


def make_entries(rng, users, heavy, heavy_count, recent, recent_count, docs, rows):
    """Entries and their search tokens. bulk_create writes title, body, body_html and excerpt
    through the model's encrypted fields (journal.crypto.encrypt), as a save would."""
    from django.db import connection
    from django.utils import timezone

    from journal import search
    from journal.models import Entry, SearchToken

    now = timezone.now()
    bodies = Bodies(rng)
    batch = []
    for n, user in enumerate(users):
        for i in range(LIGHT_ENTRIES if n == 0 else rng.randint(3, 5)):
            batch.append(entry(rng, bodies, user, docs, rows, i, now - timedelta(days=rng.randint(0, 60))))
    # The heavy user wrote nine or so entries a day for three years, newest first.
    spacing = 3 * 365 * 24 * 60 // max(heavy_count, 1)
    for i in range(heavy_count):
        created = now - timedelta(minutes=spacing * i + rng.randint(0, spacing - 1))
        batch.append(entry(rng, bodies, heavy, docs, rows, i, created))
    # The recent one wrote all of theirs in the last 90 days: every day of the chart is full.
    spacing = 89 * 24 * 60 // max(recent_count, 1)
    for i in range(recent_count):
        created = now - timedelta(minutes=spacing * i + rng.randint(0, spacing - 1))
        batch.append(entry(rng, bodies, recent, docs, rows, i, created))
    meta = SearchToken._meta
    table = f"{meta.db_table} ({meta.get_field('entry').column}, {meta.get_field('owner').column}, "
    table += f"{meta.get_field('token').column})"
    n_tokens, body_tokens = 0, {}
    for start in range(0, len(batch), 1000):
        chunk = Entry.objects.bulk_create(batch[start : start + 1000])
        # The tokens come from the journal's own indexing function, as Entry.reindex() makes
        # them on every save; they go in as plain rows, since 400,000 model objects take long.
        # Tokens of a text are the union of its parts' tokens, so a shared body is hashed once
        # per owner.
        tokens = []
        for e in chunk:
            if (e.owner_id, e.body) not in body_tokens:
                body_tokens[e.owner_id, e.body] = search.index_tokens(e.owner_id, e.body)
            found = body_tokens[e.owner_id, e.body] | search.index_tokens(e.owner_id, e.title)
            tokens += [(e.pk, e.owner_id, t) for t in sorted(found)]
        write_rows(connection, table, tokens)
        n_tokens += len(tokens)
    return len(batch), n_tokens


def write_rows(connection, table, rows):
    """Plain INSERTs on SQLite, COPY on PostgreSQL (executemany there takes most of a minute)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            cursor.executemany(f"INSERT INTO {table} VALUES (%s, %s, %s)", rows)


def analyze(connection):
    """Table statistics, as autovacuum would have gathered on a server that has been running; a
    fresh bulk load has none, and PostgreSQL then plans the journal search as a 3-second nested
    loop. SQLite gathers none on its own, so it is left as a real SQLite deployment would be."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def make_session(user):
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.middleware.csrf import CSRF_ALLOWED_CHARS, CSRF_SECRET_LENGTH
    from django.utils.crypto import get_random_string

    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[-1]
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    # An unmasked CSRF secret is both a valid cookie and a valid X-CSRFToken header.
    return {
        "sessionid": store.session_key,
        "csrftoken": get_random_string(CSRF_SECRET_LENGTH, CSRF_ALLOWED_CHARS),
    }


def seed(users_count, heavy_count, recent_count, out, rng_seed=8):
    from django.conf import settings
    from django.contrib.auth.hashers import make_password
    from django.db import connection, transaction
    from django.urls import reverse

    from recovery.content import library
    from recovery.models import Step

    rng = random.Random(rng_seed)
    started = time.monotonic()
    lib = library()
    docs = list(lib.path)
    rows = {s.slug: s for s in Step.objects.live()}
    missing = [d.slug for d in docs if d.slug not in rows]
    if missing:
        raise SystemExit(f"seed: run sync_content first; no Step rows for {', '.join(missing)}")
    with transaction.atomic():
        delete_previous()
        users, heavy, recent = make_users(users_count, make_password("bench password, never used"))
        n_progress, n_ticks = make_progress(rng, [*users, heavy, recent], docs, rows)
        n_entries, n_tokens = make_entries(rng, users, heavy, heavy_count, recent, recent_count, docs, rows)
    analyze(connection)
    sessions = [make_session(user) for user in users]
    doc = lib.steps[FIRST_STEP]
    data = {
        "autosave": reverse("journal:autosave"),
        "exercises": [e.id for e in doc.exercises],
        "prompts": [p.id for p in doc.prompts],
        "session_cookie": settings.SESSION_COOKIE_NAME,
        "csrf_cookie": settings.CSRF_COOKIE_NAME,
        "step": FIRST_STEP,
        "steps": [d.slug for d in docs],
        "common_term": COMMON_TERM,
        "rare_term": RARE_TERM,
        "users": sessions,
        "heavy": make_session(heavy),
        "recent": make_session(recent),
        "heavy_entries": heavy_count,
    }
    Path(out).write_text(json.dumps(data, indent=1))
    took = time.monotonic() - started
    print(
        f"seed: {len(users)} users + 2 heavy, {n_progress} progress rows, {n_ticks} ticks, "
        f"{n_entries} entries ({heavy_count} and {recent_count} for the heavy users, {LIGHT_ENTRIES} for the "
        f"light one), {n_tokens} search tokens, "
        f"in {took:.1f} s"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--heavy", type=int, default=10_000, help="entries of the heavy user, over 3 years")
    parser.add_argument("--recent", type=int, default=2_000, help="entries of the other, in the last 90 days")
    parser.add_argument("--out", default=str(ROOT / "bench" / "out" / "sessions.json"))
    args = parser.parse_args()
    setup_django()
    seed(args.users, args.heavy, args.recent, args.out)


if __name__ == "__main__":
    main()

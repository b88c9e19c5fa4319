"""Django's database sessions, with the one read every request makes done as a plain SELECT.

`SESSION_ENGINE = "recovery.sessions"` when there is no Redis. Loading a session through the
query builder cost a third of a cached page's time (bench/results.md); everything else, from
saving to `clearsessions`, is Django's own.
"""

from django.contrib.sessions.backends import db
from django.db import connections
from django.utils import timezone


class SessionStore(db.SessionStore):
    def _get_session_from_db(self):
        model = self.model
        connection = connections[model.objects.db]
        quote = connection.ops.quote_name
        sql = (
            f"SELECT {quote('session_key')}, {quote('session_data')}, {quote('expire_date')}"
            f" FROM {quote(model._meta.db_table)}"
            f" WHERE {quote('session_key')} = %s AND {quote('expire_date')} > %s"
        )
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        session = next(iter(model.objects.raw(sql, [self.session_key, now])), None)
        if session is None:
            self._session_key = None
        return session

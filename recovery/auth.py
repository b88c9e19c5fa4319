"""Django's and allauth's authentication backends, reading the signed-in user more cheaply.

Every request of a signed-in user loads their row. Through the query builder that took a quarter
of the time of a page served from the page cache (bench/results.md), so it is read with one
plain SELECT instead; `raw()` still turns the columns into a User exactly as a query would.
Logging in, passwords and permissions are the parent classes' own.
"""

from allauth.account import auth_backends
from django.contrib.auth import backends, get_user_model
from django.core.exceptions import ValidationError
from django.db import connections


class _UserByPrimaryKey:
    def get_user(self, user_id):
        User = get_user_model()
        try:
            user_id = User._meta.pk.to_python(user_id)
        except ValidationError:
            return None
        ops = connections[User.objects.db].ops
        sql = f"SELECT * FROM {ops.quote_name(User._meta.db_table)} WHERE {ops.quote_name(User._meta.pk.column)} = %s"
        user = next(iter(User.objects.raw(sql, [user_id])), None)
        return user if user is not None and self.user_can_authenticate(user) else None


class ModelBackend(_UserByPrimaryKey, backends.ModelBackend):
    """Username and password (the admin's createsuperuser account)."""


class EmailBackend(_UserByPrimaryKey, auth_backends.AuthenticationBackend):
    """allauth's: email and password, and everything allauth logs in itself."""

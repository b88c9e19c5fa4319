"""Journal text encrypted at rest with MultiFernet.

Keys come from settings.JOURNAL_KEYS: the first encrypts, every key decrypts, so a new key
can be put first and `manage.py rotate_journal_keys` re-encrypts old entries with it.

The search index (journal/search.py) is keyed too, by keys derived from the same Fernet keys,
so a database dump alone can neither read the text nor test guesses against the index.
"""

import base64
import hashlib
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models

SEARCH_KEY_INFO = b"mending journal search index v1"


@cache
def _fernet_for(keys):
    try:
        return MultiFernet([Fernet(key) for key in keys])
    except (ValueError, TypeError) as exc:
        raise ImproperlyConfigured(f"JOURNAL_KEYS: each key must be a Fernet key ({exc})") from None


def fernet():
    return _fernet_for(tuple(settings.JOURNAL_KEYS))


def encrypt(text):
    return fernet().encrypt(text.encode("utf-8")).decode("ascii")


def decrypt(token):
    try:
        return fernet().decrypt(token.encode("ascii")).decode("utf-8")
    except InvalidToken:
        raise ImproperlyConfigured(
            "A journal entry cannot be decrypted with any key in JOURNAL_KEYS."
        ) from None


def encrypt_bytes(data):
    """A file (an upload waiting for the job runner) as a Fernet token, kept as bytes."""
    return fernet().encrypt(data)


def decrypt_bytes(token):
    try:
        return fernet().decrypt(bytes(token))
    except InvalidToken:
        raise ImproperlyConfigured(
            "A stored upload cannot be decrypted with any key in JOURNAL_KEYS."
        ) from None


def rotate(token):
    return fernet().rotate(token.encode("ascii")).decode("ascii")


def first_key_id():
    """A short fingerprint of the encrypting key, kept per row so rotation can skip done rows."""
    return hashlib.sha256(settings.JOURNAL_KEYS[0].encode()).hexdigest()[:8]


@cache
def _search_keys_for(keys):
    derived = []
    for key in keys:
        hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=SEARCH_KEY_INFO)
        derived.append(hkdf.derive(base64.urlsafe_b64decode(key)))
    return tuple(derived)


def search_keys():
    """HMAC keys for the blind index, one per journal key, in the same order: the first indexes,
    all of them are searched, so search keeps working while a rotation is under way."""
    fernet()  # fail with the clear message above if a key is malformed
    return _search_keys_for(tuple(settings.JOURNAL_KEYS))


class EncryptedTextField(models.TextField):
    """Text that is a Fernet token in the database and plain text in Python."""

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        return decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt(value)


class KeyIdField(models.CharField):
    """The fingerprint of the key a row was last encrypted with, set whenever the row is written
    in full (save, create, bulk_create); a save of only other fields leaves it alone."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 8)
        kwargs.setdefault("editable", False)
        kwargs.setdefault("default", "")
        super().__init__(*args, **kwargs)

    def pre_save(self, model_instance, add):
        value = first_key_id()
        setattr(model_instance, self.attname, value)
        return value

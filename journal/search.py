"""Search over encrypted entries with a blind index.

Each distinct word of an entry's title and body is normalised (case folded, accents removed)
and stored only as a keyed hash: HMAC-SHA256 over the owner's id and the word, with a key
derived from the journal keys (journal/crypto.py). A query hashes its words the same way and
looks the hashes up in an indexed table; no plaintext is stored and nothing is decrypted to
search. Whole words only: "anx" does not find "anxious".

What it reveals to someone holding the database but not the keys: how many distinct words each
entry has, and which of one user's entries share a word (not which word). Hashes include the
owner, so the same word in two users' journals does not match.
"""

import hashlib
import hmac
import re
import unicodedata

from journal.crypto import search_keys

WORD = re.compile(r"\w+")
MIN_LENGTH = 2
MAX_LENGTH = 64  # longer "words" are pasted links or noise, not something anyone types to search
MAX_QUERY_WORDS = 8
TOKEN_LENGTH = 32  # hex digits: 128 bits of the HMAC, plenty against accidental matches


def words(text):
    """The normalised words of a text, each once, in the order they first appear."""
    folded = text.casefold()
    if folded.isascii():  # most text: nothing to decompose or strip, and it is found fastest
        bare = folded
    else:
        folded = unicodedata.normalize("NFKD", folded)
        bare = "".join(c for c in folded if not unicodedata.combining(c))
    return list(dict.fromkeys(w for w in WORD.findall(bare) if MIN_LENGTH <= len(w) <= MAX_LENGTH))


def _token(key, owner_id, word):
    message = f"{owner_id}\x00{word}".encode()
    return hmac.digest(key, message, hashlib.sha256).hex()[:TOKEN_LENGTH]


def index_tokens(owner_id, *texts):
    """The tokens to store for an entry, made with the current (first) key."""
    key = search_keys()[0]
    found = set()
    for text in texts:
        found.update(words(text or ""))
    return {_token(key, owner_id, w) for w in found}


def query_tokens(owner_id, query):
    """For each word of a query (at most MAX_QUERY_WORDS), its tokens under every key."""
    keys = search_keys()
    wanted = words(query)[:MAX_QUERY_WORDS]
    return [[_token(key, owner_id, w) for key in keys] for w in wanted]

"""The pool's key and the keyed hash that replaces children's identifiers.

The key is a secret the pool's members share (docs/pools.md, "Key custody"): read at pooling
time from a file (``--key-file``) or from the environment (:data:`KEY_ENV`), never written into
the pool. An identifier becomes the first 32 hexadecimal digits (128 bits) of
HMAC-SHA256(key, "<LA code>:<identifier>"): the same child of the same council gets the same
hash in every monthly re-pool under the same key, children of different councils who happen to
share an identifier get different hashes, and without the key nobody can test a guessed
identifier against the pool. A short check value, itself a keyed hash of a fixed text, is kept
in each pooled build so that a re-pool with a different key is refused rather than silently
breaking every link with earlier months.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from pathlib import Path

import polars as pl

from cscperf.errors import CscperfError

KEY_ENV = "CSCPERF_POOL_KEY"
MIN_KEY_CHARACTERS = 32
HASH_DIGITS = 32
_CHECK_TEXT = b"cscperf pool key check"


class PoolUsageError(CscperfError):
    """The pool command was used wrongly (no key, a key inside the pool): exit code 2."""

    exit_code = 2


def read_key(key_file: Path | None, pool_dir: Path) -> bytes:
    """The pool's key from ``key_file``, else from the environment variable :data:`KEY_ENV`.

    Surrounding white space is ignored; the key must hold at least :data:`MIN_KEY_CHARACTERS`
    characters, and a key file may not sit inside the pool folder (whoever holds the pool
    would hold the key)."""
    if key_file is not None:
        inside = key_file.resolve().is_relative_to(pool_dir.resolve())
        if inside:
            raise PoolUsageError(
                f"the key file {key_file} is inside the pool folder {pool_dir}: the key must "
                "never be stored with the pool; keep it elsewhere (docs/pools.md, Key custody)"
            )
        try:
            text = key_file.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as exc:
            raise PoolUsageError(f"the key file {key_file} cannot be read ({exc})") from exc
        where = f"the key file {key_file}"
    else:
        text = os.environ.get(KEY_ENV, "").strip()
        if not text:
            raise PoolUsageError(
                f"no pool key: give --key-file FILE or set {KEY_ENV}; the members' key "
                "custodian holds it (docs/pools.md, Key custody)"
            )
        where = f"{KEY_ENV}"
    if len(text) < MIN_KEY_CHARACTERS:
        raise PoolUsageError(
            f"{where} holds a key of {len(text)} characters; a pool key needs at least "
            f'{MIN_KEY_CHARACTERS} (make one with: python -c "import secrets; '
            'print(secrets.token_hex(32))")'
        )
    return text.encode("utf-8")


def key_check(key: bytes) -> str:
    """A short value that tells two keys apart without revealing either."""
    return hmac.new(key, _CHECK_TEXT, hashlib.sha256).hexdigest()[:16]


def hash_identifier(key: bytes, la_code: str, identifier: str) -> str:
    """One identifier's keyed hash (see the module's description)."""
    message = f"{la_code}:{identifier}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:HASH_DIGITS]


def hash_column(values: pl.Series, key: bytes, la_code: str) -> pl.Series:
    """Every identifier of one council's column hashed (each distinct value once); nulls stay
    null."""
    messages = pl.select(pl.concat_str(pl.lit(f"{la_code}:"), values.cast(pl.String))).to_series()
    return KeyedHasher(key).hash_messages(messages).alias(values.name)


class KeyedHasher:
    """The keyed hash of many identifiers, as :func:`hash_identifier` makes it, each message
    ("<LA code>:<identifier>") hashed once however many columns and tables of a pool repeat
    it. It holds the key only inside its HMAC state and the hashes it has made, in memory, for
    as long as it is kept (one pool build)."""

    def __init__(self, key: bytes) -> None:
        self._keyed = hmac.new(key, digestmod=hashlib.sha256)
        self._known: dict[str, str] = {}

    def hash_messages(self, messages: pl.Series) -> pl.Series:
        """Each message of ``messages`` (text) hashed; nulls stay null."""
        distinct = messages.drop_nulls().unique().to_list()
        known = self._known
        for message in distinct:
            if message not in known:
                mac = self._keyed.copy()  # the key's state, so each message costs two blocks
                mac.update(message.encode())
                known[message] = mac.hexdigest()[:HASH_DIGITS]
        hashes = pl.Series([known[message] for message in distinct], dtype=pl.String)
        old = pl.Series(distinct, dtype=pl.String)
        return messages.replace_strict(old, hashes, default=None, return_dtype=pl.String)

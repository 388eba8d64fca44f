"""bcrypt hashes for Dex static users.

Uses the ``bcrypt`` package directly. Dex reads ``$2y$`` hashes; bcrypt writes ``$2b$``. Both name the same
algorithm, so only the prefix is rewritten. A password is never silently truncated to bcrypt's 72 bytes:
a longer one is refused.
"""

from __future__ import annotations

import re

import bcrypt

from .errors import SecretError

__all__ = ["BCRYPT_HASH", "MAX_PASSWORD_BYTES", "hash_password", "verify_password"]

MAX_PASSWORD_BYTES = 72
"""bcrypt ignores every byte after the 72nd."""

_MIN_COST = 4
_MAX_COST = 31

BCRYPT_HASH = re.compile(r"^\$2[aby]\$(?:0[4-9]|[12][0-9]|3[01])\$[./A-Za-z0-9]{53}$(?!\n)")
"""A whole bcrypt hash: ``$2a$``, ``$2b$`` or ``$2y$``, a cost of 04..31, then salt and digest (53 chars).

The trailing ``(?!\\n)`` keeps ``$`` from accepting a final newline, so ``match`` and ``fullmatch`` agree;
the pattern uses no Python-only syntax and also works as a JSON Schema ``pattern``.
"""


def hash_password(password: str, cost: int = 12) -> str:
    """Return the ``$2y$`` bcrypt hash of ``password`` with work factor ``cost`` (4..31)."""
    secret = _encode(password)
    if not secret:
        raise SecretError("the password is empty", hint="a Dex static user needs a non-empty password")
    if not _MIN_COST <= cost <= _MAX_COST:
        raise SecretError(
            f"bcrypt cost {cost} is outside {_MIN_COST}..{_MAX_COST}",
            hint="12 is the default; each step doubles the hashing time",
        )
    hashed = bcrypt.hashpw(secret, bcrypt.gensalt(rounds=cost)).decode("ascii")
    return "$2y$" + hashed.removeprefix("$2b$")


def verify_password(password: str, hashed: str) -> bool:
    """Whether ``password`` matches the bcrypt hash ``hashed`` (``$2a$``, ``$2b$`` or ``$2y$``).

    A malformed hash, or a password bcrypt would have to truncate, is a ``SecretError``, not ``False``.
    """
    secret = _encode(password)
    if not BCRYPT_HASH.match(hashed):
        raise SecretError(
            "not a bcrypt hash",
            hint="expected $2a$, $2b$ or $2y$, a cost from 04 to 31, '$' and 53 characters of [./A-Za-z0-9]",
        )
    # bcrypt reads $2y$ itself; mapping to $2b$ (the same algorithm) keeps this independent of that.
    return bcrypt.checkpw(secret, ("$2b$" + hashed[4:]).encode("ascii"))


def _encode(password: str) -> bytes:
    try:
        secret = password.encode("utf-8")
    except UnicodeEncodeError:
        raise SecretError(
            "the password cannot be encoded as UTF-8: it holds an unpaired surrogate",
            hint="check for \\uD800-\\uDFFF escapes in the profile",
        ) from None
    if len(secret) > MAX_PASSWORD_BYTES:
        raise SecretError(
            f"the password is {len(secret)} bytes in UTF-8 but bcrypt only uses the first "
            f"{MAX_PASSWORD_BYTES}; it is never silently truncated",
            hint=f"choose a password of at most {MAX_PASSWORD_BYTES} bytes",
        )
    return secret

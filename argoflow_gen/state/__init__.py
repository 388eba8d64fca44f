"""The fork's state files under ``.argoflow-gen/``: their names, formats, size limits and the trust gate.

Rendering produces the committed ones as data (lock, pristine copy, profile record, .gitignore); the writer
owns the private ones (journal, staging, folder lock); every reader (render, ``--check``, diff, update,
status) reads them only through this package, which treats them as hostile: a clone can carry any of them.
"""

from __future__ import annotations

from .gate import (
    check_relative,
    confine,
    is_real_folder,
    problem,
    read_bounded,
)
from .lock import Lock, SealedEntry, format_lock, parse_lock
from .names import (
    COMMITTED,
    JOURNAL,
    LOCK_FILE,
    MAX_ENTRIES,
    MAX_FILE_BYTES,
    MAX_JOURNAL_BYTES,
    MAX_LOCK_BYTES,
    MAX_PRISTINE_BYTES,
    MUTEX,
    PRISTINE,
    PROFILE_RECORD,
    STAGING,
    STATE_DIR,
    STATE_IGNORE,
    STATE_IGNORE_TEXT,
)
from .store import (
    Journal,
    current_text,
    format_journal,
    parse_journal,
    parse_pristine,
    pending_write,
    pristine_text,
    read_journal,
    read_lock,
    read_pristine,
    require_state_folder,
    sha256,
)

__all__ = [
    "COMMITTED",
    "JOURNAL",
    "LOCK_FILE",
    "MAX_ENTRIES",
    "MAX_FILE_BYTES",
    "MAX_JOURNAL_BYTES",
    "MAX_LOCK_BYTES",
    "MAX_PRISTINE_BYTES",
    "MUTEX",
    "PRISTINE",
    "PROFILE_RECORD",
    "STAGING",
    "STATE_DIR",
    "STATE_IGNORE",
    "STATE_IGNORE_TEXT",
    "Journal",
    "Lock",
    "SealedEntry",
    "check_relative",
    "confine",
    "current_text",
    "format_journal",
    "format_lock",
    "is_real_folder",
    "parse_journal",
    "parse_lock",
    "parse_pristine",
    "pending_write",
    "pristine_text",
    "problem",
    "read_bounded",
    "read_journal",
    "read_lock",
    "read_pristine",
    "require_state_folder",
    "sha256",
]

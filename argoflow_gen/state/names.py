"""The names and size limits of a fork's state files (shared by every module of the package)."""

from __future__ import annotations

STATE_DIR = ".argoflow-gen"
LOCK_FILE = f"{STATE_DIR}/lock.yaml"
PRISTINE = f"{STATE_DIR}/pristine.json"  # the generated files as rendered: the base of three-way updates
PROFILE_RECORD = f"{STATE_DIR}/profile.yaml"
STATE_IGNORE = f"{STATE_DIR}/.gitignore"
JOURNAL = f"{STATE_DIR}/journal.json"
STAGING = f"{STATE_DIR}/staging"
MUTEX = f"{STATE_DIR}/write.lock"
STATE_IGNORE_TEXT = "# Working files of a write in progress; never committed.\n/write.lock\n/staging/\n/journal.json*\n"
#: The committed state files a render writes; update and status handle them apart from the other files.
COMMITTED = (LOCK_FILE, PRISTINE, PROFILE_RECORD)

#: Size limits of what is read from a fork (bytes). Generous for any real fork, small for a machine.
MAX_LOCK_BYTES = 4 << 20
MAX_PRISTINE_BYTES = 64 << 20
MAX_JOURNAL_BYTES = 16 << 20
MAX_FILE_BYTES = 16 << 20  # one file of the fork read as text (generated files, files in a diff)
MAX_ENTRIES = 100_000  # paths listed by a lock, a pristine copy or a journal

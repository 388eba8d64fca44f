"""A fast reader for built manifests that is exact or silent: it reads a document only where it reads it as
ruamel (``load_all_plain``) would, and leaves every other one to ruamel.

ryaml (Rust, on a port of the same libyaml scanner) reads kustomize's output about seven times faster than
ruamel, which parses in C but builds every value in Python. Where the two differ is what a plain scalar
means and what a tag, a merge key or a duplicate key does: ruamel resolves ``017`` and ``1_000`` as integers,
keeps integers of any size, reads ``.5E3`` as a string, applies ``<<``, refuses tags it does not know and keys
equal across types (``1`` and ``true``); ryaml does none of these. So a document is taken from ryaml only
when nothing in it can mean something else:

- its text has no anchor (ryaml copies what an alias repeats), no core or verbatim tag, directive or document
  marker, no line break but ``\\n``, no byte order mark, and at most MAX_BRACKETS flow brackets (ryaml's time
  grows with the square of flow nesting);
- read, it has string keys only (no ``<<``, none starting with "!", which is how ryaml gives any other
  tagged node), no float, and no string that ryaml kept from a plain scalar ruamel resolves otherwise.

Without ryaml installed (a platform it has no wheel for), nothing is read fast.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from typing import Any

try:
    from ryaml._ryaml import loads as _loads
    from ryaml._ryaml import loads_all as _loads_all

    _AVAILABLE = True
except ImportError:  # pragma: no cover - every platform argoflow-gen installs on has a wheel
    _AVAILABLE = False

#: Texts read slowly: a core tag (``!!set`` and ``!!omap`` read apart) or a verbatim one, a directive or a
#: document marker, a line break YAML 1.1 readers also take, a byte order mark.
_UNSURE = ("!!", "!<", "\n---", "\n...", "\n%", "\r", "\x85", "\u2028", "\u2029", "\ufeff")
_UNSURE_START = ("---", "...", "%")
#: What may be an anchor (a mark after a blank, a flow or value indicator, or at a line's start): a text where
#: this matches is parsed for anchors before ryaml reads it (``_anchored``).
ANCHOR = re.compile(r"(?:^|[\s\[{,:])&[^\s,\]}]", re.MULTILINE)
MAX_BRACKETS = 20_000
#: First characters of the plain scalars ruamel may resolve otherwise than ryaml (the tests compare both on
#: every short token of digits, signs, dots and the letters of numbers and constants).
_RESOLVABLE_START = frozenset("0123456789+-.<=")
_MAX_RESOLVABLE = 64
#: What ruamel gives back as the string itself (``streams``: timestamps, a bare "=").
_STRING_TAGS = frozenset({"tag:yaml.org,2002:str", "tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:value"})


def available() -> bool:
    """Whether documents can be read fast here (ryaml is installed)."""
    return _AVAILABLE


def candidate(text: str) -> bool:
    """Whether ``text`` (one document) may be read fast: nothing in its text reads differently."""
    return (_AVAILABLE and not text.startswith(_UNSURE_START) and not any(mark in text for mark in _UNSURE)
            and text.count("[") + text.count("{") <= MAX_BRACKETS
            and not ("&" in text and ANCHOR.search(text) and _anchored(text)))


def _anchored(text: str) -> bool:
    """Whether ``text`` has an anchor or an alias, as ruamel's C parser sees it (stopping at the first one). ryaml
    copies what an alias repeats where ruamel shares it: seventy kilobytes of aliases of a list expand to ten
    gigabytes before anyone could count them."""
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError
    from ruamel.yaml.events import AliasEvent

    try:
        for event in YAML(typ="safe", pure=False).parse(text):
            if isinstance(event, AliasEvent) or getattr(event, "anchor", None):
                return True
    except YAMLError:
        return True  # not YAML to ruamel: it reads the text, and says why
    return False


def read(chunks: Sequence[str], separator: str) -> list[Any | None]:
    """Each chunk's document (one each, all ``candidate``), or None where ruamel must read it."""
    if not _AVAILABLE or not chunks:
        return [None] * len(chunks)
    documents = _documents(separator.join(chunks))
    if documents is None or len(documents) != len(chunks):  # each alone: one bad chunk slows only itself
        return [_one(chunk) for chunk in chunks]
    return [document if _same_as_ruamel(document) else None for document in documents]


def read_whole(text: str) -> list[Any] | None:
    """The non-empty documents of ``text``, a stream of any number, or None where ruamel must read it."""
    if not candidate(text):
        return None
    documents = _documents(text)
    if documents is None:
        return None
    found = [document for document in documents if document is not None]
    return found if all(_same_as_ruamel(document) for document in found) else None


def _one(chunk: str) -> Any | None:
    documents = _documents(chunk)
    if documents is None or len(documents) != 1 or not _same_as_ruamel(documents[0]):
        return None
    return documents[0]


def _documents(text: str) -> list[Any] | None:
    """ryaml's documents of ``text``; None where it refuses it (ruamel then reads it, and says why)."""
    try:
        return list(_loads_all(text))
    except (KeyboardInterrupt, SystemExit, MemoryError):
        raise
    except BaseException:  # its refusals, and a panic of its Rust code (a BaseException) on a hostile text
        return None


def _same_as_ruamel(document: Any) -> bool:
    """Whether ruamel reads the text of ``document`` (as ryaml read it) as the same value."""
    if document is None or type(document) is float or (type(document) is str and _read_apart(document)):
        return False
    stack = [document]
    while stack:
        value = stack.pop()
        if type(value) is dict:
            for key in value:
                if type(key) is not str or key[:1] == "!" or key == "<<" or _read_apart(key):
                    return False
            items: Any = value.values()
        elif type(value) is list:
            items = value
        else:
            continue
        for item in items:
            kind = type(item)
            if kind is dict or kind is list:
                stack.append(item)
            elif kind is str:
                if _read_apart(item):
                    return False
            elif kind is float:
                return False
    return True


def _read_apart(text: str) -> bool:
    """Whether ``text``, a string ryaml read, may have been a plain scalar that ruamel reads as something else:
    ruamel resolves it to another type while ryaml, reading it plain, keeps a string. (A string that ryaml
    would not keep, "8080" say, was quoted, and is a string to both.)"""
    return bool(text) and text[0] in _RESOLVABLE_START and len(text) <= _MAX_RESOLVABLE and _apart(text)


_resolver: Any = None


@functools.lru_cache(maxsize=1 << 14)
def _apart(text: str) -> bool:
    global _resolver
    from ruamel.yaml.nodes import ScalarNode

    if _resolver is None:
        from ruamel.yaml.resolver import VersionedResolver

        _resolver = VersionedResolver()
    if str(_resolver.resolve(ScalarNode, text, (True, False))) in _STRING_TAGS:
        return False
    try:
        return type(_loads(text)) is str
    except (KeyboardInterrupt, SystemExit, MemoryError):
        raise
    except BaseException:  # not a scalar ryaml reads alone (see _documents): read slowly
        return True

"""Plain multi-document YAML reading for diffs: built manifests and generated files, no positions.

A diff reads megabytes of kustomize output, where only speed matters: ``argoflow_gen.yamlio`` reads it with
ruamel's C parser (ruamel.yaml.clib: the 10 MB of upstream's example in about 2.5 s, against 26 s in pure
Python), and ``load_stream`` reads most of a build's output with ryaml, seven times faster still, wherever
that gives the same documents (``yamlio.fast``). Timestamps stay strings.
"""

from __future__ import annotations

import functools
import re
from typing import Any

from ..yamlio import InvalidYaml, fast, load_all_plain

#: Files of a pull request are hostile: aliases that multiply (a "billion laughs") would make every later
#: comparison walk billions of values. A text with anchors (without one, an alias is an error) is counted as
#: it expands.
MAX_VALUES = 2_000_000
_ANCHOR = fast.ANCHOR


class YamlError(ValueError):
    """A text that is not YAML."""


def load_all(text: str) -> list[Any]:
    """Every non-empty document of ``text`` as plain data. Raises ``YamlError`` if it is not YAML, or if its
    aliases expand it past MAX_VALUES values."""
    quick = fast.read_whole(text)  # never a text with anchors
    if quick is not None:
        return quick
    try:
        documents = load_all_plain(text)
    except InvalidYaml as exc:
        raise YamlError(str(exc).splitlines()[0] if str(exc) else "invalid YAML") from None
    except (RecursionError, ValueError, TypeError) as exc:
        raise YamlError(f"{type(exc).__name__}: {exc}") from None
    if "&" in text and _ANCHOR.search(text):
        _count(documents)
    return documents


@functools.lru_cache(maxsize=4096)
def _shared(text: str) -> tuple[Any, ...]:
    return tuple(load_all(text))


def load_shared(text: str) -> tuple[Any, ...]:
    """``load_all``, remembered by text: for the small files a run reads many times (Applications,
    kustomizations). The documents are shared: never change them."""
    return _shared(text)


def _count(documents: list[Any]) -> None:
    budget = MAX_VALUES
    stack: list[Any] = list(documents)
    while stack:
        value = stack.pop()
        budget -= 1
        if budget < 0:
            raise YamlError(f"aliases expand the text to more than {MAX_VALUES} values")
        if isinstance(value, dict):
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)


_SEPARATOR = "\n---\n"
#: A chunk that could hold more or fewer than one document (a marker or directive inside it, or only comments)
#: is read the slow way, one chunk at a time, exactly as it always was.
_UNUSUAL = re.compile(r"^(?:---|\.\.\.|%)", re.MULTILINE)
_EMPTY = re.compile(r"\A(?:[ \t]*(?:#[^\n]*)?(?:\n|\Z))*\Z")


def load_stream(text: str, memo: dict[str, Any]) -> list[Any]:
    """Like ``load_all`` for kustomize output, but each document text is read once per ``memo``, and fast
    where that gives exactly what ``load_all`` gives (``yamlio.fast``).

    Both sides of a diff mostly hold the same documents: reading each distinct text once, and sharing the
    result, halves the reading and lets comparisons stop at ``is``. The texts not read yet are read in one
    pass (a parser set up per document costs more than the document). A stream that does not split cleanly
    on ``---`` lines is read whole.
    """
    body = text[4:] if text.startswith("---\n") else text
    chunks = [chunk for chunk in body.split(_SEPARATOR) if chunk.strip()]
    unseen = list(dict.fromkeys(chunk for chunk in chunks if chunk not in memo))
    quick = [chunk for chunk in unseen if fast.candidate(chunk) and not _EMPTY.match(chunk)]
    for chunk, document in zip(quick, fast.read(quick, _SEPARATOR), strict=True):
        if document is not None:  # never a text with anchors
            memo[chunk] = document
    unseen = [chunk for chunk in unseen if chunk not in memo]
    if len(unseen) > 1 and not any(_UNUSUAL.search(chunk) or _EMPTY.match(chunk) for chunk in unseen):
        _read_together(unseen, memo)
    documents = []
    for chunk in chunks:
        if chunk not in memo:
            parsed = load_all(chunk)
            if len(parsed) != 1:
                return load_all(text)
            memo[chunk] = parsed[0]
        documents.append(memo[chunk])
    return documents


def _counted(chunk: str, document: Any) -> bool:
    """Whether ``document`` is within MAX_VALUES where its text has anchors or aliases (else it is read again,
    the slow way, which raises the error)."""
    if "&" in chunk and _ANCHOR.search(chunk):
        try:
            _count([document])
        except YamlError:
            return False
    return True


def _read_together(chunks: list[str], memo: dict[str, Any]) -> None:
    """Read ``chunks`` (one document each) in one pass into ``memo``; on any surprise, leave them to be read
    one by one, so that errors and limits are exactly those of ``load_all``."""
    try:
        documents = load_all_plain(_SEPARATOR.join(chunks))
    except (InvalidYaml, RecursionError, ValueError, TypeError):
        return
    if len(documents) != len(chunks):
        return
    for chunk, document in zip(chunks, documents, strict=True):
        if _counted(chunk, document):  # else, read alone, it raises the same error
            memo[chunk] = document

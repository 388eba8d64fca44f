"""The one package that imports ruamel.yaml (and ryaml): every YAML the generator reads goes through it.

- ``load`` (``located``): a profile layer with the line and column of every key and value.
- ``load_all_plain`` (``streams``): megabytes of built manifests, fast, without positions.
- ``fast``: built manifests read by ryaml, seven times faster, wherever that gives what ruamel gives.
- ``load_strings`` (``streams``): a state file the generator wrote, read as untrusted input (strings only, bounded).
- ``load_all_commented`` / ``dump_commented`` (``commented``): a user's file edited, its comments and quotes kept.
- ``spans`` (``commented``): where each key and value of a document is written, to edit its text in place.

Writing YAML the generator makes is ``yamlemit``'s (an emitter of our own).
"""

from __future__ import annotations

from .commented import Span, dump_commented, load_all_commented, spans
from .located import MAX_DEPTH, MAX_NODES, Document, InvalidYaml, JsonPath, Position, format_path, load, nearest
from .streams import load_all_plain, load_strings

__all__ = ["MAX_DEPTH", "MAX_NODES", "Document", "InvalidYaml", "JsonPath", "Position", "Span", "dump_commented",
           "format_path", "load", "load_all_commented", "load_all_plain", "load_strings", "nearest", "spans"]

"""Jinja templates of the generated tree: loaded once, StrictUndefined, values only through ``| yaml``."""

from __future__ import annotations

import functools
import re
from typing import Any

from .yamlemit import indented


def _yaml(value: Any, indent: int = 0) -> str:
    return indented(value, indent)


def _oneline(value: Any) -> str:
    """Free text for a comment or a Markdown line: control characters become spaces."""
    return "".join(" " if ord(c) < 32 or c in "\u2028\u2029\x85" else c for c in str(value))


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]#|!~])")


def markdown_text(value: Any) -> str:
    """Free text for a Markdown paragraph, inert: one line, no control characters, HTML as entities, and the
    characters that make links, images, emphasis, tables or headings escaped."""
    text = " ".join(_oneline(value).split())
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _MARKDOWN_SPECIAL.sub(r"\\\1", text)
    if re.match(r"[-+]\s", text):  # would start a list
        text = "\\" + text
    return re.sub(r"^([0-9]+)([.)])(?=\s)", r"\1\\\2", text)


@functools.lru_cache(maxsize=1)
def environment() -> Any:
    import jinja2

    from .usercache import cache_dir

    compiled = cache_dir("templates")
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(_template_dir()),
        auto_reload=False,  # the templates ship with the package: not looked at again once loaded
        bytecode_cache=jinja2.FileSystemBytecodeCache(str(compiled)) if compiled else None,
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["yaml"] = _yaml
    env.filters["oneline"] = _oneline
    env.filters["markdown"] = markdown_text
    return env


def _template_dir() -> str:
    from importlib import resources

    return str(resources.files("argoflow_gen.templates"))


def render_template(template: str, /, **context: Any) -> str:
    text: str = environment().get_template(template).render(**context)
    return text

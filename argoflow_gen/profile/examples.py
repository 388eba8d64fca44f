"""The examples the declarations give: what the starter profile shows, commented out, under each key."""

from __future__ import annotations

import functools

from .declare import walk
from .spec import Profile


@functools.cache
def examples() -> dict[str, str]:
    """Each declared example, by the dotted key path of its field (``spec.ingress.serviceType``): YAML text."""
    return {".".join(path): item.declared.example for path, item, _shape in walk(Profile) if item.declared.example}


def example(dotted: str, **placeholders: str) -> str:
    """``KEY: EXAMPLE`` for the field at ``dotted``, each placeholder (``NAME``) in the example replaced."""
    text = examples()[dotted]
    for placeholder, value in placeholders.items():
        text = text.replace(placeholder, value)
    return f"{dotted.rsplit('.', 1)[-1]}: {text}"

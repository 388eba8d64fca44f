"""The files derived from the declarations and committed with the source: the JSON Schema the validator and
editors load, and the README's profile reference. ``scripts/regenerate`` writes them; a test compares them."""

from __future__ import annotations

import re

from .reference import reference_markdown
from .to_schema import schema_text

SCHEMA_FILE = "argoflow_gen/data/profile.schema.json"
README = "README.md"
_REFERENCE = re.compile(r"(<!-- profile-reference:start -->\n).*(<!-- profile-reference:end -->)", re.S)


def derived_files(readme: str) -> dict[str, str]:
    """Each derived file (path from the repository root) and the text the declarations give it; ``readme`` is
    the README as it is, whose reference section is replaced."""
    if not _REFERENCE.search(readme):
        raise ValueError("the README has no profile-reference section")
    reference = reference_markdown()
    return {SCHEMA_FILE: schema_text(), README: _REFERENCE.sub(lambda m: m.group(1) + reference + m.group(2), readme)}

"""The markdown comment: its marker, its summary, and GitHub's 65,536-character limit."""

from __future__ import annotations

import re
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from argoflow_gen.diff import MARKER, MAX_MARKDOWN, Diff, FileChange, format_markdown


def big_diff(sizes: dict[str, int]) -> Diff:
    """One changed file per Application, of about ``size`` lines of 40 characters each."""
    changes = []
    for name, size in sizes.items():
        old = "".join(f"{name}: old line {index:06d} ............\n" for index in range(size))
        new = "".join(f"{name}: new line {index:06d} ............\n" for index in range(size))
        changes.append(FileChange(f"{name}/big.yaml", "changed", name, old, new))
    return Diff(files=tuple(changes), old_label="main", new_label="feature")


def sections(text: str) -> list[str]:
    return re.findall(r"<details><summary><code>([^<]+)</code>", text)


def assert_well_formed(text: str) -> None:
    assert text.count("<details>") == text.count("</details>")
    assert text.count("```") % 2 == 0
    assert text.startswith(MARKER + "\n")


def test_under_the_limit_nothing_is_cut() -> None:
    text = format_markdown(big_diff({"a": 10, "b": 10}))
    assert sections(text) == ["a", "b"]
    assert "WARNING" not in text
    assert_well_formed(text)


def test_over_the_limit_the_summary_stays_and_whole_sections_go() -> None:
    sizes = {f"app-{index:02d}": 120 for index in range(40)}  # about 10,000 characters a section
    sizes["app-05"] = 3000  # one section alone over the limit
    text = format_markdown(big_diff(sizes))
    assert len(text) <= MAX_MARKDOWN
    assert_well_formed(text)
    for name in sizes:  # every Application is in the summary table
        assert f"| `{name}` | 0 / 0 / 1 |" in text
    kept = sections(text)
    assert "app-05" not in kept
    assert kept[:5] == ["app-00", "app-01", "app-02", "app-03", "app-04"] and "app-06" in kept  # skipped, not stopped
    omitted = [name for name in sizes if name not in kept]
    notice = text[text.index("> [!WARNING]"):]
    assert f"{len(omitted)} sections left out: " in notice
    assert all(f"`{name}`" in notice for name in omitted)
    for name in kept:  # a kept section is complete: its last line is there
        assert f"+{name}: new line {sizes[name] - 1:06d}" in text


def test_a_small_limit_snapshot(snapshot: Any) -> None:
    text = format_markdown(big_diff({"a": 3, "b": 30, "c": 2}), limit=2200)
    assert len(text) <= 2200
    assert sections(text) == ["a", "c"]
    assert text == snapshot


def test_a_summary_alone_over_the_limit_is_still_within_it() -> None:
    text = format_markdown(big_diff({f"app-{index:03d}": 1 for index in range(400)}), limit=3000)
    assert len(text) <= 3000
    assert text.startswith(MARKER + "\n")
    assert "> [!WARNING]" in text


@settings(max_examples=40, deadline=None)
@given(st.dictionaries(st.sampled_from([f"app-{i}" for i in range(12)]), st.integers(0, 60), min_size=1),
       st.integers(1500, 12000))
def test_never_over_the_limit_and_every_section_is_kept_or_named(sizes: dict[str, int], limit: int) -> None:
    text = format_markdown(big_diff(sizes), limit=limit)
    assert len(text) <= limit
    kept = sections(text)
    if "> [!WARNING]" in text:
        notice = text[text.index("> [!WARNING]"):]
        assert all(name in kept or f"`{name}`" in notice for name in sizes)
    else:
        assert sorted(kept) == sorted(sizes)

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


def brief(text: str) -> list[str]:
    return re.findall(r"<details><summary><code>([^<]+)</code>: [^<]* \(in brief\)</summary>", text)


def assert_well_formed(text: str) -> None:
    assert text.count("<details>") == text.count("</details>")
    assert text.count("```") % 2 == 0
    assert text.startswith(MARKER + "\n")


def test_under_the_limit_nothing_is_cut() -> None:
    text = format_markdown(big_diff({"a": 10, "b": 10}))
    assert sections(text) == ["a", "b"]
    assert "[!NOTE]" not in text
    assert_well_formed(text)


def test_over_the_limit_the_head_stays_and_sections_shrink_least_important_first() -> None:
    sizes = {f"app-{index:02d}": 120 for index in range(40)}  # about 10,000 characters a section
    sizes["app-05"] = 3000  # one section alone over the limit
    text = format_markdown(big_diff(sizes), full="https://ci.example/run/1")
    assert len(text) <= MAX_MARKDOWN
    assert_well_formed(text)
    for name in sizes:  # every Application is in the summary table
        assert f"| `{name}` | – | 0 / 0 / 1 |" in text
    kept, shortened = sections(text), brief(text)
    assert sorted(kept) == sorted(sizes)  # each in full, or in brief: none left out
    assert "app-05" in shortened and "app-00" not in shortened
    assert kept[:5] == ["app-00", "app-01", "app-02", "app-03", "app-04"]
    notice = text[text.index("> [!NOTE]"):]
    assert f"{len(shortened)} sections shown in brief: " in notice
    assert "[the full report](https://ci.example/run/1)" in notice
    for name in kept:  # a section in full is complete: its last line is there
        if name not in shortened:
            assert f"+{name}: new line {sizes[name] - 1:06d}" in text


def test_the_most_important_sections_come_first_and_are_the_last_to_shrink() -> None:
    from argoflow_gen.diff import ApplicationDiff, ResourceChange, ResourceKey

    def changes(kind: str, count: int) -> tuple[ResourceChange, ...]:
        return tuple(ResourceChange(ResourceKey("", kind, "ns", f"{kind.lower()}-{index}"), "added",
                                    document={"data": "x" * 400}) for index in range(count))

    diff = Diff(applications=(ApplicationDiff("zz-secrets", changes("Secret", 3)),
                              ApplicationDiff("aa-configmaps", changes("ConfigMap", 40)),
                              ApplicationDiff("mm-rbac", changes("ClusterRole", 3))), built=True)
    text = format_markdown(diff, limit=5000)
    assert sections(text)[:2] == ["zz-secrets", "mm-rbac"]
    assert "| `zz-secrets` | secrets | 0 / 0 / 0 | 3 / 0 / 0 |" in text
    assert brief(text) == ["aa-configmaps"]


def test_a_small_limit_snapshot(snapshot: Any) -> None:
    text = format_markdown(big_diff({"a": 3, "b": 30, "c": 2}), limit=2200)
    assert len(text) <= 2200
    assert sections(text) == ["a", "b", "c"]
    assert brief(text) == ["b"]
    assert text == snapshot


def test_a_summary_alone_over_the_limit_is_still_within_it() -> None:
    text = format_markdown(big_diff({f"app-{index:03d}": 1 for index in range(400)}), limit=3000)
    assert len(text) <= 3000
    assert text.startswith(MARKER + "\n")
    assert "> [!NOTE]" in text and "left out" in text


@settings(max_examples=40, deadline=None)
@given(st.dictionaries(st.sampled_from([f"app-{i}" for i in range(12)]), st.integers(0, 60), min_size=1),
       st.integers(1500, 12000))
def test_never_over_the_limit_and_every_section_is_kept_or_named(sizes: dict[str, int], limit: int) -> None:
    text = format_markdown(big_diff(sizes), limit=limit)
    assert len(text) <= limit
    kept = sections(text)
    if "> [!NOTE]" in text:
        notice = text[text.index("> [!NOTE]"):]
        assert all(name in kept or f"`{name}`" in notice for name in sizes)
        assert all(f"`{name}`" in notice for name in brief(text))
    else:
        assert sorted(kept) == sorted(sizes) and not brief(text)

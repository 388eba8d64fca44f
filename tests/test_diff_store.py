"""The pieces of diff --build that need no kustomize: the build cache's entries, the report stream, the
json layout, the memory budget."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest

from argoflow_gen.diff import format_json, format_text
from argoflow_gen.diff.budget import LIGHT, MIB, Budget, go_limit
from argoflow_gen.diff.formats import JSON_LAYOUT, text_layout
from argoflow_gen.diff.model import ApplicationDiff, Diff, FileChange, NotBuilt, ResourceChange, ResourceKey
from argoflow_gen.diff.store import MAGIC, BuildStore
from argoflow_gen.diff.stream import ReportStream

KEY = hashlib.sha256(b"a build").hexdigest()
OTHER = hashlib.sha256(b"another build").hexdigest()
LINES = ['{"kind": "ConfigMap", "metadata": {"name": "a"}}', '{"kind": "Service", "metadata": {"name": "\\u00e9"}}']


def test_an_entry_is_read_back_as_written(tmp_path: Path) -> None:
    store = BuildStore(tmp_path)
    assert store.get(KEY) is None
    store.put(KEY, LINES)
    assert store.get(KEY) == LINES
    (entry,) = (tmp_path / "builds").glob("*/*")
    assert entry == tmp_path / "builds" / KEY[:2] / f"{KEY}.jsonl"
    header = entry.read_bytes().split(b"\n", 1)[0].decode()
    assert header.startswith(f"{MAGIC} {KEY} ")


def _planted(tmp_path: Path, how: str) -> Path:
    store = BuildStore(tmp_path)
    store.put(KEY, LINES)
    entry = tmp_path / "builds" / KEY[:2] / f"{KEY}.jsonl"
    data = entry.read_bytes()
    if how == "corrupted":
        entry.write_bytes(data[:-5] + b"X" + data[-4:])
    elif how == "truncated":
        entry.write_bytes(data[:-10])
    elif how == "longer":
        entry.write_bytes(data + b'{"kind": "Extra"}\n')
    elif how == "another key's":
        store.put(OTHER, LINES)
        entry.write_bytes((tmp_path / "builds" / OTHER[:2] / f"{OTHER}.jsonl").read_bytes())
    elif how == "empty":
        entry.write_bytes(b"")
    elif how == "a folder":
        entry.unlink()
        entry.mkdir()
    elif how == "a FIFO":
        entry.unlink()
        os.mkfifo(entry)
    return entry


@pytest.mark.parametrize("how", ["corrupted", "truncated", "longer", "another key's", "empty", "a folder", "a FIFO"])
def test_a_broken_entry_is_never_trusted_and_is_removed(tmp_path: Path, how: str) -> None:
    entry = _planted(tmp_path, how)
    store = BuildStore(tmp_path)
    assert store.get(KEY) is None
    assert not entry.exists() and store.discarded == 1
    store.put(KEY, LINES)  # the build runs again, and is stored again
    assert BuildStore(tmp_path).get(KEY) == LINES


def test_a_symlinked_entry_or_folder_is_never_followed(tmp_path: Path) -> None:
    cache, elsewhere = tmp_path / "cache", tmp_path / "elsewhere"
    BuildStore(elsewhere).put(KEY, LINES)  # a sound entry, reachable only through the links
    target = elsewhere / "builds" / KEY[:2] / f"{KEY}.jsonl"
    before = target.read_bytes()
    (cache / "builds" / KEY[:2]).mkdir(parents=True)
    link = cache / "builds" / KEY[:2] / f"{KEY}.jsonl"
    link.symlink_to(target)
    store = BuildStore(cache)
    assert store.get(KEY) is None and not link.is_symlink() and not link.exists()
    store.put(KEY, ["{}"])
    assert target.read_bytes() == before and store.get(KEY) == ["{}"]
    # a linked folder on the way: not read through, not written through
    (cache / "builds" / OTHER[:2]).symlink_to(elsewhere / "builds" / KEY[:2], target_is_directory=True)
    store.put(OTHER, LINES)
    assert store.get(OTHER) is None
    assert sorted(path.name for path in (elsewhere / "builds" / KEY[:2]).iterdir()) == [f"{KEY}.jsonl"]


def test_keys_are_digests_only(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="not a cache key"):
        BuildStore(tmp_path).get("../../etc/passwd")
    with pytest.raises(ValueError, match="not a cache key"):
        BuildStore(tmp_path).put("A" * 64, [])


def test_unused_entries_are_pruned(tmp_path: Path) -> None:
    store = BuildStore(tmp_path)
    store.put(KEY, LINES)
    store.put(OTHER, LINES)
    old = tmp_path / "builds" / OTHER[:2] / f"{OTHER}.jsonl"
    os.utime(old, (0, 0))
    assert store.prune() == 1
    assert store.get(KEY) == LINES and not old.exists()


# ------------------------------------------------------------------------------------------- streaming


def _change(name: str) -> ResourceChange:
    return ResourceChange(ResourceKey("", "ConfigMap", "ns", name), "added", "v1", document={"kind": "ConfigMap"})


FILES = Diff(files=(FileChange("a/kustomization.yaml", "changed", "a", "x\n", "y\n"),
                    FileChange("c/kustomization.yaml", "changed", "c", "x\n", "y\n"),
                    FileChange("README.md", "changed", "", "x\n", "y\n")),
             built=True, not_built=(NotBuilt("d", "Helm chart source"),))


@pytest.mark.parametrize("layout", [text_layout(), JSON_LAYOUT], ids=["text", "json"])
def test_each_group_goes_out_once_it_and_those_before_it_are_known(layout: object) -> None:
    written: list[str] = []
    stream = ReportStream(written.append, layout)  # type: ignore[arg-type]
    stream.files(FILES)
    assert len(written) == 1  # the head, before anything is built
    stream.pending(["a", "b", "c"])
    assert len(written) == 1  # "a" waits for its builds
    stream.application("c", ApplicationDiff("c", (_change("c"),)))
    assert len(written) == 1  # "c" is known, but "a" and "b" come first
    stream.application("a", None)
    assert len(written) == 2  # "a": its file only
    stream.application("b", ApplicationDiff("b", (_change("b"),)))
    assert len(written) == 5  # "b", "c", and the repository's files
    final = Diff(files=FILES.files, built=True, not_built=FILES.not_built,
                 applications=(ApplicationDiff("b", (_change("b"),)), ApplicationDiff("c", (_change("c"),))))
    stream.finished(final)
    rendered = format_json(final) if layout is JSON_LAYOUT else format_text(final)
    assert "".join(written) == rendered


@pytest.mark.parametrize("diff", [
    Diff(), FILES, Diff(built=True, applications=(ApplicationDiff("b", (_change("b"),)),)),
], ids=["empty", "files", "resources"])
def test_the_json_report_is_what_json_dumps_writes(diff: Diff) -> None:
    text = format_json(diff)
    assert text == json.dumps(json.loads(text), indent=2, ensure_ascii=False) + "\n"


# ---------------------------------------------------------------------------------------------- budget


def test_one_lane_takes_the_heaviest_builds_and_the_others_the_lightest() -> None:
    budget = Budget(320 * MIB, 2)
    heaviest, share = budget.take(0)
    assert heaviest and share is not None and LIGHT <= share <= 320 * MIB - LIGHT
    assert budget.take(1) == (False, LIGHT)
    assert Budget(None, 2).take(1) == (True, None)  # no budget: every lane takes the heaviest


def test_a_share_is_a_soft_limit_unless_the_user_set_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GOMEMLIMIT", raising=False)
    monkeypatch.delenv("GOGC", raising=False)
    assert go_limit(200 * MIB) == {"GOMEMLIMIT": "164MiB", "GOGC": "off"}  # the limit alone paces collection
    monkeypatch.setenv("GOGC", "200")
    assert go_limit(200 * MIB) == {"GOMEMLIMIT": "164MiB"}  # the user's GOGC stands
    assert go_limit(None) == {}
    monkeypatch.setenv("GOMEMLIMIT", "1GiB")
    assert go_limit(200 * MIB) == {}


def test_the_run_counts_itself_at_its_peak_and_gives_freed_memory_back() -> None:
    from argoflow_gen.diff import budget

    with open("/proc/self/statm", "rb") as handle:
        now = int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    held = bytearray(64 * MIB)  # touched: resident now, freed below
    held[:: 4096] = b"x" * len(held[:: 4096])
    peak = budget.own_memory()
    del held
    assert peak >= now + 60 * MIB and budget.own_memory() >= peak  # the peak stands once the memory is freed
    assert budget._trimmer() is not None  # glibc's malloc_trim, on the Linux this runs on
    budget.give_back()

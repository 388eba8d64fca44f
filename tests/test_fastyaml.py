"""The fast reader of built manifests gives exactly what ruamel gives, or nothing (ruamel then reads it)."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from argoflow_gen.catalog import VERSIONS
from argoflow_gen.diff import _yaml
from argoflow_gen.loader import load_profile
from argoflow_gen.rendering import render
from argoflow_gen.yamlio import fast as fastyaml
from argoflow_gen.yamlio import load_all_plain

from .conftest import FORK, Kustomize
from .test_build import component_folders, write

SEPARATOR = "\n---\n"


def chunks_of(text: str) -> list[str]:
    body = text[4:] if text.startswith("---\n") else text
    return [chunk for chunk in body.split(SEPARATOR) if chunk.strip()]


def test_the_fast_reader_is_installed() -> None:
    assert fastyaml.available(), "ryaml is a dependency on every platform argoflow-gen supports"


@pytest.mark.parametrize("version", VERSIONS)
def test_every_build_of_preset_full_reads_alike_and_almost_all_fast(version: str, tmp_path: Path,
                                                                    kustomize: Kustomize) -> None:
    tree = render(load_profile("preset:full", overrides=[FORK, f"spec.kubeflow.version={version}"]))
    root = write(tree, tmp_path / "fork")
    total = fast = 0
    for folder in [*component_folders(root), root / "argocd" / "base"]:
        output = kustomize.build(folder)
        expected = load_all_plain(output)
        read = _yaml.load_stream(output, {})
        assert read == expected, folder.name
        assert repr(read) == repr(expected), folder.name  # the same types, down to int against float
        chunks = chunks_of(output)
        quick = [chunk for chunk in chunks if fastyaml.candidate(chunk)]
        found = fastyaml.read(quick, SEPARATOR)
        total += sum(map(len, chunks))
        fast += sum(len(chunk) for chunk, document in zip(quick, found, strict=True) if document is not None)
    assert total > 5_000_000
    assert fast >= 0.95 * total, f"only {fast / total:.0%} of the bytes were read fast"


#: Characters of plain scalars that numbers, constants and their near misses are made of.
ALPHABET = "0123456789_.eE+-xXoObBiInNfFaAtTrRuUlLsS~yY:="
#: Three-character tokens: of the characters numbers are made of.
NUMERIC = "019_.eE+-xob"
EXTRA = ["0777", "00", "-00", "+01", "1_000", "0_1", ".5E3", "+.inf", "-.Inf", ".NaN", "1e+3", "0x1F", "0o17",
         "0b101", "12345678901234567890", "123456789012345678901234567890", "9" * 40, "-" + "9" * 40, "True",
         "TRUE", "false", "Null", "NULL", "~", "yes", "No", "on", "OFF", "y", "2001-12-14", "2001-12-14t21:59:43.10Z",
         "2001-12-14 21:59:43.10 -5", "=", "<<", "1:20", "190:20:30", "-0", "-0.0", "3.", ".5", "1__0", "0e0"]


def test_every_short_plain_scalar_reads_as_ruamel_reads_it_or_slowly() -> None:
    tokens = ["".join(letters) for size in (1, 2) for letters in itertools.product(ALPHABET, repeat=size)]
    tokens += ["".join(letters) for letters in itertools.product(NUMERIC, repeat=3)]
    texts = [f"k: {token}\nv: [{token}]\n{token}: k" for token in [*tokens, *EXTRA]]
    found = fastyaml.read(texts, SEPARATOR)
    taken = [(text, document) for text, document in zip(texts, found, strict=True) if document is not None]
    assert len(taken) > len(texts) // 2  # the comparison below is not of nothing
    expected = load_all_plain(SEPARATOR.join(text for text, _document in taken))
    assert len(expected) == len(taken)
    for (text, document), reference in zip(taken, expected, strict=True):
        assert repr(document) == repr(reference), text


@pytest.mark.parametrize("text", [
    "k: 017\n", "k: 1_000\n", "k: .5E3\n", "k: " + "9" * 40 + "\n", "k: 1.5\n",  # numbers ruamel reads apart
    "k: !foo x\n", "k: ! 12\n", "k: !!set {a}\n", "k: !!omap [a: 1]\n", "k: !<tag:yaml.org,2002:int> 3\n",  # tags
    "<<: {a: 1}\nb: 2\n", "1: x\ntrue: y\n", "? [1]\n: x\n", "a: 1\na: 2\n",  # merges and keys
    "k: v\r\nl: w\r\n", "\ufeffk: v\n", "k: v\n...\n", "k: [" + "[], " * 21_000 + "]\n",
])
def test_documents_that_could_read_apart_are_left_to_ruamel(text: str) -> None:
    assert not fastyaml.candidate(text) or fastyaml.read([text], SEPARATOR) == [None]
    try:
        expected: object = load_all_plain(text)
    except Exception as exc:  # the reference's own refusal
        expected = type(exc)
    try:
        read: object = _yaml.load_stream(text, {})
    except _yaml.YamlError:
        read = "refused"
    if isinstance(expected, type):
        assert read == "refused"
    else:
        assert repr(read) == repr(expected)


def test_a_quoted_number_is_a_string_read_fast_unless_ryaml_reads_it_plain_as_a_string() -> None:
    (document,) = fastyaml.read(['port: "8080"\nflag: "true"\nnothing: ""\nlevel: "1.5"\n'], SEPARATOR)
    assert document == {"port": "8080", "flag": "true", "nothing": "", "level": "1.5"}
    # written plain, 0644 is 644 to ruamel and "0644" to ryaml: quoted or not, ruamel reads it
    assert fastyaml.read(['mode: "0644"\n'], SEPARATOR) == [None]
    assert _yaml.load_stream('mode: "0644"\n', {}) == [{"mode": "0644"}]


def test_aliases_that_multiply_are_refused_as_before() -> None:
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + level)}: &{chr(98 + level)} [{', '.join(['*' + chr(97 + level)] * 10)}]\n" for level in range(6))
    with pytest.raises(_yaml.YamlError, match="aliases expand"):
        _yaml.load_stream(bomb + SEPARATOR + "c: d\n", {})


def test_a_text_with_anchors_is_never_read_fast() -> None:
    # ryaml copies what an alias repeats: a megabyte list repeated a million times would not fit in memory
    assert not fastyaml.candidate("a: &x [1, 2]\nb: *x\n")
    assert not fastyaml.candidate("- &x\n  k: v\n- *x\n")
    assert fastyaml.candidate("description: pod & container, *not* an alias\n")
    assert _yaml.load_stream("a: &x [1, 2]\nb: *x\n", {}) == [{"a": [1, 2], "b": [1, 2]}]


@pytest.mark.parametrize("text", ["a: &x 1\nb: *x\n", "a:\t&x 1\nb: *x\n", "- &x 1\n- *x\n", "? &x a\n: *x\n",
                                  "a:\n  &x\n  k: v\nb: *x\n", "a: [&x 1, *x]\n", "a: {k: &x 1, l: *x}\n",
                                  "a: [\n&x 1, *x]\n", "a: !!str &x 1\nb: *x\n", '{"a":&x 1, "b": *x}\n'])
def test_every_place_an_anchor_can_stand_is_found(text: str) -> None:
    assert _yaml.load_stream(text, {}) == load_all_plain(text)  # the reference reads an anchor there
    assert not fastyaml.candidate(text)


def test_ampersands_inside_scalars_are_not_anchors() -> None:
    script = "command:\n- sh\n- -c\n- |\n  make && make install &&\n    echo &done\nnote: a && b, x &y\n"
    assert fastyaml.candidate(script)

"""The YAML writer: whatever it writes, every YAML 1.1 and 1.2 reader takes back exactly."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from argoflow_gen import yamlemit
from argoflow_gen.yamlio import InvalidYaml, load_all_plain

AWKWARD = ["{{ x }}", "{% if x %}", "a: b", "a #b", "#x", "'q'", '"q"', "\\", "*a", "&a", "!x", "%x", "@x", "`x",
           "yes", "on", "no", "off", "y", "~", "null", "1.10", "0x1f", "0o17", "1:20", "1e3", ".inf", "2020-01-01",
           "=", "<<", "-", "- a", "? a", "a\nb", "\n", "  lead", "trail ", "tail\n\n", "x\r\ny", "é\u2028",
           "\t", "a\tb", "💡", "0.5", "1Gi", "True"]
text = st.one_of(st.sampled_from(AWKWARD), st.text(), st.text(alphabet=st.sampled_from(list("ab :#-'\"&*!\n")),
                                                                 max_size=10))
leaf = st.one_of(text, st.integers(), st.booleans(), st.none(), st.floats(allow_nan=False))
documents = st.recursive(leaf, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                       st.dictionaries(text, inner, max_size=4)), max_leaves=25)


def _readers() -> list[Any]:
    yaml12 = YAML(typ="safe", pure=True)
    yaml11 = YAML(typ="safe", pure=True)
    yaml11.version = (1, 1)
    return [yaml12, yaml11]


@settings(max_examples=600, suppress_health_check=list(HealthCheck), deadline=None)
@given(documents)
def test_dump_round_trips_through_yaml_1_1_and_1_2(document: Any) -> None:
    written = yamlemit.dump(document)
    for reader in _readers():
        assert reader.load(written) == document, written


@pytest.mark.parametrize("value", AWKWARD)
def test_awkward_strings_stay_strings(value: str) -> None:
    written = yamlemit.dump({"key": value, "list": [value]})
    for reader in _readers():
        assert reader.load(written) == {"key": value, "list": [value]}


def test_layout_is_kustomize_style() -> None:
    assert yamlemit.dump({"resources": ["a", "b"], "m": {"k": [{"name": "x", "v": 1}]}, "e": {}, "l": []}) == (
        "resources:\n- a\n- b\nm:\n  k:\n  - name: x\n    v: 1\ne: {}\nl: []\n"
    )
    assert yamlemit.dump({"s": "line one\nline two\n"}) == "s: |\n  line one\n  line two\n"


@pytest.mark.parametrize("text", ["a: " + "[" * 30_000 + "]" * 30_000 + "\n", "- " * 30_000 + "x\n",
                                  "a: " + "{b: " * 30_000 + "c" + "}" * 30_000 + "\n"],
                         ids=["flow sequences", "compact block sequences", "flow mappings"])
def test_nesting_that_would_crash_the_c_reader_is_refused(text: str) -> None:
    from argoflow_gen.yamlio.streams import MAX_PLAIN_DEPTH

    with pytest.raises(InvalidYaml, match=f"nesting deeper than {MAX_PLAIN_DEPTH} levels"):
        load_all_plain(text)


def test_nesting_below_the_limit_reads() -> None:
    assert load_all_plain("a: " + "[" * 900 + "1" + "]" * 900 + "\n")[0]["a"][0][0][0]
    assert load_all_plain("".join(" " * level + f"k{level}:\n" for level in range(300)) + " " * 300 + "v: 1\n")


@pytest.mark.parametrize("reader", ["load_all_commented", "spans"])
def test_the_editing_readers_refuse_deep_nesting_with_their_own_error(reader: str) -> None:
    import argoflow_gen.yamlio as yamlio

    with pytest.raises(InvalidYaml, match="nesting too deep"):
        getattr(yamlio, reader)("a: " + "[" * 2_000 + "]" * 2_000 + "\n")

"""The table that replaces the model's attribute ruler must give exactly the ruler's tags and parts of
speech wherever the extract stage runs it (after the tagger, before the parser)."""

from __future__ import annotations

from pathlib import Path

import pytest
import spacy
from spacy.language import Language
from spacy.tokens import Doc

from pipeline.poslookup import PosLookup, named_words, replace_attribute_ruler
from pipeline.quantities import DEFAULT_MODEL

SEEDS = Path(__file__).parent / "data" / "seeds"  # fixed copies of the founding articles, never seeds/
#: words the ruler treats specially, in contexts that give them different tags
TRICKY = (
    "That is what he said, and that was that: the 3 firms that were there had been told it was not so.\n"
    "Something happened to everyone who has ever done it; we'd have 'em do it again, wouldn't we?\n"
    "There are 12 universities   and  two\tlabs.\n\nBut it does, and they did have 4.5 million yuan."
)


def _tagged(nlp: Language, texts: list[str]) -> list[list[tuple[str, str, str]]]:
    return [[(t.text, t.tag_, t.pos_) for t in doc] for doc in nlp.pipe(texts)]


@pytest.fixture(scope="module")
def both() -> tuple[Language, Language]:
    keep = spacy.load(DEFAULT_MODEL, exclude=["parser", "ner", "lemmatizer"])
    fast = spacy.load(DEFAULT_MODEL, exclude=["parser", "ner", "lemmatizer"])
    assert replace_attribute_ruler(fast)
    assert "pos_lookup" in fast.pipe_names and "attribute_ruler" not in fast.pipe_names
    return keep, fast


def test_same_tags_and_pos_as_the_ruler_on_the_seeds(both: tuple[Language, Language]) -> None:
    keep, fast = both
    texts = [p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt"))] + [TRICKY]
    expected = _tagged(keep, texts)
    assert _tagged(fast, texts) == expected
    # and again, now that the table is filled (answers come from it, not from the ruler)
    assert _tagged(fast, texts) == expected
    assert any(pos == "SPACE" for doc in expected for _, _, pos in doc)
    assert any(pos == "SCONJ" for doc in expected for _, _, pos in doc)


def test_a_parsed_doc_goes_to_the_ruler_itself(both: tuple[Language, Language]) -> None:
    _, fast = both
    lookup = fast.get_pipe("pos_lookup")
    assert isinstance(lookup, PosLookup)
    doc = fast.make_doc("There was rain")
    for tok, tag, dep in zip(doc, ("EX", "VBD", "NN"), ("expl", "ROOT", "attr"), strict=True):
        tok.tag_, tok.dep_ = tag, dep
    doc[1].head = doc[1]
    lookup(doc)
    assert doc[1].pos_ == "VERB"  # the ruler's two-token "expl + be" pattern, which needs the parse


def _ruler_with(pattern: list[dict[str, object]]) -> Language:
    nlp = spacy.blank("en")
    ruler = nlp.add_pipe("attribute_ruler")
    ruler.add(patterns=[[{"TAG": "NN"}]], attrs={"POS": "NOUN"})  # type: ignore[attr-defined]
    ruler.add(patterns=[pattern], attrs={"POS": "PROPN"})  # type: ignore[attr-defined]
    return nlp


@pytest.mark.parametrize(
    "pattern",
    [
        [{"LOWER": {"REGEX": "^x"}}],
        [{"SHAPE": "Xxxx"}],
        [{"LOWER": "new"}, {"LOWER": "york"}],
    ],
)
def test_a_ruler_the_table_cannot_key_on_stays(pattern: list[dict[str, object]]) -> None:
    nlp = _ruler_with(pattern)
    with pytest.raises(ValueError, match="pattern"):
        named_words(nlp.get_pipe("attribute_ruler").patterns)  # type: ignore[attr-defined]
    assert not replace_attribute_ruler(nlp)
    assert nlp.pipe_names == ["attribute_ruler"]


def test_words_named_by_patterns_are_keyed_others_share_an_entry() -> None:
    nlp = _ruler_with([{"TAG": "NN", "LOWER": {"IN": ["paris", "rome"]}}])
    assert replace_attribute_ruler(nlp)
    lookup = nlp.get_pipe("pos_lookup")
    assert isinstance(lookup, PosLookup)
    assert lookup.words == {"paris", "rome"}
    doc = Doc(nlp.vocab, words=["Paris", "dog", "cat", "Rome"], tags=["NN", "NN", "NN", "NN"])
    nlp(doc)
    assert [t.pos_ for t in doc] == ["PROPN", "NOUN", "NOUN", "PROPN"]
    assert len(lookup._table) == 3  # paris, rome, and one entry that dog and cat share

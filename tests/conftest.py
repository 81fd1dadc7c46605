"""Shared fixtures. The spaCy model loads once per test session (it takes seconds)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from spacy.language import Language


@pytest.fixture(scope="session")
def nlp() -> Iterator[Language]:
    """The extract stage's spaCy pipeline: the model plus the quantity components."""
    from pipeline.quantities import DEFAULT_MODEL, load_nlp

    yield load_nlp(DEFAULT_MODEL, "rules")

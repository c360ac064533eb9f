"""`rideinfra._lazy.LazyPattern`: a regex compiled on first use, answering as `re.Pattern` does."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from rideinfra._lazy import LazyPattern

PATTERNS = [r"[A-Za-z_][A-Za-z0-9_]*", r"[ \t]+#", r"\$\{(?P<name>[^}:]*)\}", r"'([^']*)'|\\(')"]
texts = st.text(alphabet="ab_1 \t#${}'\\:", max_size=20)


def spans(match: re.Match[str] | None) -> tuple[int, int, tuple[str | None, ...]] | None:
    return None if match is None else (*match.span(), match.groups())


def test_nothing_is_compiled_before_first_use() -> None:
    """Declaring a pattern compiles nothing; the first use compiles it once."""
    pattern = LazyPattern(r"x+")
    assert pattern._compiled is None
    assert pattern.fullmatch("xx") is not None
    compiled = pattern.compiled
    assert pattern.search("axx") is not None
    assert pattern.compiled is compiled
    assert repr(pattern) == "LazyPattern('x+')"


@given(
    source=st.sampled_from(PATTERNS),
    text=texts,
    pos=st.integers(0, 21),
    endpos=st.integers(0, 21),
)
def test_answers_as_the_compiled_pattern(source: str, text: str, pos: int, endpos: int) -> None:
    """match, search, fullmatch, finditer and sub give what `re.compile(source)` gives."""
    lazy, real = LazyPattern(source), re.compile(source)
    assert spans(lazy.match(text, pos)) == spans(real.match(text, pos))
    assert spans(lazy.match(text, pos, endpos)) == spans(real.match(text, pos, endpos))
    assert spans(lazy.search(text, pos, endpos)) == spans(real.search(text, pos, endpos))
    assert spans(lazy.fullmatch(text)) == spans(real.fullmatch(text))
    assert [spans(m) for m in lazy.finditer(text)] == [spans(m) for m in real.finditer(text)]
    assert lazy.sub("-", text) == real.sub("-", text)
    assert lazy.sub(lambda m: m.group()[::-1], text) == real.sub(lambda m: m.group()[::-1], text)

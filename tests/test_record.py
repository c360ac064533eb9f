"""`rideinfra._record`: the one base of the immutable value objects, no generated code."""

from __future__ import annotations

import copy
import pickle
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rideinfra._record import Record, as_dict, replace


class Point(Record):
    """Two fields, one of them left out of the repr."""

    __slots__ = ("name", "secret")
    _hidden = frozenset({"secret"})
    name: str
    secret: str

    def __init__(self, name: str, secret: str = "") -> None:
        self._init(name=name, secret=secret)


class Point3(Point):
    """A subclass adds its own field after its base's."""

    __slots__ = ("z",)
    z: int

    def __init__(self, name: str, secret: str = "", z: int = 0) -> None:
        self._init(name=name, secret=secret, z=z)


class Other(Record):
    """The same fields as `Point`, another class."""

    __slots__ = ("name", "secret")
    name: str
    secret: str

    def __init__(self, name: str, secret: str = "") -> None:
        self._init(name=name, secret=secret)


texts = st.text(max_size=8)
values: st.SearchStrategy[Any] = st.one_of(
    texts, st.integers(), st.none(), st.tuples(texts, st.integers())
)


class TestFields:
    def test_fields_are_the_slots_bases_first(self) -> None:
        """`_fields`: the base's slots, then the subclass's, in declaration order."""
        assert Point._fields == ("name", "secret")
        assert Point3._fields == ("name", "secret", "z")

    def test_a_subclass_must_declare_slots(self) -> None:
        """Without `__slots__` instances would get a `__dict__`: refused when declared."""
        with pytest.raises(TypeError, match="must declare __slots__"):

            class Loose(Point):
                pass

    def test_init_must_set_every_field(self) -> None:
        """An `__init__` that forgets a field fails at once, naming it."""

        class Forgetful(Record):
            __slots__ = ("a", "b")

            def __init__(self) -> None:
                self._init(a=1)

        with pytest.raises(TypeError, match="no value for b"):
            Forgetful()

    def test_as_dict_is_the_fields_in_order(self) -> None:
        """`as_dict`: field -> value, in field order (what `--json` prints)."""
        assert list(as_dict(Point3("p", "s", 3)).items()) == [
            ("name", "p"),
            ("secret", "s"),
            ("z", 3),
        ]


class TestFrozen:
    @pytest.mark.parametrize("field", ["name", "secret", "anything"])
    def test_no_assignment_or_deletion(self, field: str) -> None:
        """A record refuses `setattr` and `delattr` on any name."""
        point = Point("p", "s")
        with pytest.raises(AttributeError, match="immutable"):
            setattr(point, field, "x")
        with pytest.raises(AttributeError, match="immutable"):
            delattr(point, field)
        assert (point.name, point.secret) == ("p", "s")

    def test_no_instance_dict(self) -> None:
        """Slots only: nothing can be stored beside the fields."""
        assert not hasattr(Point("p"), "__dict__")


class TestValueSemantics:
    @given(name=texts, secret=values, other=values)
    def test_equal_exactly_when_the_fields_are(self, name: str, secret: Any, other: Any) -> None:
        """Same class and equal fields: equal, with equal hashes; else unequal."""
        a, b = Point(name, secret), Point(name, other)
        assert (a == b) is (secret == other)
        assert (a != b) is (secret != other)
        if a == b:
            assert hash(a) == hash(b)
        assert a == Point(name, secret)
        assert hash(a) == hash(Point(name, secret))

    @given(name=texts, secret=texts)
    def test_another_class_is_never_equal(self, name: str, secret: str) -> None:
        """Equal fields in another class (even a subclass) do not make equal records."""
        assert Point(name, secret) != Other(name, secret)
        assert Point(name, secret) != Point3(name, secret)
        assert Point(name, secret) != (name, secret)

    @given(name=texts, secret=texts)
    def test_repr_leaves_hidden_fields_out(self, name: str, secret: str) -> None:
        """The repr names the shown fields only; a hidden one's value never appears."""
        planted = f"SENTINEL-{secret}-VALUE"
        text = repr(Point(name, planted))
        assert text == f"Point(name={name!r})"
        assert planted not in text
        assert repr(Other(name, "x")) == f"Other(name={name!r}, secret='x')"


class TestCopies:
    @given(name=texts, secret=texts, z=st.integers())
    def test_replace_changes_only_what_it_names(self, name: str, secret: str, z: int) -> None:
        """`replace` goes through `__init__`: same class, the changes, the rest as they were."""
        point = Point3(name, secret, z)
        assert replace(point) == point
        moved = replace(point, z=z + 1)
        assert type(moved) is Point3
        assert (moved.name, moved.secret, moved.z) == (name, secret, z + 1)
        assert point.z == z

    def test_replace_refuses_an_unknown_name(self) -> None:
        """A name `__init__` does not take is the constructor's TypeError."""
        with pytest.raises(TypeError):
            replace(Point("p"), colour="red")

    @given(name=texts, secret=texts, z=st.integers())
    def test_copy_deepcopy_and_pickle_round_trip(self, name: str, secret: str, z: int) -> None:
        """copy, deepcopy and pickle rebuild an equal record (the fields set past the guard)."""
        point = Point3(name, secret, z)
        for made in (copy.copy(point), copy.deepcopy(point), pickle.loads(pickle.dumps(point))):  # noqa: S301
            assert made == point
            assert type(made) is Point3
            with pytest.raises(AttributeError):
                made.z = 1  # type: ignore[misc]

"""`Record`: the one base of rideinfra's small immutable value objects.

A record's fields are its `__slots__`, its bases' first, in order. Its
`__init__` is written out (typed, with its defaults and checks) and stores
the fields with `self._init(name=value, ...)`: a record refuses attribute
assignment and deletion after that. From the fields the base gives every
record the same behaviour:

- equality (same class, equal fields) and a hash that agrees with it;
- a `repr` of the fields, leaving out those named in `_hidden` (a value, a
  file's content: a repr must never show a secret);
- `replace(record, **changes)`: a copy made by calling the class again, so its
  checks run on the new values (for classes whose `__init__` takes every field
  by its name);
- `as_dict(record)`: the fields by name (what `--json` prints);
- copying and pickling, which rebuild the fields the same way.

Why not attrs or dataclasses: both write each class's methods as source text
and `compile()` it when the class is created, about 0.25 ms a class, and the
start-up of `python -m rideinfra.fetch` created sixty of them. Here the
methods are written once; a class costs what a `class` statement costs.
Nothing here imports rideinfra.
"""

from __future__ import annotations

from typing import Any, ClassVar, TypeVar

__all__ = ["Record", "as_dict", "replace"]

_set = object.__setattr__


class Record:
    """Base of an immutable value object whose fields are its `__slots__` (see the module).

    A subclass declares `__slots__` (the names of its fields) and an `__init__`
    that calls `self._init` with every field by name; `_hidden` names the
    fields `repr` leaves out.
    """

    __slots__ = ()

    #: Every field, in order: the `__slots__` of the class and its bases (set per subclass).
    _fields: ClassVar[tuple[str, ...]] = ()
    #: Fields `repr` leaves out (values, file contents).
    _hidden: ClassVar[frozenset[str]] = frozenset()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "__slots__" not in cls.__dict__:
            # Without it instances get a __dict__ and fields could hide outside `_fields`.
            raise TypeError(f"{cls.__qualname__} must declare __slots__ (its fields)")
        cls._fields = tuple(
            name
            for klass in reversed(cls.__mro__)
            for name in klass.__dict__.get("__slots__", ())
            if not name.startswith("__")
        )

    def _init(self, **fields: Any) -> None:
        """Store every field (the one way a record's fields are set)."""
        if len(fields) != len(self._fields):
            missing = [name for name in self._fields if name not in fields]
            raise TypeError(f"{type(self).__name__}._init: no value for {', '.join(missing)}")
        for name, value in fields.items():
            _set(self, name, value)

    def _values(self) -> tuple[Any, ...]:
        return tuple([getattr(self, name) for name in self._fields])

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(
            f"{type(self).__name__} is immutable: make a changed copy with replace()"
        )

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Record) or other.__class__ is not self.__class__:
            return NotImplemented
        return self._values() == other._values()

    def __hash__(self) -> int:
        return hash((self.__class__, *self._values()))

    def __repr__(self) -> str:
        shown = ", ".join(
            f"{name}={getattr(self, name)!r}" for name in self._fields if name not in self._hidden
        )
        return f"{type(self).__name__}({shown})"

    def __getstate__(self) -> dict[str, Any]:
        return as_dict(self)

    def __setstate__(self, state: dict[str, Any]) -> None:
        for name, value in state.items():
            _set(self, name, value)


# Bound to the class, not to the string "Record": typing compiles a string bound into a
# ForwardRef, and the first compile() in a process sets up the ast module's types, about
# 2 ms (docs/design-notes.md, "Value objects": who pays it on a fetch).
_R = TypeVar("_R", bound=Record)


def replace(record: _R, /, **changes: Any) -> _R:
    """A copy of `record` with `changes`, made by its class's `__init__` (its checks run again).

    Raises:
        TypeError: a name in `changes` is not a parameter of the class's `__init__`.
    """
    return type(record)(**(as_dict(record) | changes))


def as_dict(record: Record) -> dict[str, Any]:
    """The fields of `record` by name, in order (not recursive: a field's value is as it is)."""
    return {name: getattr(record, name) for name in record._fields}

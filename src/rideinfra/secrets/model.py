"""The secret value model: values that never show themselves, and secrets made of them."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from types import MappingProxyType
from typing import Any, Literal, NoReturn

from rideinfra.errors import SecretFormatError, SerializationRefused, shown_name

# This module is on every path, `import rideinfra.secrets` in a service
# included, so it imports nothing it can do without: no attrs (~20 ms of
# start-up), and json, base64 and hmac only where a call needs them.

__all__ = [
    "MASK",
    "ParseOptions",
    "Secret",
    "SecretValue",
    "is_json_object",
    "options_for",
    "parse_secret_string",
]

MASK = "**********"


class SecretValue:
    """A string that does not show itself.

    `repr`, `str`, f-strings, `%` formatting and logging all print
    `**********`; `reveal()` is the one way to the text.

    Serialisation is refused, so a value cannot leave the process by accident
    (a cache, a multiprocessing queue or a debug dump would otherwise write it
    out in clear): every hook a serialiser can use (`__reduce_ex__`,
    `__reduce__`, `__getstate__`, `__setstate__`) raises `SerializationRefused`,
    which is not a `TypeError`, so serialisers that catch `TypeError` and fall
    back to reading attributes (jsonpickle) fail too. There is no `__dict__`
    (`vars()` refuses), and `json.dumps` refuses an object it does not know.
    `copy.copy` and `copy.deepcopy` return the value itself: it is immutable,
    and no second copy of the text is made.

    `structured` marks the JSON text of a nested object or array, kept for
    the `flatten` transform; such a value cannot be written as a variable.

    Raises:
        TypeError: `value` is not a str.
        AttributeError: `__init__` called again on a built value (it is immutable).
    """

    __slots__ = ("_structured", "_value")
    _structured: bool
    _value: str

    # Built in __new__, so __init__ can tell its own call (the arguments __new__
    # stored, the very objects) from a later one, at no cost of a failed
    # attribute read: a second __init__ must not change a value held elsewhere.
    def __new__(cls, value: str, *, structured: bool = False) -> SecretValue:
        if not isinstance(value, str):
            raise TypeError(f"SecretValue wraps a str, not {type(value).__name__}")
        self = _new(cls)
        self._value = value
        self._structured = structured
        return self

    def __init__(self, value: str, *, structured: bool = False) -> None:
        if value is not self._value or structured is not self._structured:
            raise AttributeError("SecretValue is immutable; make a new one")

    def reveal(self) -> str:
        """Return the secret text. Call it only where the value must be written."""
        return self._value

    @property
    def structured(self) -> bool:
        """True when the value is the JSON text of a nested object or array."""
        return self._structured

    def __repr__(self) -> str:
        return f"SecretValue('{MASK}')"

    def __str__(self) -> str:
        return MASK

    def __format__(self, format_spec: str) -> str:
        return format(MASK, format_spec)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, SecretValue):
            return NotImplemented
        import hmac

        # Constant time, so equality checks in a service do not time-leak the value.
        return self._structured == other._structured and hmac.compare_digest(
            self._value.encode("utf-8", "surrogatepass"),
            other._value.encode("utf-8", "surrogatepass"),
        )

    def __hash__(self) -> int:
        return hash((SecretValue, self._value, self._structured))

    def __bool__(self) -> bool:
        return bool(self._value)

    def __len__(self) -> int:
        return len(self._value)

    def __reduce_ex__(self, protocol: object) -> NoReturn:
        _refuse(self)

    def __reduce__(self) -> NoReturn:
        _refuse(self)

    def __getstate__(self) -> NoReturn:
        _refuse(self)

    def __setstate__(self, state: object) -> NoReturn:
        _refuse(self)

    def __copy__(self) -> SecretValue:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> SecretValue:
        return self


def _refuse(obj: object) -> NoReturn:
    raise SerializationRefused(
        f"{type(obj).__name__} cannot be pickled or serialised (it holds secret values); "
        "call .reveal() explicitly where the text must be written"
    )


class _Frozen:
    """Immutable slotted objects: attributes are set once, in `__init__`.

    Being immutable, a copy or deep copy is the object itself.
    """

    __slots__ = ()

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable; make a new one")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable")

    def __copy__(self) -> _Frozen:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> _Frozen:
        return self


class Secret(_Frozen):
    """One secret as read from a store: a name and its fields.

    Attributes:
        name: the secret's name (or id) as it was asked for.
        fields: field name -> value, in the order the store gave them (a
            read-only copy of the mapping given).
        version_id: the store's version id, where it has one.
        origin: which source it came from, e.g. `aws-secretsmanager` or `file:/x.yaml`.
    """

    __slots__ = ("fields", "name", "origin", "version_id")

    name: str
    fields: Mapping[str, SecretValue]
    version_id: str | None
    origin: str

    # Built in __new__ (checked, `fields` copied), so __init__, which type() then calls
    # with the very same arguments, can tell that call from a later one without a
    # failed attribute read: a second __init__ must not change a Secret others hold.
    def __new__(
        cls,
        name: str,
        fields: Mapping[str, SecretValue],
        version_id: str | None = None,
        origin: str = "",
    ) -> Secret:
        """Check the arguments' types and take a copy of `fields`.

        Raises:
            TypeError: an argument has the wrong type, or a field name is not a
                str or its value not a `SecretValue` (the message names the
                field and the type, never the value).
        """
        secret = _new(cls)
        _fill_secret(secret, *_checked_secret(name, fields, version_id, origin))
        return secret

    def __init__(
        self,
        name: str,
        fields: Mapping[str, SecretValue],
        version_id: str | None = None,
        origin: str = "",
    ) -> None:
        """Nothing to do (`__new__` built it); called again, AttributeError: it is immutable."""
        if (
            name is not self.name
            or version_id is not self.version_id
            or origin is not self.origin
            or not _same_fields(fields, self.fields)
        ):
            raise AttributeError("Secret is immutable; make a new one")

    @classmethod
    def _of(
        cls, name: str, fields: dict[str, SecretValue], version_id: str | None, origin: str
    ) -> Secret:
        """A Secret that takes `fields` as its own (a dict no one else holds): no copy."""
        secret = _new(cls)
        _fill_secret(secret, name, fields, version_id, origin)
        return secret

    @property
    def field_names(self) -> tuple[str, ...]:
        """The field names, in store order; safe to log."""
        return tuple(self.fields)

    def _key(self) -> tuple[object, ...]:
        return (self.name, self.fields, self.version_id, self.origin)

    def __eq__(self, other: object) -> bool:
        if type(other) is not Secret:
            return NotImplemented
        return self._key() == other._key()

    # The fields mapping is not hashable, so neither is a Secret.
    __hash__ = None  # type: ignore[assignment]

    # It holds values: refused like SecretValue itself, by name.
    def __reduce_ex__(self, protocol: object) -> NoReturn:
        _refuse(self)

    def __reduce__(self) -> NoReturn:
        _refuse(self)

    def __getstate__(self) -> NoReturn:
        _refuse(self)

    def __repr__(self) -> str:
        # Names only, each quoted by repr: a field name from the store can hold a
        # comma, a line break or a terminal escape.
        return (
            f"Secret(name={self.name!r}, fields={list(self.fields)!r}, "
            f"version_id={self.version_id!r}, origin={self.origin!r})"
        )


# Secret's slots, set past its refusing __setattr__ by their own descriptors: half the
# cost of object.__setattr__, which looks each name up again (a fetch makes one a secret).
_SET_NAME, _SET_FIELDS, _SET_VERSION_ID, _SET_ORIGIN = (
    Secret.__dict__[slot].__set__ for slot in ("name", "fields", "version_id", "origin")
)


def _same_fields(given: object, held: Mapping[str, SecretValue]) -> bool:
    # True when `held` is the copy __new__ took of `given`: the same values, by identity.
    try:
        return len(given) == len(held) and all(  # type: ignore[arg-type]
            given[field] is value  # type: ignore[index]
            for field, value in held.items()
        )
    except (TypeError, KeyError):
        return False


def _checked_secret(
    name: object, fields: object, version_id: object, origin: object
) -> tuple[str, dict[str, SecretValue], str | None, str]:
    # The public constructor's checks (Secret._of, the fetch path's, trusts its caller).
    if not isinstance(name, str):
        raise TypeError(f"Secret name must be a str, not {type(name).__name__}")
    if type(fields) is not dict and not isinstance(fields, Mapping):
        raise TypeError(
            f"Secret {shown_name(name)}: fields must be a mapping of field name -> "
            f"SecretValue, not {type(fields).__name__}"
        )
    copy = dict(fields)
    for field, value in copy.items():
        if not isinstance(field, str):
            raise TypeError(
                f"Secret {shown_name(name)}: field names must be str, not {type(field).__name__}"
            )
        if not isinstance(value, SecretValue):
            raise TypeError(
                f"Secret {shown_name(name)} field {field!r} must be a SecretValue, not "
                f"{type(value).__name__}; wrap the text: SecretValue(text)"
            )
    if version_id is not None and not isinstance(version_id, str):
        raise TypeError(
            f"Secret {shown_name(name)}: version_id must be a str or None, "
            f"not {type(version_id).__name__}"
        )
    if not isinstance(origin, str):
        raise TypeError(
            f"Secret {shown_name(name)}: origin must be a str, not {type(origin).__name__}"
        )
    return name, copy, version_id, origin


def _fill_secret(
    secret: Secret, name: str, fields: dict[str, SecretValue], version_id: str | None, origin: str
) -> None:
    _SET_NAME(secret, name)
    _SET_FIELDS(secret, MappingProxyType(fields))
    _SET_VERSION_ID(secret, version_id)
    _SET_ORIGIN(secret, origin)


class ParseOptions(_Frozen):
    """How a stored secret becomes fields when it is not a JSON object.

    Attributes:
        plain_field: a SecretString that is not a JSON object becomes this one
            field. Unset (the default), such a secret is a SecretFormatError.
        plain_always: with `plain_field`, the SecretString is that one field
            whatever it holds, a JSON object included (rideinfra.yaml's
            `plain:`, which declares the secret's shape). Without it, a JSON
            object still gives its fields.
        binary_field: a SecretBinary becomes this one field. Unset (the
            default), a binary secret is a SecretFormatError.
        binary_encoding: `base64` (any bytes; the default) or `utf-8`
            (the bytes must be valid UTF-8 text).

    Raises:
        TypeError: `plain_field` or `binary_field` is neither a str nor None.
        ValueError: `binary_encoding` is neither, or `plain_always` without `plain_field`.
        AttributeError: `__init__` called again on built options (they are immutable).
    """

    __slots__ = ("binary_encoding", "binary_field", "plain_always", "plain_field")

    plain_field: str | None
    plain_always: bool
    binary_field: str | None
    binary_encoding: Literal["base64", "utf-8"]

    def __init__(
        self,
        plain_field: str | None = None,
        binary_field: str | None = None,
        binary_encoding: Literal["base64", "utf-8"] = "base64",
        *,
        plain_always: bool = False,
    ) -> None:
        try:
            self.plain_field  # noqa: B018 (set: this is a second __init__)
        except AttributeError:
            pass
        else:
            raise AttributeError("ParseOptions is immutable; make a new one")
        for argument, field in (("plain_field", plain_field), ("binary_field", binary_field)):
            if field is not None and not isinstance(field, str):
                raise TypeError(
                    f"ParseOptions {argument} must be a field name (str) or None, "
                    f"not {type(field).__name__}"
                )
        if binary_encoding not in ("base64", "utf-8"):
            raise ValueError(
                f"binary_encoding must be 'base64' or 'utf-8', not {binary_encoding!r}"
            )
        if plain_always and plain_field is None:
            raise ValueError("plain_always needs plain_field: the field the string becomes")
        init = object.__setattr__
        init(self, "plain_field", plain_field)
        init(self, "plain_always", plain_always)
        init(self, "binary_field", binary_field)
        init(self, "binary_encoding", binary_encoding)

    def _key(self) -> tuple[object, ...]:
        return (self.plain_field, self.plain_always, self.binary_field, self.binary_encoding)

    def __eq__(self, other: object) -> bool:
        if type(other) is not ParseOptions:
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        always = ", plain_always=True" if self.plain_always else ""
        return (
            f"ParseOptions(plain_field={self.plain_field!r}, binary_field="
            f"{self.binary_field!r}, binary_encoding={self.binary_encoding!r}{always})"
        )


DEFAULT_PARSE = ParseOptions()

#: How messages name the config file; `rideinfra.profiles` puts the loaded file's path in.
CONFIG_FILE = "the config file (rideinfra.yaml)"
# Where a source's message says a plain or binary secret is declared (rideinfra.yaml's keys).
_PLAIN_HINT = (
    "if it is one plain value, declare it in " + CONFIG_FILE + ": "
    "`secrets: {{{name}: {{plain: FIELD}}}}` (Python: ParseOptions(plain_field=...))"
)
_BINARY_HINT = (
    "declare it in " + CONFIG_FILE + ": `secrets: {{{name}: {{binary: "
    "{{field: FIELD, encoding: base64}}}}}}` (Python: ParseOptions(binary_field=...))"
)


def options_for(
    name: str, options: ParseOptions, per_secret: Mapping[str, ParseOptions] | None
) -> ParseOptions:
    """The options for secret `name`: its own in `per_secret`, else the source's `options`."""
    if per_secret:
        return per_secret.get(name, options)
    return options


def is_json_object(text: str) -> bool:
    """True when `text` is a JSON object (what `parse_secret_string` reads as fields).

    A JSON object with a key twice counts as one: parsing it then names the key.
    """
    try:
        return isinstance(_decoder().decode(text), dict)
    except _DuplicateKey:
        return True
    except (ValueError, RecursionError):
        return False


#: Makes an object without running its `__init__`: a SecretValue whose text is known to
#: be a str (no check needed), a Secret whose fields dict needs no copy (`Secret._of`).
_new = object.__new__


def _text_value(text: str, structured: bool = False) -> SecretValue:
    """`SecretValue(text, structured=...)` for a `text` known to be a str, unchecked."""
    value = _new(SecretValue)
    value._value = text
    value._structured = structured
    return value


def _scalar_text(secret: str, field: str, value: Any) -> SecretValue:
    if isinstance(value, str):
        return _text_value(str(value))  # a _JsonNumber too: its text as stored, as a str

    if isinstance(value, bool):
        return _text_value("true" if value else "false")  # JSON's, not Python's "True"
    if isinstance(value, dict | list):
        return _text_value(json_text(value), structured=True)
    raise SecretFormatError(
        f"secret {secret!r} field {field!r} is null; store a string (or remove the field)",
        secret=secret,
    )


def parse_secret_string(
    name: str,
    text: str,
    *,
    options: ParseOptions = DEFAULT_PARSE,
    version_id: str | None = None,
    origin: str = "",
) -> Secret:
    """Turn a stored SecretString into a `Secret`.

    A JSON object gives one field per key; a number is its text as stored
    (`1e5` stays `1e5`), a boolean `true` or `false`; nested objects and
    arrays become `structured` values for the `flatten` transform. Anything else is one field named
    `options.plain_field`, or a SecretFormatError naming the secret (never
    the value).

    Raises:
        SecretFormatError: the text is empty, or not a JSON object and no
            `plain_field` was given, or a field is null, or a JSON object
            (at any depth) has a key twice.
    """
    if text == "":
        raise SecretFormatError(
            f"secret {name!r} is empty; store "
            + ("its value" if options.plain_always else "a JSON object"),
            secret=name,
        )
    if options.plain_always and options.plain_field is not None:
        # The config declares the shape: the whole string, whatever it looks like.
        return Secret._of(name, {options.plain_field: _text_value(text)}, version_id, origin)
    try:
        data = _json_of(text)
    except _DuplicateKey as exc:
        raise SecretFormatError(
            f"secret {name!r} has the key {exc.key!r} twice in one JSON object; JSON readers "
            "would silently keep one of the values, so remove or rename the other",
            secret=name,
        ) from None
    except (ValueError, RecursionError):
        data = _NOT_JSON
    if isinstance(data, dict):
        if not data:
            raise SecretFormatError(
                f"secret {name!r} is an empty JSON object; it has no fields to use", secret=name
            )
        fields: dict[str, SecretValue] = {}
        for key, value in data.items():  # JSON object keys are always str
            if type(value) is str:  # the common case, inline: a call per field costs
                field = _new(SecretValue)
                field._value = value
                field._structured = False
                fields[key] = field
            else:
                fields[key] = _scalar_text(name, key, value)
        return Secret._of(name, fields, version_id, origin)
    if options.plain_field is not None:
        return Secret._of(name, {options.plain_field: _text_value(text)}, version_id, origin)
    kind = "not valid JSON" if data is _NOT_JSON else f"a JSON {_json_kind(data)}"
    raise SecretFormatError(
        f"secret {name!r} is {kind}, not a JSON object of fields; store "
        '{"FIELD": "value", ...}, or, ' + _PLAIN_HINT.format(name=shown_name(name)),
        secret=name,
        code=NOT_JSON_OBJECT,
    )


def parse_secret_binary(
    name: str,
    data: bytes,
    *,
    options: ParseOptions = DEFAULT_PARSE,
    version_id: str | None = None,
    origin: str = "",
) -> Secret:
    """Turn a stored SecretBinary into a one-field `Secret`, where asked for.

    Raises:
        SecretFormatError: no `binary_field` was given, or the bytes are not
            UTF-8 when `binary_encoding` is `utf-8`.
    """
    if options.binary_field is None:
        raise SecretFormatError(
            f"secret {name!r} is binary (SecretBinary); to use it as one field (binary_field), "
            + _BINARY_HINT.format(name=shown_name(name)),
            secret=name,
            code=NOT_JSON_OBJECT,
        )
    if options.binary_encoding == "utf-8":
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            raise SecretFormatError(
                f"secret {name!r} is binary and not UTF-8 text; use `encoding: base64` "
                "(Python: binary_encoding='base64')",
                secret=name,
            ) from None
    else:
        import base64

        text = base64.b64encode(data).decode("ascii")
    return Secret._of(name, {options.binary_field: _text_value(text)}, version_id, origin)


_NOT_JSON = object()

#: The `code` of a SecretFormatError for a secret that is not a JSON object of fields.
NOT_JSON_OBJECT = "NotJsonObject"


class _JsonNumber(str):
    """A JSON number as the document writes it.

    Read as float and written back, `1e5` became `100000.0`, `1.10` became
    `1.1`, `-0` became `0` and `1e400` became `Infinity`: a value other than
    the one stored. Kept as its text, it is the same bytes.
    """

    __slots__ = ()


def _not_json(name: str) -> Any:
    # Python's json reads NaN, Infinity and -Infinity; no JSON reader does.
    raise ValueError(f"{name} is not a JSON number")


@cache
def _decoder() -> Any:
    # One decoder for every call: json.loads with a hook builds a new one each
    # time, which on a small secret costs as much as the hook itself.
    import json

    return json.JSONDecoder(
        object_pairs_hook=_unique_keys,
        parse_float=_JsonNumber,
        parse_int=_JsonNumber,
        parse_constant=_not_json,
    )


def read_json(text: str) -> Any:
    """`text` as JSON, numbers kept as their text (`json_text` writes them back as read).

    Raises:
        ValueError: not JSON (NaN and Infinity included).
    """
    return _decoder().decode(text)


def json_text(data: Any) -> str:
    """The JSON text of what `read_json` returned, as `json.dumps(data, ensure_ascii=False)`
    writes it, except that numbers keep the text they were read with."""
    import json

    if isinstance(data, _JsonNumber):
        return str(data)
    if isinstance(data, dict):
        items = (f"{json.dumps(k, ensure_ascii=False)}: {json_text(v)}" for k, v in data.items())
        return "{" + ", ".join(items) + "}"
    if isinstance(data, list):
        return "[" + ", ".join(json_text(item) for item in data) + "]"
    return json.dumps(data, ensure_ascii=False)  # str, bool, None


def _json_of(text: str) -> Any:
    """`_decoder().decode(text)`, its result and errors the same; faster for a bare object.

    A text that starts with `{` and ends where its object does is scanned
    directly (decode's two whitespace matches and two calls are a quarter of
    what decoding a small secret costs); anything else takes decode's own way.
    """
    decoder = _decoder()
    if text[:1] == "{":
        try:
            data, end = decoder.scan_once(text, 0)
        except StopIteration:
            pass  # decode raises its own error for this text
        else:
            if end == len(text):
                return data
    return decoder.decode(text)


class _DuplicateKey(Exception):
    # Not a ValueError: parse_secret_string reads those as "not JSON".
    def __init__(self, key: str) -> None:
        self.key = key


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # json's object_pairs_hook: the dict as json would build it, unless a key
    # repeats (json itself keeps the last silently). The length check keeps
    # the common case to one C-level dict() call.
    data = dict(pairs)
    if len(data) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _DuplicateKey(key)
            seen.add(key)
    return data


def _json_kind(data: object) -> str:
    if data is None:
        return "null"
    if isinstance(data, list):
        return "array"
    if isinstance(data, _JsonNumber):
        return "number"
    if isinstance(data, str):
        return "string"
    return "boolean"

"""The transforms rideinfra.yaml knows: each one's arguments, declared once.

A list item under `transforms:` is `name: arguments` or, for a transform that
needs none, the bare name. Adding a transform is one `_TRANSFORMS` entry
(plus its worked example in `_docgen.TRANSFORM_EXAMPLES`, which a test asks for).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rideinfra._record import Record
from rideinfra.profiles._declare import (
    INVALID,
    Bool,
    Field,
    Invalid,
    ListOf,
    Location,
    MapOf,
    Node,
    Optional,
    Reading,
    Str,
    Struct,
    did_you_mean,
    kind_of,
)
from rideinfra.secrets import transforms
from rideinfra.secrets.transforms import Transform, is_env_name

__all__ = [
    "TEMPLATE_MAP",
    "TRANSFORMS_NODE",
    "TRANSFORM_NAMES",
    "TransformItem",
    "build_transform",
]


class _Spec(Record):
    """One transform: its arguments (None: takes none), how to build it, whether bare is fine."""

    __slots__ = ("args", "build", "bare")
    args: Node | None
    build: Callable[[Any], Transform]
    bare: bool

    def __init__(self, args: Node | None, build: Callable[[Any], Transform], bare: bool) -> None:
        self._init(args=args, build=build, bare=bare)


def _no_args(factory: Callable[[], Transform]) -> _Spec:
    return _Spec(None, lambda _: factory(), bare=True)


_AIRFLOW_ARGS = Struct(
    {
        "sections": Field(MapOf(Str())),
        "others_prefix": Field(Optional(Str()), default="AIRFLOW_"),
    },
    build=lambda args, _: args,  # built by the _Spec, whose ValueError names the transform
    title="airflow arguments",
)
_FLATTEN_ARGS = Struct(
    {
        "prefix": Field(Optional(Str()), default=None),
        "sep": Field(Str(), default="__"),
        "uppercase": Field(Bool(), default=True),
    },
    build=lambda args, _: args,
    title="flatten arguments",
)
_NAMES = ListOf(Str())


def _template_text(text: str) -> str:
    try:
        transforms.parse_template(text)
    except ValueError as exc:
        raise Invalid(str(exc)) from None
    return text


def _template_variable(name: str) -> str:
    if not is_env_name(name):
        raise Invalid(
            f"{name!r} is not a valid variable name: ASCII letters, digits and _, "
            "not starting with a digit"
        )
    return name


#: `VARIABLE: "text {FIELD|escaper}"`, for the `template` transform and `profiles.<name>.template`.
TEMPLATE_MAP = MapOf(
    Str(convert=_template_text, expected='a template string like "redis://:{PASSWORD|url}@r"'),
    key=Str(convert=_template_variable),
    min_items=1,
)


def _class(name: str) -> Callable[..., Transform]:
    """Calls `transforms.<name>` when a transform is built, not at import.

    `rideinfra.secrets.transforms` imports a transform's module on first use,
    so a config without `template` or `flatten` does not load them.
    """

    def build(*args: Any) -> Transform:
        made: Transform = getattr(transforms, name)(*args)
        return made

    return build


_TRANSFORMS: dict[str, _Spec] = {
    "airflow": _Spec(
        _AIRFLOW_ARGS, lambda a: _class("Airflow")(a["sections"], a["others_prefix"]), bare=False
    ),
    "drop": _Spec(_NAMES, _class("Drop"), bare=False),
    # `flatten`, `flatten: null`: the defaults
    "flatten": _Spec(
        _FLATTEN_ARGS,
        lambda a: (
            _class("Flatten")()
            if a is None
            else _class("Flatten")(a["prefix"], a["sep"], a["uppercase"])
        ),
        bare=True,
    ),
    "keys": _Spec(_NAMES, _class("Keys"), bare=False),
    "prefix": _Spec(Str(), _class("Prefix"), bare=False),
    "qualify": _Spec(Str(), _class("Qualify"), bare=False),
    "rename": _Spec(MapOf(Str()), _class("Rename"), bare=False),
    "sanitize": _no_args(_class("Sanitize")),
    "template": _Spec(TEMPLATE_MAP, _class("Template"), bare=False),
    "uppercase": _no_args(_class("Uppercase")),
}
#: The transforms rideinfra.yaml knows, by name.
TRANSFORM_NAMES = tuple(sorted(_TRANSFORMS))


class TransformItem(Record):
    """One `transforms:` list item, built into its `Transform`."""

    __slots__ = ()

    def read(self, value: Any, at: Location, reading: Reading) -> Any:
        if isinstance(value, str):
            name, args, bare = value, None, True
        elif isinstance(value, dict) and len(value) == 1:
            ((name, args),) = value.items()
            bare = False
        else:
            return reading.refuse(
                at,
                "a transform is one `name: arguments` pair (like `rename: {OLD: NEW}`) or a "
                f"bare name (like `uppercase`), not {kind_of(value)}"
                + (f" with {len(value)} keys" if isinstance(value, dict) else ""),
            )
        spec = _TRANSFORMS.get(name) if isinstance(name, str) else None
        if spec is None:
            return reading.refuse(
                at,
                f"unknown transform `{name}` (valid transforms: {', '.join(TRANSFORM_NAMES)})"
                + did_you_mean(name, TRANSFORM_NAMES),
            )
        if bare and not spec.bare:
            return reading.refuse(at, f"`{name}` needs arguments: write `{name}: ...`")
        return self._build(name, spec, args, (*at, name), reading)

    @staticmethod
    def _build(name: str, spec: _Spec, args: Any, at: Location, reading: Reading) -> Any:
        """The transform from its arguments, the problems named after it (`prefix`: ...)."""
        if spec.args is None and args not in (None, {}):
            return reading.refuse(at, f"`{name}` takes no arguments")
        built = None
        if spec.args is not None and not (args is None and spec.bare):
            before = len(reading.problems)
            built = spec.args.read(args, at, reading)
            if built is INVALID:
                reading.problems[before:] = [
                    (loc, f"`{name}`: {message}") for loc, message in reading.problems[before:]
                ]
                return INVALID
        try:
            return spec.build(built)
        except (ValueError, TypeError) as exc:  # the transform's own checks
            return reading.refuse(at, f"`{name}`: {exc}")

    def schema(self, defs: dict[str, Any]) -> dict[str, Any]:
        options: list[dict[str, Any]] = [
            {"type": "string", "enum": [n for n in TRANSFORM_NAMES if _TRANSFORMS[n].bare]}
        ]
        for name in TRANSFORM_NAMES:
            spec = _TRANSFORMS[name]
            if spec.args is None:
                args: dict[str, Any] = {"type": ["object", "null"], "maxProperties": 0}
            elif spec.bare:
                args = {"anyOf": [spec.args.schema(defs), {"type": "null"}]}
            else:
                args = spec.args.schema(defs)
            options.append(
                {
                    "type": "object",
                    "properties": {name: args},
                    "required": [name],
                    "additionalProperties": False,
                }
            )
        return {"oneOf": options, "description": "a transform: `name: arguments` or a bare name"}


#: A `transforms:` list.
TRANSFORMS_NODE = ListOf(TransformItem())


def build_transform(item: Any) -> Transform:
    """The transform for one `transforms:` list item (as `_docgen`'s examples use it).

    Raises:
        ValueError: the item is not a valid transform; says why.
    """
    from pathlib import Path

    reading = Reading(Path.cwd())
    built = TransformItem().read(item, (), reading)
    if built is INVALID:
        raise ValueError("; ".join(message for _, message in reading.problems))
    return built  # type: ignore[no-any-return]

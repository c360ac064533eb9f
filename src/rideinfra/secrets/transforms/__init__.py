"""Key transforms: turn a secret's fields into variables, recording where each came from.

Every transform is a small frozen object called with a tuple of
`Entry` and returning new entries (the input is never changed).
`a | b` or `Pipeline(a, b)` composes them; each one's `repr` is its
line in rideinfra.yaml (`prefix: GF_SECURITY_`), which is also what each
entry's `Origin` records.

    >>> from rideinfra.secrets.model import Secret, SecretValue
    >>> secret = Secret("app/db", {"USER": SecretValue("u")})
    >>> [e.name for e in (Qualify("APP") | Prefix("X_"))(entries_from_secret(secret))]
    ['X_USER_APP']

Each name is imported from its module on first use: a config without
`template` or `flatten` does not load them.
"""

import typing

from rideinfra import _lazy

if typing.TYPE_CHECKING:
    from rideinfra.secrets.transforms._core import (
        BaseTransform,
        Entry,
        Origin,
        Pipeline,
        Transform,
        check_env_names,
        entries_from_secret,
        is_env_name,
    )
    from rideinfra.secrets.transforms._keys import (
        Airflow,
        Drop,
        Keys,
        Prefix,
        Qualify,
        Rename,
        Sanitize,
        Uppercase,
    )
    from rideinfra.secrets.transforms._nested import Flatten, Unflatten, unflatten
    from rideinfra.secrets.transforms._template import Placeholder, Template, parse_template

__all__ = [
    "Airflow",
    "BaseTransform",
    "Drop",
    "Entry",
    "Flatten",
    "Keys",
    "Origin",
    "Pipeline",
    "Placeholder",
    "Prefix",
    "Qualify",
    "Rename",
    "Sanitize",
    "Template",
    "Transform",
    "Unflatten",
    "Uppercase",
    "check_env_names",
    "entries_from_secret",
    "is_env_name",
    "parse_template",
    "unflatten",
]

_CORE = "rideinfra.secrets.transforms._core"
_KEYS = "rideinfra.secrets.transforms._keys"
_NESTED = "rideinfra.secrets.transforms._nested"
_TEMPLATE = "rideinfra.secrets.transforms._template"

#: Where each public name lives (tests/test_public_api.py holds this, the imports above
#: and `__all__` to the same names).
_HOME = {
    "Airflow": _KEYS,
    "BaseTransform": _CORE,
    "Drop": _KEYS,
    "Entry": _CORE,
    "Flatten": _NESTED,
    "Keys": _KEYS,
    "Origin": _CORE,
    "Pipeline": _CORE,
    "Placeholder": _TEMPLATE,
    "Prefix": _KEYS,
    "Qualify": _KEYS,
    "Rename": _KEYS,
    "Sanitize": _KEYS,
    "Template": _TEMPLATE,
    "Transform": _CORE,
    "Unflatten": _NESTED,
    "Uppercase": _KEYS,
    "check_env_names": _CORE,
    "entries_from_secret": _CORE,
    "is_env_name": _CORE,
    "parse_template": _TEMPLATE,
    "unflatten": _NESTED,
}

__getattr__, __dir__ = _lazy.lazy_exports(__name__, _HOME)

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
"""

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
from rideinfra.secrets.transforms._template import (
    Placeholder,
    Template,
    parse_template,
)

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

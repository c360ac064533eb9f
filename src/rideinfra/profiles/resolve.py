"""Secrets to per-profile environments: fetch once, transform, merge, select."""

from __future__ import annotations

import difflib
from collections.abc import Sequence

from rideinfra.errors import KeyCollision, TransformError
from rideinfra.profiles.model import Config, Env, Profile
from rideinfra.secrets.base import FetchResult, SecretSource
from rideinfra.secrets.transforms import Entry, entries_from_secret

__all__ = ["resolve", "resolve_profile"]


def resolve(
    config: Config, source: SecretSource, *, profiles: Sequence[str] | None = None
) -> dict[str, Env]:
    """Build each selected profile's `Env` from the store.

    Every secret the selected profiles use is fetched once, in a single
    `fetch_many` call. For each use of a secret, its secret-bound
    transforms run, then the use-bound ones; the results merge in the
    profile's order, then its `keys` allow-list applies.

    Args:
        config: the loaded configuration.
        source: where to read secrets.
        profiles: profile names to resolve (default: all, in file order).

    Returns:
        profile name -> Env, in the order selected.

    Raises:
        ConfigError: a profile name is unknown.
        SourceError: a secret could not be fetched (FetchErrors for several).
        TransformError: a transform failed, a nested value was left unflattened,
            or a `keys` entry names a variable no secret produced.
        KeyCollision: two origins give one variable different values.
    """
    chosen = config.select(profiles)
    result = source.fetch_many(config.secret_names(chosen))
    result.raise_errors()
    return {profile.name: resolve_profile(config, profile, result) for profile in chosen}


def resolve_profile(config: Config, profile: Profile, secrets: FetchResult) -> Env:
    """One profile's Env from already-fetched secrets (see `resolve()`).

    Raises:
        TransformError: as for `resolve()`; KeyError if a secret is absent
            from `secrets`.
    """
    merged: dict[str, Entry] = {}
    for ref in profile.secrets:
        entries = config.pipeline(ref)(entries_from_secret(secrets[ref.name]))
        for entry in entries:
            _refuse_structured(entry)
            first = merged.setdefault(entry.name, entry)
            if first is not entry and first.value != entry.value:
                raise KeyCollision(
                    entry.name, first.origin.ref, entry.origin.ref, profile=profile.name
                )
    if profile.keys is not None:
        merged = _allow(profile, merged)
    return Env(merged.values(), profile=profile.name)


def _refuse_structured(entry: Entry) -> None:
    if entry.value.structured:
        raise TransformError(
            f"{entry.origin.ref} holds a nested JSON object or array, which cannot be one "
            f"variable ({entry.name}); add a `flatten` transform for secret "
            f"{entry.origin.secret!r} (or `drop: [{entry.origin.field}]`)"
        )


def _allow(profile: Profile, merged: dict[str, Entry]) -> dict[str, Entry]:
    keys = profile.keys or ()
    for key in keys:
        if key not in merged:
            close = difflib.get_close_matches(key, list(merged), n=1)
            hint = f"; did you mean {close[0]}?" if close else ""
            raise TransformError(
                f"profile {profile.name!r} keeps {key} (keys:) but none of its secrets "
                f"produce it (they produce: {', '.join(sorted(merged)) or 'nothing'}){hint}"
            )
    return {key: merged[key] for key in keys}

"""Secrets to per-profile environments: fetch once, transform, merge, select."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from rideinfra._gc import collector_paused
from rideinfra.errors import KeyCollision, SecretFormatError, SourceError, TransformError
from rideinfra.profiles.model import Config, Env, Profile
from rideinfra.secrets.base import FetchResult, SecretSource
from rideinfra.secrets.model import CONFIG_FILE, NOT_JSON_OBJECT
from rideinfra.secrets.transforms import Entry, entries_from_secret

__all__ = ["fetch_secrets", "resolve", "resolve_profile"]


def fetch_secrets(config: Config, source: SecretSource, names: Iterable[str]) -> FetchResult:
    """One `fetch_many` of `names`; a secret that is not a JSON object is told which file to fix.

    The sources say "the config file"; the config knows which one that is.
    """
    result = source.fetch_many(names)
    if config.path is None or not any(_not_object(e) for e in result.errors.values()):
        return result
    errors: dict[str, SourceError] = {
        name: SecretFormatError(
            str(error).replace(CONFIG_FILE, f"the config file {config.path}"),
            secret=error.secret,
            code=error.code,
        )
        if _not_object(error)
        else error
        for name, error in result.errors.items()
    }
    return FetchResult({name: result[name] for name in result}, errors)


def _not_object(error: SourceError) -> bool:
    return isinstance(error, SecretFormatError) and error.code == NOT_JSON_OBJECT


def resolve(
    config: Config, source: SecretSource, *, profiles: Sequence[str] | None = None
) -> dict[str, Env]:
    """Build each selected profile's `Env` from the store.

    Every secret the selected profiles use is fetched once, in a single
    `fetch_many` call. For each use of a secret, its secret-bound
    transforms run, then the use-bound ones; the results merge in the
    profile's order, then its `template` variables are composed over the
    merged ones, then its `keys` allow-list applies.

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
    result = fetch_secrets(config, source, config.secret_names(chosen))
    result.raise_errors()
    # Building them allocates a few objects per variable and frees none, which is
    # what triggers the collector's full passes: each walks every object alive, the
    # fetched secrets included, so with it on 30,000 secrets cost twice as much per
    # variable as 1,000 (docs/benchmarks.md). What is built holds no reference cycle.
    with collector_paused():
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
    if profile.template is not None:
        # After the merge (one URL may combine fields of several secrets), before
        # `keys` (which may then keep the URL and drop the parts it was made from).
        composed = profile.template.compose(
            tuple(merged.values()), f"profile {profile.name!r}", secret=""
        )
        merged = {entry.name: entry for entry in composed}
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
            import difflib  # only for this message: 1-2 ms of every start-up otherwise

            close = difflib.get_close_matches(key, list(merged), n=1)
            hint = f"; did you mean {close[0]}?" if close else ""
            raise TransformError(
                f"profile {profile.name!r} keeps {key} (keys:) but none of its secrets "
                f"produce it (they produce: {', '.join(sorted(merged)) or 'nothing'}){hint}"
            )
    return {key: merged[key] for key in keys}

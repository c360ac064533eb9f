"""moto's rotation gap, closed for tests: moving AWSCURRENT moves what GetSecretValue returns.

moto (5.x) moves the staging labels in `UpdateSecretVersionStage` but keeps
answering `GetSecretValue` / `BatchGetSecretValue` without a stage with the
version that was current before (its `default_version_id`). Secrets Manager
answers the version that holds AWSCURRENT. `rotation_fixed` makes the
in-process moto server do that, so the rotation protocol (put AWSPENDING,
then move AWSCURRENT onto it) can be tested end to end.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from moto.secretsmanager.models import SecretsManagerBackend


@contextmanager
def rotation_fixed() -> Iterator[None]:
    real = SecretsManagerBackend.update_secret_version_stage

    def update(self: Any, secret_id: str, version_stage: str, **moves: str) -> Any:
        answer = real(self, secret_id, version_stage, **moves)
        moved_to = moves.get("move_to_version_id")
        if version_stage == "AWSCURRENT" and moved_to:
            self.secrets[secret_id].set_default_version_id(moved_to)
        return answer

    SecretsManagerBackend.update_secret_version_stage = update  # type: ignore[method-assign]
    try:
        yield
    finally:
        SecretsManagerBackend.update_secret_version_stage = real  # type: ignore[method-assign]

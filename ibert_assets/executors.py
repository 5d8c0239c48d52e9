"""Where Dagster runs the steps of every job of the definitions: on this machine, or on Celery
workers (``IBERT_EXECUTOR``; ``docs/deploy.md``).

The Celery executor reads its broker and result backend from the environment when a run starts
(Dagster's ``{"env": ...}`` source, the executor-config form of ``dg.EnvVar``), so the URLs stay
out of the stored run config and every machine can name its own. A step is acknowledged to the
broker only once it has ended (``task_acks_late``): a worker killed in the middle of a step
gives it back to the broker, and another worker runs it again. The workers are started with the
same settings from ``deploy/celery.yaml``.
"""

from __future__ import annotations

from typing import Any

import dagster as dg

from ibert_inference.settings import ENVIRONMENT, SettingsError

EXECUTORS = ("multiprocess", "celery")
CELERY_BROKER = "IBERT_CELERY_BROKER"
CELERY_BACKEND = "IBERT_CELERY_BACKEND"

# A step goes back to the broker when its worker dies, and a worker takes one step at a time
# (a second one it had reserved would wait behind a long step while another worker is idle).
CELERY_SETTINGS: dict[str, Any] = {
    "task_acks_late": True,
    "task_reject_on_worker_lost": True,
    "worker_prefetch_multiplier": 1,
}


def executor_for(name: str) -> dg.ExecutorDefinition | None:
    """The executor ``name`` stands for; None for Dagster's default (one process per step)."""
    if name == "multiprocess":
        return None
    if name == "celery":
        from dagster_celery import celery_executor

        return celery_executor.configured(
            {
                "broker": {"env": CELERY_BROKER},
                "backend": {"env": CELERY_BACKEND},
                "config_source": CELERY_SETTINGS,
            },
            name="celery_executor",
        )
    raise SettingsError(
        f"{ENVIRONMENT['executor']}={name!r} is not an executor: choose one of "
        f"{', '.join(EXECUTORS)} (docs/deploy.md), or unset it"
    )

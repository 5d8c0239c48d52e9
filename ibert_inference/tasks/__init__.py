"""The six tasks. Each module exposes one function returning a :class:`TaskResult`."""

from ibert_inference.tasks.result import TaskResult

__all__ = ["TaskResult"]

"""What crosses from a worker to its parent: JSON, decoded into known types only.

A worker's answer is data, never code: results are JSON values or registered dataclasses, errors
are rebuilt as iBERT's own error types by name (anything else becomes a plain IbertError).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from ibert_inference import errors

_RESULT_TYPES: dict[str, type] = {}


def register_result_type(cls: type) -> None:
    """Let ``cls`` (a dataclass of JSON values) be sent back by workers."""
    _RESULT_TYPES[f"{cls.__module__}:{cls.__qualname__}"] = cls


def encode_result(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        cls = type(value)
        return {
            "__dataclass__": f"{cls.__module__}:{cls.__qualname__}",
            "fields": dataclasses.asdict(value),
        }
    return value


def decode_result(value: Any) -> Any:
    if isinstance(value, dict) and "__dataclass__" in value:
        cls = _RESULT_TYPES.get(str(value["__dataclass__"]))
        if cls is None:
            kind = value["__dataclass__"]
            raise errors.IbertError(f"a worker sent an unknown result type {kind}")
        return cls(**value["fields"])
    return value


def encode_error(exc: BaseException) -> dict[str, Any]:
    if isinstance(exc, errors.IbertError):
        return {
            "type": type(exc).__name__,
            "message": str(exc),
            "construct": getattr(exc, "construct", ""),
            "line": getattr(exc, "line", None),
            "error_type": getattr(exc, "error_type", ""),
        }
    first_line = (str(exc).splitlines() or [""])[0]
    return {"type": "IbertError", "message": f"{type(exc).__name__}: {first_line}"}


def decode_error(data: dict[str, Any]) -> errors.IbertError:
    kinds: dict[str, type[errors.IbertError]] = {
        cls.__name__: cls
        for cls in vars(errors).values()
        if isinstance(cls, type) and issubclass(cls, errors.IbertError)
    }
    cls = kinds.get(str(data.get("type")), errors.IbertError)
    message = str(data.get("message", ""))
    if issubclass(cls, errors.UnsafeCodeError):
        error = cls(message, construct=str(data.get("construct") or ""))
        error.line = data.get("line")
        error.args = (message,)  # the message already names the line
        return error
    if issubclass(cls, errors.EvaluationError):
        return cls(message, error_type=str(data.get("error_type") or ""), line=data.get("line"))
    return cls(message)

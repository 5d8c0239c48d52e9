"""Hard limits a sandbox worker puts on itself before it runs anything from outside.

Each protection is applied where the kernel offers it and reported by name, so a caller (and a
test) can see what holds on this machine:

- ``parent_death``: the worker gets SIGKILL when its parent dies (``prctl(PR_SET_PDEATHSIG)``).
- ``no_network``: a fresh, empty network namespace (``unshare(CLONE_NEWUSER | CLONE_NEWNET)``),
  and Landlock denies TCP bind and connect where its ABI has network rules (4+).
- ``landlock``: files are read-only except under the scratch directory, and nothing can be
  executed, so no program can be started (Landlock, Linux 5.13+).
- ``memory``, ``cpu``, ``file_size``: ``RLIMIT_AS``, ``RLIMIT_CPU``, ``RLIMIT_FSIZE``.
- ``duckdb``: every DuckDB connection opened in the worker is locked
  (:mod:`ibert_inference.sandbox.locked_duckdb`): a memory limit, one thread, no extension
  installed or loaded, no file or network access, and its configuration locked.

Landlock is reached with ctypes: the ``landlock`` package on PyPI has no network rules.
"""

from __future__ import annotations

import ctypes
import os
import platform
import resource
import signal
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_PR_SET_PDEATHSIG = 1
_PR_SET_NO_NEW_PRIVS = 38
_CLONE_NEWUSER = 0x10000000
_CLONE_NEWNET = 0x40000000
# landlock_create_ruleset, landlock_add_rule, landlock_restrict_self: the same numbers on
# x86_64 and aarch64 (the generic syscall table)
_SYS_CREATE_RULESET, _SYS_ADD_RULE, _SYS_RESTRICT_SELF = 444, 445, 446
_LANDLOCK_CREATE_RULESET_VERSION = 1
_RULE_PATH_BENEATH = 1
_FS_EXECUTE, _FS_READ_FILE, _FS_READ_DIR = 1 << 0, 1 << 2, 1 << 3
_NET_BIND_TCP, _NET_CONNECT_TCP = 1 << 0, 1 << 1
_SCOPE_ABSTRACT_UNIX_SOCKET, _SCOPE_SIGNAL = 1 << 0, 1 << 1
# every file system right of each Landlock ABI: 13 rights in ABI 1, REFER (2), TRUNCATE (3),
# IOCTL_DEV (5)
_FS_ALL_BY_ABI = {1: (1 << 13) - 1, 2: (1 << 14) - 1, 3: (1 << 15) - 1, 4: (1 << 15) - 1}


# Every DuckDB connection that sees outside code (sandbox.locked_duckdb adds a memory limit)
LOCKED: dict[str, Any] = {
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
    "allow_community_extensions": False,
    "enable_external_access": False,
    "threads": 1,
    "lock_configuration": True,
}


@dataclass(frozen=True)
class Limits:
    """What a worker may use. Memory is address space on top of what the worker maps once DuckDB
    is loaded and has reserved its own (about 2 GB of address space, little of it resident)."""

    scratch: Path
    memory_bytes: int = 3 * 1024**3
    cpu_budget_s: int = 3_600
    file_size_bytes: int = 256 * 1024**2
    duckdb_memory: str = "1GB"


class _RulesetAttr(ctypes.Structure):
    _fields_ = [
        ("handled_access_fs", ctypes.c_uint64),
        ("handled_access_net", ctypes.c_uint64),
        ("scoped", ctypes.c_uint64),
    ]


class _PathBeneathAttr(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


def apply_limits(limits: Limits) -> dict[str, bool]:
    """Apply every protection the kernel offers to this process; say which ones hold."""
    libc = ctypes.CDLL(None, use_errno=True)
    applied = {
        "parent_death": libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0,
        "no_network": libc.unshare(_CLONE_NEWUSER | _CLONE_NEWNET) == 0,
    }
    applied["duckdb"] = _limit_duckdb(limits)
    applied.update(_rlimits(limits))
    applied["landlock"] = _landlock(libc, limits.scratch)
    return applied


def _rlimits(limits: Limits) -> dict[str, bool]:
    # RLIMIT_AS counts what is already mapped (a forked worker inherits its parent's mappings)
    mapped = os.sysconf("SC_PAGE_SIZE") * int(Path("/proc/self/statm").read_text().split()[0])
    used_cpu = int(sum(resource.getrusage(resource.RUSAGE_SELF)[:2])) + 1
    wanted = {
        "memory": (resource.RLIMIT_AS, mapped + limits.memory_bytes),
        "cpu": (resource.RLIMIT_CPU, used_cpu + limits.cpu_budget_s),
        "file_size": (resource.RLIMIT_FSIZE, limits.file_size_bytes),
        "core": (resource.RLIMIT_CORE, 0),
    }
    applied = {}
    for name, (which, value) in wanted.items():
        try:
            resource.setrlimit(which, (value, value))
            applied[name] = True
        except (ValueError, OSError):
            applied[name] = False
    return applied


def limit_job_cpu(seconds: float) -> None:
    """Let the next job use ``seconds`` of CPU: SIGXCPU (which kills) when it uses more."""
    used = sum(resource.getrusage(resource.RUSAGE_SELF)[:2])
    _, hard = resource.getrlimit(resource.RLIMIT_CPU)
    soft = int(used + seconds) + 1
    if hard != resource.RLIM_INFINITY:
        soft = min(soft, hard)
    resource.setrlimit(resource.RLIMIT_CPU, (soft, hard))


def cpu_left() -> float:
    """CPU seconds left of the worker's whole budget (its hard limit)."""
    _, hard = resource.getrlimit(resource.RLIMIT_CPU)
    if hard == resource.RLIM_INFINITY:
        return float("inf")
    return hard - sum(resource.getrusage(resource.RUSAGE_SELF)[:2])


def _landlock(libc: Any, scratch: Path) -> bool:
    if platform.system() != "Linux":
        return False
    syscall = libc.syscall
    syscall.restype = ctypes.c_long
    abi = syscall(_SYS_CREATE_RULESET, None, 0, _LANDLOCK_CREATE_RULESET_VERSION)
    if abi < 1:
        return False
    fs_all = _FS_ALL_BY_ABI.get(abi, _FS_ALL_BY_ABI[4] | (1 << 15))
    attr = _RulesetAttr(handled_access_fs=fs_all)
    if abi >= 4:
        attr.handled_access_net = _NET_BIND_TCP | _NET_CONNECT_TCP
    if abi >= 6:
        attr.scoped = _SCOPE_ABSTRACT_UNIX_SOCKET | _SCOPE_SIGNAL
    size = ctypes.sizeof(_RulesetAttr) if abi >= 6 else 16 if abi >= 4 else 8
    ruleset = syscall(_SYS_CREATE_RULESET, ctypes.byref(attr), size, 0)
    if ruleset < 0:
        return False
    try:
        # read everything (Python imports lazily), write only the scratch directory, execute
        # nothing: no new program can start
        rules = {"/": _FS_READ_FILE | _FS_READ_DIR, str(scratch): fs_all & ~_FS_EXECUTE}
        for path, access in rules.items():
            descriptor = os.open(path, os.O_PATH | os.O_CLOEXEC)
            try:
                rule = _PathBeneathAttr(allowed_access=access, parent_fd=descriptor)
                if syscall(_SYS_ADD_RULE, ruleset, _RULE_PATH_BENEATH, ctypes.byref(rule), 0):
                    return False
            finally:
                os.close(descriptor)
        if libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
            return False
        return syscall(_SYS_RESTRICT_SELF, ruleset, 0) == 0
    finally:
        os.close(ruleset)


def _limit_duckdb(limits: Limits) -> bool:
    """Every DuckDB connection of this process opens with limits SQL cannot lift."""
    import duckdb

    if getattr(duckdb.connect, "__ibert_limited__", False):
        return True
    original = duckdb.connect
    # the locked configuration (no extensions, no files or network, locked), whoever connects;
    # RLIMIT_AS bounds the process whatever SQL does
    forced: dict[str, Any] = {
        **LOCKED,
        "memory_limit": limits.duckdb_memory,
        "temp_directory": str(limits.scratch / "duckdb"),
    }

    def connect(
        database: Any = ":memory:", read_only: bool = False, config: Any = None, **kw: Any
    ) -> Any:
        return original(database, read_only, {**(config or {}), **forced}, **kw)

    connect.__ibert_limited__ = True  # type: ignore[attr-defined]
    duckdb.connect = connect
    # DuckDB reserves its address space on the first connection: before RLIMIT_AS is measured;
    # kept for the worker's first job (opening one costs ~20-30 ms, a cold start's tenth)
    _SPARE.append(connect())
    return True


_SPARE: list[Any] = []


def take_spare_connection() -> Any | None:
    """The in-memory connection a worker opened while limiting itself (locked with the
    worker's settings, which every connection of a worker gets), once; None after that and
    outside a worker."""
    return _SPARE.pop() if _SPARE else None

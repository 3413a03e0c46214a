"""The CPU a command runs on: its name, the features that decide which runtime is fastest, its cores.

Read from ``/proc/cpuinfo`` (Linux); elsewhere the name comes from ``platform`` and no feature
is known. No imports beyond the standard library.
"""

from __future__ import annotations

import functools
import os
import platform

__all__ = ["CpuInfo", "cpu_info", "parse_cpuinfo", "usable_cores", "total_memory_mb", "SPEED_FEATURES"]

# /proc/cpuinfo flag -> what it is; the instructions int8 and bfloat16 inference run on.
SPEED_FEATURES = {
    "avx512_vnni": "AVX-512 VNNI",
    "avx_vnni": "AVX-VNNI",
    "avx512_bf16": "AVX-512 BF16",
    "amx_int8": "AMX-INT8",
    "amx_bf16": "AMX-BF16",
}


class CpuInfo:
    def __init__(self, name: str, flags: frozenset[str], cores: int):
        self.name = name
        self.flags = flags
        self.cores = cores

    @property
    def features(self) -> list[str]:
        """The ``SPEED_FEATURES`` this CPU has, by their usual names."""
        return [label for flag, label in SPEED_FEATURES.items() if flag in self.flags]

    @property
    def native_bf16(self) -> bool:
        """Whether bfloat16 matrix maths runs in hardware (AMX-BF16 or AVX-512 BF16)."""
        return bool({"amx_bf16", "avx512_bf16"} & self.flags)

    def describe(self) -> str:
        """``AMD EPYC 9B14, 2 cores; AVX-512 VNNI, AVX-512 BF16`` (``no int8/bf16 instructions`` if none)."""
        return f"{self.name}, {self.cores} core{'s' if self.cores != 1 else ''}; {', '.join(self.features) or 'no VNNI/AMX/BF16 instructions'}"

    def as_dict(self) -> dict:
        return {"name": self.name, "cores": self.cores, "features": self.features}


def usable_cores() -> int:
    """The cores this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def parse_cpuinfo(text: str, cores: int = 1) -> CpuInfo:
    """A ``CpuInfo`` from the text of ``/proc/cpuinfo`` (the first processor's name and flags)."""
    name, flags = "", frozenset()
    for line in text.splitlines():
        key, _, value = line.partition(":")
        key = key.strip()
        if key == "model name" and not name:
            name = " ".join(value.split())
        elif key in ("flags", "Features") and not flags:
            flags = frozenset(value.split())
        if name and flags:
            break
    return CpuInfo(name or platform.processor() or platform.machine() or "unknown CPU", flags, cores)


@functools.cache
def cpu_info() -> CpuInfo:
    """The CPU this process runs on (read once per process)."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as f:
            text = f.read()
    except OSError:
        text = ""
    return parse_cpuinfo(text, usable_cores())


def total_memory_mb() -> float | None:
    """This computer's physical memory in MiB (None where the system does not say)."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**20
    except (ValueError, OSError, AttributeError):
        return None

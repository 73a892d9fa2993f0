"""Public test kit (kopf.testing style): the in-memory twins of every outside system.

Tests, notebooks and benchmarks import from here; production code must not (an import-linter
contract enforces it). The demo uses the same twins through their own modules.
"""

from forescale.scaler.actuators.memory import MemoryActuator, MemoryObject
from forescale.scaler.clock import VirtualClock
from forescale.scaler.metrics.memory import FrameSource

__all__ = ["FrameSource", "MemoryActuator", "MemoryObject", "VirtualClock"]

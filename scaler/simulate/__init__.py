"""Discrete-time trace replay: how a scaling policy would have served a real load trace.

Used by ``forescale simulate``, the tests, the notebooks and the benchmarks. See `replay` for the
exact semantics.
"""

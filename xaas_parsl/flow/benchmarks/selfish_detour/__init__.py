"""640.selfish-detour: Netgauge's "selfish detour" OS-noise probe as one task.

Upstream's ``measure`` loads a small C library reading the x86 ``rdtsc`` counter. Ours spins on
``time.perf_counter_ns`` in Python (any architecture, no compiler at packaging time): the same
algorithm, a coarser probe (one loop iteration costs tens of nanoseconds instead of a few).
"""

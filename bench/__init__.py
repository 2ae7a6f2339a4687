"""Benchmarks, one command each (``make bench-*``); results and the machine in
``docs/benchmarks.md``.

May import: anything but ``tests`` (what it shares with the tests lives in ``sandbox``).
"""

"""Benchmark harness: runs the same three endpoints on several ASGI frameworks and writes `results/RESULTS.md`."""

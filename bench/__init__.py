"""Benchmarks: `python -m bench [--quick] [--db sqlite|postgres|both]` (see BENCHMARKS.md)."""

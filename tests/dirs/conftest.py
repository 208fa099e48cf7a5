"""DIR tests use the shared simulator fixtures of tests/sim.py (connected, make_dir)."""

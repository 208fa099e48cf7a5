"""Simulator tests: the fixtures are in tests/sim.py (shared by every package that talks to Telnyx)."""

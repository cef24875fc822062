"""Supervised instruction tuning: example encoding, the accelerate entry point and its launcher."""

"""Reliability and security proof: fuzzing, security, load and fault tests (RELIABILITY.md)."""

"""Alliance Assistant: local-first reflective practice for psychotherapists."""

__version__ = "0.1.0"

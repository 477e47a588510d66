"""Research workflows: batch-coding outputs and run records, agreement with human
coders, and running the batch coder on a Ray cluster.

Modules are imported by name (``assistant.research.agreement`` ...) so that using one
never imports the heavy dependencies of another (Ray, pyarrow, torch).
"""

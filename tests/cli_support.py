"""Run the ``alliance`` command in-process, as a user would call it, for CLI tests."""

from __future__ import annotations

import sys

import pytest

from assistant.cli import main


def run_cli(monkeypatch, capsys, *args: str) -> tuple[int, str, str]:
    """``alliance ARGS``: its exit code, stdout and stderr."""
    monkeypatch.setattr(sys, "argv", ["alliance", *args])
    with pytest.raises(SystemExit) as info:
        main()
        sys.exit(0)
    out, err = capsys.readouterr()
    return int(info.value.code or 0), out, err

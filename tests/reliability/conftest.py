"""The ``long`` marker: on-demand versions (bigger fuzzing budgets, load, soak).

pyproject's ``addopts`` deselects them (``-m "not long"``); run them with
``pytest -m long tests/reliability``. The marker is also registered here so the
folder works under ``--strict-markers`` on its own, and a run with no ``-m`` at all
skips them rather than spending minutes by surprise.
"""

from __future__ import annotations

import pytest

LONG_HELP = "long: on-demand reliability runs (fuzzing, load, soak); run with -m long"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", LONG_HELP)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if "long" in (config.getoption("markexpr") or ""):
        return
    skip = pytest.mark.skip(reason="long run; select it with -m long")
    for item in items:
        if item.get_closest_marker("long") is not None:
            item.add_marker(skip)

"""Batch coding on a Ray cluster with Ray Data (``alliance code --engine ray``).

The same unit of work as on one machine (``assistant.coding.code_unit``: a run of
input files, coded chunk by chunk) runs inside a pool of Ray actors through
``Dataset.map_batches``; each actor loads the model once in its constructor. Results
come back to the driver in input order and the driver writes them with the same
writer as the local engines, so the output files are the same bytes.

Input paths must be readable at the same path on every node (a shared filesystem,
as on most clusters); with a local Ray (``ray.init()`` on this machine) they are.
Ray is an optional extra: ``pip install 'alliance-assistant[ray]'``.
"""

from __future__ import annotations

import json
import logging
import pickle
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import astuple
from typing import Any

from assistant.coding import CodingOptions, Event, UnitFile, code_unit
from assistant.errors import ValidationError

logger = logging.getLogger(__name__)

E_RAY = (
    "the Ray engine needs Ray Data, which is not installed; install it with: "
    "pip install 'alliance-assistant[ray]' (or leave out --engine ray)"
)
MAX_BLOCKS = 10_000  # one unit per block up to this many, so actors share the work evenly
EVENTS_PER_ROW = 256  # a unit's events travel in rows of this many, so no row gets huge


def require_ray() -> Any:
    try:
        import ray
        import ray.data  # noqa: F401
    except ImportError:
        raise ValidationError(E_RAY) from None
    return ray


class UnitCoder:
    """A Ray Data actor: loads the tagger once, then codes one unit per input row.

    It yields a unit's events in rows of ``EVENTS_PER_ROW`` keyed (unit, part, last),
    so the driver can put them back in order and knows when a unit is complete.
    """

    def __init__(self, loader: Callable[[], Any], options: CodingOptions, threads: int) -> None:
        self.tagger = loader()
        self.options = options
        torch = sys.modules.get("torch")
        if torch is not None:
            torch.set_num_threads(threads)

    def __call__(self, batch: dict[str, Any]) -> Iterator[dict[str, Any]]:
        import numpy as np

        for unit_number, files in zip(batch["unit"], batch["files"], strict=True):
            unit = [UnitFile(*item) for item in json.loads(str(files))]
            part, events = 0, []
            for event in code_unit(unit, self.tagger, self.options):
                events.append(event)
                if len(events) >= EVENTS_PER_ROW:
                    yield self._row(np, int(unit_number), part, events, last=False)
                    part, events = part + 1, []
            yield self._row(np, int(unit_number), part, events, last=True)

    @staticmethod
    def _row(np: Any, unit: int, part: int, events: list[Event], last: bool) -> dict[str, Any]:
        payload = np.empty(1, dtype=object)
        payload[0] = pickle.dumps(events, protocol=pickle.HIGHEST_PROTOCOL)
        return {
            "unit": np.array([unit]),
            "part": np.array([part]),
            "last": np.array([last]),
            "payload": payload,
        }


def _in_order(rows: Iterator[dict[str, Any]], units: int) -> Iterator[Event]:
    """Events by (unit, part), whatever order the rows arrive in."""
    waiting: dict[tuple[int, int], dict[str, Any]] = {}
    unit, part = 0, 0
    for row in rows:
        waiting[(int(row["unit"]), int(row["part"]))] = row
        while (unit, part) in waiting:
            current = waiting.pop((unit, part))
            yield from pickle.loads(current["payload"])
            unit, part = (unit + 1, 0) if bool(current["last"]) else (unit, part + 1)
    if unit != units:
        raise RuntimeError(f"Ray returned no result for unit {unit} of {units}")


def ray_events(
    units: Sequence[Sequence[UnitFile]],
    loader: Callable[[], Any],
    options: CodingOptions,
    *,
    address: str | None = None,
    actors: int | None = None,
    cpus_per_actor: int = 1,
) -> Iterator[Event]:
    """Code ``units`` on Ray (connecting to ``address``, or the Ray already started,
    or a new local one) and yield their events in input order."""
    ray = require_ray()
    started_here = not ray.is_initialized()
    if started_here:
        ray.init(address=address, include_dashboard=False, logging_level=logging.WARNING)
    elif address is not None:
        logger.info("Ray is already initialised; ignoring --address %s", address)
    context = ray.data.DataContext.get_current()
    saved = (context.execution_options.preserve_order, context.enable_progress_bars)
    try:
        context.execution_options.preserve_order = True
        context.enable_progress_bars = False
        if actors is None:
            cpus = int(ray.cluster_resources().get("CPU", 1))
            actors = max(1, cpus // cpus_per_actor)
        actors = max(1, min(actors, len(units)))
        logger.info("coding %d units with %d Ray actors", len(units), actors)
        rows = [
            {"unit": number, "files": json.dumps([list(astuple(f)) for f in unit])}
            for number, unit in enumerate(units)
        ]
        dataset = ray.data.from_items(rows, override_num_blocks=min(len(rows), MAX_BLOCKS))
        coded = dataset.map_batches(
            UnitCoder,
            fn_constructor_args=(loader, options, cpus_per_actor),
            batch_size=1,
            compute=ray.data.ActorPoolStrategy(size=actors),
            num_cpus=cpus_per_actor,
        )
        yield from _in_order(coded.iter_rows(), len(rows))
    finally:
        context.execution_options.preserve_order, context.enable_progress_bars = saved
        if started_here:
            ray.shutdown()

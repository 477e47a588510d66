"""The core's one tagger: model calls queue behind a lock, and small calls run on one
torch thread while whole transcripts keep every thread."""

from __future__ import annotations

import threading
import time

import torch

from assistant.core import SMALL_CALL_TEXTS, Assistant, SerialTagger
from assistant.settings import Settings
from tests.service_support import SESSION_TEXT, FakeTagger


class RecordingTagger(FakeTagger):
    def __init__(self) -> None:
        super().__init__()
        self.active = 0
        self.most_active = 0
        self.threads_seen: list[int] = []
        self._guard = threading.Lock()

    def encode(self, texts):
        with self._guard:
            self.active += 1
            self.most_active = max(self.most_active, self.active)
        self.threads_seen.append(torch.get_num_threads())
        time.sleep(0.01)
        with self._guard:
            self.active -= 1
        return super().encode(texts)


def test_core_tagger_calls_run_one_at_a_time():
    inner = RecordingTagger()
    tagger = SerialTagger(inner)
    workers = [threading.Thread(target=tagger.encode, args=(["hi"],)) for _ in range(8)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert inner.most_active == 1 and len(inner.threads_seen) == 8


def test_core_tagger_small_calls_use_one_thread_and_restore_it():
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        inner = RecordingTagger()
        tagger = SerialTagger(inner)
        tagger.encode(["one message"])
        tagger.encode(["many"] * (SMALL_CALL_TEXTS + 1))
        assert inner.threads_seen == [1, 2]
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)


def test_core_tagger_is_shared_and_passes_attributes_through(tmp_path):
    inner = FakeTagger()
    core = Assistant(Settings(data_dir=tmp_path), tagger=inner)
    assert isinstance(core.tagger, SerialTagger)
    assert core.tagger.name == "fake-tagger" and core.model_name == "fake-tagger"
    from assistant.io import read_bytes

    transcript = read_bytes(SESSION_TEXT.encode(), "s.txt")[0]
    coded = list(core.tagger.transform([transcript, transcript]))
    assert len(coded) == 2 and inner.calls == 2
    assert core.tagger.transform_turn("You feel stuck.").tags == ["reflection"]

"""The core object the CLI, the service and the tests all build (datasette-style).

``Assistant`` owns the settings, the loaded tagger, the chat coach and the database,
and offers the operations every interface needs. It loads the model once, on
``start()`` or first use. Every operation on stored data takes the caller's user id
and goes through the owner-scoped storage functions, so isolation holds for every
interface, not only for the API. Operations never import FastAPI.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import re
import threading
from collections import Counter, OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.errors import ModelError, NotFoundError, TranscriptError, ValidationError
from assistant.model import Transcript
from assistant.profile import SessionProfile, build_profile
from assistant.settings import PROJECT_ROOT, Settings, get_settings

if TYPE_CHECKING:
    from assistant.measures import ORS, SRS
    from assistant.storage import Database
    from assistant.storage.tables import (
        ChatConversation,
        ChatMessage,
        StoredMeasure,
        StoredTranscript,
        User,
    )
    from assistant.tagging import Tagger

logger = logging.getLogger(__name__)

DEMO_TRANSCRIPT = PROJECT_ROOT / "data" / "demo" / "demo_session.txt"
DEMO_TITLE = "Demo session"
ADMIN_NAME = "admin"
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
# Model calls on at most this many texts run on one thread (see SerialTagger).
SMALL_CALL_TEXTS = 16
E_MANY_CONVERSATIONS = (
    "the file holds {n} conversations; upload one session at a time "
    "(use 'alliance code' for batches)"
)


@dataclass
class UploadOptions:
    """What a clinician may say about an upload besides the file itself."""

    fmt: str | None = None
    therapist: str | None = None
    title: str = ""
    client_code: str = ""
    session_date: str = ""
    redact: bool | None = None  # None: the ALLIANCE_REDACT_UPLOADS default

    def check(self) -> None:
        """Raise ``ValidationError`` before any work is done on a bad option."""
        if len(self.title) > 200:
            raise ValidationError("title is longer than 200 characters")
        if len(self.client_code) > 60:
            raise ValidationError("client_code is longer than 60 characters")
        if self.session_date:
            try:
                if not ISO_DATE.fullmatch(self.session_date):
                    raise ValueError(self.session_date)
                dt.date.fromisoformat(self.session_date)
            except ValueError:
                raise ValidationError(
                    f"session_date {self.session_date!r} is not a date; expected YYYY-MM-DD"
                ) from None


@dataclass
class LoadedSession:
    """A stored transcript, decoded: its row (columns only), turns and profile."""

    row: StoredTranscript
    transcript: Transcript
    profile: SessionProfile
    extras: dict[str, Any] = field(default_factory=dict)


@dataclass
class ChatResult:
    conversation_id: str
    transcript_id: str | None
    reply: Any  # assistant.chat.ChatReply
    references: list[dict[str, Any]]
    drill: dict[str, Any] | None


@dataclass
class _Decoded:
    transcript: Transcript
    profile: SessionProfile
    stored_profile: dict[str, Any]  # the row's JSON column, kept so it is parsed once
    extras: dict[str, Any] = field(default_factory=dict)


class _SessionCache:
    """Decoded transcripts by id (LRU). Stored transcripts never change after upload,
    so entries only go on delete; the owner check always runs against the database."""

    def __init__(self, size: int):
        self.size = size
        self._items: OrderedDict[str, _Decoded] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> _Decoded | None:
        with self._lock:
            item = self._items.get(key)
            if item is not None:
                self._items.move_to_end(key)
            return item

    def put(self, key: str, item: _Decoded) -> None:
        if self.size <= 0:
            return
        with self._lock:
            self._items[key] = item
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def drop(self, key: str) -> None:
        with self._lock:
            self._items.pop(key, None)


class SerialTagger:
    """The process's one tagger, its model calls taken one at a time.

    Torch spreads a call over every core with a team of spinning threads; two calls
    at once (a chat message while a session is coded, or twenty chats) start two
    teams that fight for the same cores and every call slows down many times over.
    So calls queue behind a lock, and small calls (a chat message, a drill answer, a
    single turn) run on one thread: splitting them gains nothing and a busy machine
    makes the spinning costly. Whole transcripts use every core. Everything else is
    passed through to the tagger.
    """

    def __init__(self, tagger: Any):
        self._tagger = tagger
        self._lock = threading.RLock()
        self._threads: int | None = None  # torch's setting for big calls, read on first use

    def __getattr__(self, name: str) -> Any:
        return getattr(self._tagger, name)

    @contextmanager
    def _call(self, small: bool) -> Iterator[None]:
        with self._lock:
            import torch

            if self._threads is None:
                self._threads = torch.get_num_threads()
            narrow = small and self._threads > 1
            if narrow:
                torch.set_num_threads(1)
            try:
                yield
            finally:
                if narrow:
                    torch.set_num_threads(self._threads)

    def encode(self, texts: list[str]) -> Any:
        with self._call(small=len(texts) <= SMALL_CALL_TEXTS):
            return self._tagger.encode(texts)

    def transform_transcript(self, transcript: Transcript) -> Transcript:
        with self._call(small=len(transcript.turns) <= SMALL_CALL_TEXTS):
            return self._tagger.transform_transcript(transcript)

    def transform_turn(self, *args: Any, **kwargs: Any) -> Any:
        with self._call(small=True):
            return self._tagger.transform_turn(*args, **kwargs)

    def transform(self, transcripts: Any, batch_size: int | None = None) -> Iterator[Transcript]:
        # Held per coded transcript, so a long batch never blocks chat for its whole run.
        coded = iter(self._tagger.transform(transcripts, batch_size))
        while True:
            with self._call(small=False):
                item = next(coded, None)
            if item is None:
                return
            yield item


def _as_dict(value: Any) -> dict[str, Any]:
    return value.model_dump() if hasattr(value, "model_dump") else dict(value)


class Assistant:
    def __init__(
        self,
        settings: Settings | None = None,
        *,
        database: Database | None = None,
        tagger: Tagger | None = None,
        coach: Any | None = None,
    ):
        self.settings = settings or get_settings()
        self.demo: Transcript | None = None
        self._cache = _SessionCache(self.settings.session_cache_size)
        # Tests and benchmarks hand in their own parts; otherwise they load on first use.
        if database is not None:
            self.__dict__["database"] = database
        if tagger is not None:
            self.__dict__["tagger"] = SerialTagger(tagger)
        if coach is not None:
            self.__dict__["coach"] = coach

    # ------------------------------------------------------------------ parts
    @cached_property
    def tagger(self) -> Tagger:
        from assistant.tagging import load_tagger

        return SerialTagger(load_tagger(self.settings.model, self.settings))  # type: ignore[return-value]

    @cached_property
    def database(self) -> Database:
        from assistant.storage import open_database

        return open_database(self.settings.resolved_database_url)

    @cached_property
    def coach(self) -> Any:
        try:
            from assistant.chat import Coach
        except ImportError as error:
            raise ModelError("the chat coach (assistant.chat) is not installed") from error
        return Coach(self.tagger, self.settings)

    @property
    def ready(self) -> bool:
        return "tagger" in self.__dict__

    def ping_database(self) -> bool:
        """True when the database answers a trivial query."""
        from sqlalchemy import text

        try:
            with self.database.session() as session:
                session.execute(text("SELECT 1"))
        except Exception as error:  # any failure means 'not ready', never a crash
            logger.warning("database check failed: %s", type(error).__name__)
            return False
        return True

    @property
    def model_name(self) -> str | None:
        return self.tagger.name if self.ready else None

    @property
    def demo_summary(self) -> str | None:
        if self.demo is None:
            return None
        counts = Counter(tag for turn in self.demo.turns for tag in turn.tags)
        top = ", ".join(f"{tag} {n}" for tag, n in counts.most_common(6))
        return f"{self.demo.id}, {len(self.demo.turns)} turns ({top})"

    def start(self, *, demo: bool = False) -> None:
        """Prepare the data folder, the database and the model once; optionally code the demo."""
        self.settings.data_dir.mkdir(parents=True, exist_ok=True)
        self.database  # noqa: B018  (migrate now, not on the first request)
        self.tagger  # noqa: B018  (load now, not on the first request)
        try:
            self.coach  # noqa: B018  (its exemplar embeddings are computed once, here)
        except ModelError as error:
            logger.warning("chat is unavailable: %s", error)
        if demo and self.demo is None:
            self.demo = self.code_file(DEMO_TRANSCRIPT)[0]
            logger.info("demo transcript coded: %s", self.demo_summary)

    # ------------------------------------------------------------------ files
    def read(self, path: str | Path, fmt: str | None = None, therapist: str | None = None):
        from assistant.io import read_transcripts

        return read_transcripts(path, fmt=fmt, therapist=therapist, settings=self.settings)

    def code(self, transcripts: list[Transcript]) -> list[Transcript]:
        return list(self.tagger.transform(transcripts))

    def code_file(self, path: str | Path, fmt: str | None = None) -> list[Transcript]:
        return self.code(self.read(path, fmt=fmt))

    # ------------------------------------------------------------------ accounts
    def authenticate(self, token: str | None) -> User | None:
        """The user a valid token belongs to (detached, columns loaded), else None."""
        from assistant.storage.users import user_for_token

        with self.database.session() as session:
            return user_for_token(session, token)

    def add_user(self, name: str, role: str, *, token_label: str | None = None):
        """Create a user; with ``token_label`` also a token, returned once."""
        from assistant.storage.users import create_token, create_user

        with self.database.session() as session:
            user = create_user(session, name, role)
            token = create_token(session, user, token_label) if token_label is not None else None
        return user, token

    def create_token(self, name: str, label: str = "") -> str:
        from assistant.storage.users import create_token, get_user

        with self.database.session() as session:
            return create_token(session, get_user(session, name), label)

    def revoke_tokens(self, name: str) -> int:
        from assistant.storage.users import get_user, revoke_tokens

        with self.database.session() as session:
            return revoke_tokens(session, get_user(session, name))

    def list_users(self) -> list[User]:
        from assistant.storage.users import list_users

        with self.database.session() as session:
            return list_users(session)

    def bootstrap(self, *, demo: bool = False) -> str | None:
        """First start: with no users yet, create ``admin`` and return its first token
        (the caller shows it once; it is never logged). With ``demo``, store the coded
        demo transcript for the admin unless it is already there."""
        from sqlalchemy import select

        from assistant.storage.tables import User
        from assistant.storage.transcripts import list_transcripts
        from assistant.storage.users import create_token, create_user

        token = None
        with self.database.session() as session:
            if session.scalar(select(User.id).limit(1)) is None:
                admin = create_user(session, ADMIN_NAME, "admin")
                token = create_token(session, admin, "first admin token")
                logger.info("created the first admin user %r", ADMIN_NAME)
            admin = session.scalar(select(User).where(User.name == ADMIN_NAME)) or session.scalar(
                select(User).where(User.role == "admin").order_by(User.id).limit(1)
            )
            have_demo = admin is not None and any(
                row.title == DEMO_TITLE for row in list_transcripts(session, admin.id)
            )
        if demo and admin is not None and not have_demo:
            if self.demo is None:
                self.demo = self.code_file(DEMO_TRANSCRIPT)[0]
            # Stored under its file name only, like an upload (no server paths).
            source = {**self.demo.source, "filename": DEMO_TRANSCRIPT.name}
            demo_copy = self.demo.model_copy(update={"source": source})
            self._store(admin.id, demo_copy, UploadOptions(title=DEMO_TITLE), None)
            logger.info("stored the demo transcript for user %d", admin.id)
        return token

    # ------------------------------------------------------------------ transcripts
    def prepare_upload(
        self, data: bytes, filename: str, options: UploadOptions
    ) -> tuple[Transcript, dict[str, int] | None]:
        """Validate and read an upload (and redact it when asked); nothing is stored."""
        from assistant.io import read_bytes

        options.check()
        transcripts = read_bytes(
            data, filename, fmt=options.fmt, therapist=options.therapist, settings=self.settings
        )
        if len(transcripts) != 1:
            raise TranscriptError(E_MANY_CONVERSATIONS.format(n=len(transcripts)), path=filename)
        transcript = transcripts[0]
        redact = self.settings.redact_uploads if options.redact is None else options.redact
        if not redact:
            return transcript, None
        from assistant.redact import redact_transcript

        return redact_transcript(transcript)

    def upload(
        self, owner_id: int, data: bytes, filename: str, options: UploadOptions
    ) -> LoadedSession:
        """Size check, read (validation), optional redaction, tagging, profile, then one
        unit of work that stores it all; any failure on the way stores nothing."""
        transcript, redactions = self.prepare_upload(data, filename, options)
        coded = self.tagger.transform_transcript(transcript)
        return self._store(owner_id, coded, options, redactions)

    def _store(
        self,
        owner_id: int,
        coded: Transcript,
        options: UploadOptions,
        redactions: dict[str, int] | None,
    ) -> LoadedSession:
        from assistant.redact import redact_text
        from assistant.storage.transcripts import save_transcript

        title = options.title
        if redactions is not None:
            title = redact_text(title) if title else "Redacted session"
        profile = build_profile(coded)
        with self.database.session() as session:
            row = save_transcript(
                session,
                owner_id,
                coded,
                title=title,
                client_code=options.client_code,
                session_date=options.session_date,
                model=self.tagger.name,
            )
            # The stored session answers to its new id everywhere, profile included.
            profile = dataclasses.replace(profile, conversation_id=row.id)
            row.profile = profile.to_dict()
            row.meta = {**row.meta, "redactions": redactions}
            session.flush()
        stored = coded.model_copy(update={"id": row.id})
        self._cache.put(row.id, _Decoded(stored, profile, row.profile))
        logger.info(
            "stored transcript %s for user %d: %d turns, model %s",
            row.id,
            owner_id,
            len(coded.turns),
            row.model,
        )
        return LoadedSession(row, stored, profile)

    def list_transcripts(self, owner_id: int) -> list[StoredTranscript]:
        from assistant.storage.transcripts import list_transcripts

        with self.database.session() as session:
            return list_transcripts(session, owner_id)

    def load(self, owner_id: int, transcript_id: str) -> LoadedSession:
        """The owner's transcript with turns and profile (decoded once, then cached).

        The owner check always asks the database; the large profile column is only
        read from it when the session is not in the cache (parsing it on every chat
        message would cost more than the rest of the lookup)."""
        from sqlalchemy.orm import defer
        from sqlalchemy.orm.attributes import set_committed_value

        from assistant.storage.tables import StoredTranscript
        from assistant.storage.transcripts import to_transcript

        with self.database.session() as session:
            row = session.get(
                StoredTranscript, transcript_id, options=[defer(StoredTranscript.profile)]
            )
            if row is None or row.owner_id != owner_id:
                raise NotFoundError(f"no transcript {transcript_id}")
            cached = self._cache.get(row.id)
            if cached is None:
                transcript = to_transcript(row)
                cached = _Decoded(transcript, build_profile(transcript), row.profile)
                self._cache.put(row.id, cached)
            else:
                set_committed_value(row, "profile", cached.stored_profile)
        return LoadedSession(row, cached.transcript, cached.profile, cached.extras)

    def delete_transcript(self, owner_id: int, transcript_id: str) -> None:
        from assistant.storage.transcripts import delete_transcript

        with self.database.session() as session:
            delete_transcript(session, owner_id, transcript_id)
        self._cache.drop(transcript_id)
        logger.info("deleted transcript %s of user %d", transcript_id, owner_id)

    def attach_measure(
        self, owner_id: int, transcript_id: str, measure: SRS | ORS
    ) -> StoredMeasure:
        from assistant.storage.transcripts import attach_measure

        with self.database.session() as session:
            return attach_measure(session, owner_id, transcript_id, measure)

    def measures(self, owner_id: int, transcript_id: str) -> list[StoredMeasure]:
        from assistant.storage.transcripts import measures_for

        with self.database.session() as session:
            return measures_for(session, owner_id, transcript_id)

    def feedback(self, owner_id: int, transcript_id: str) -> Any:
        """The deliberate-practice feedback for a stored session (computed once)."""
        loaded = self.load(owner_id, transcript_id)
        if "feedback" not in loaded.extras:
            try:
                from assistant.feedback import build_feedback
            except ImportError as error:
                raise ModelError("feedback (assistant.feedback) is not installed") from error
            loaded.extras["feedback"] = build_feedback(
                loaded.transcript, loaded.profile, self.tagger
            )
        return loaded.extras["feedback"]

    def report_html(self, owner_id: int, transcript_id: str) -> str:
        """The self-contained HTML report, with the latest SRS and ORS when attached."""
        from assistant.measures import ORS, SRS, SessionMeasures

        loaded = self.load(owner_id, transcript_id)  # the owner check comes first
        try:
            from assistant.report import render_html
        except ImportError as error:
            raise ModelError("reports (assistant.report) are not installed") from error
        feedback = self.feedback(owner_id, transcript_id)
        latest: dict[str, Any] = {}
        for stored in self.measures(owner_id, transcript_id):
            latest[stored.kind] = stored.values
        measures = SessionMeasures(
            ors=ORS.model_validate(latest["ors"]) if "ors" in latest else None,
            srs=SRS.model_validate(latest["srs"]) if "srs" in latest else None,
        )
        return render_html(loaded.transcript, loaded.profile, feedback, measures=measures)

    # ------------------------------------------------------------------ chat
    def chat(
        self,
        owner_id: int,
        message: str,
        *,
        conversation_id: str | None = None,
        transcript_id: str | None = None,
    ) -> ChatResult:
        """One chat turn: read the conversation (or check the transcript for a new one),
        ask the coach, then store both messages and the coach's memory together."""
        from assistant.storage.chat import add_message, create_conversation, get_conversation
        from assistant.storage.chat import set_state as store_state

        message = message.strip()
        if not message:
            raise ValidationError("the message is empty")
        if len(message) > self.settings.max_chat_chars:
            raise ValidationError(
                f"the message has {len(message)} characters; the limit is "
                f"{self.settings.max_chat_chars} (ALLIANCE_MAX_CHAT_CHARS)"
            )
        state: dict[str, Any] = {}
        if conversation_id is not None:
            with self.database.session() as session:
                conversation = get_conversation(session, owner_id, conversation_id)
                state = dict(conversation.state or {})
                bound = conversation.transcript_id
            if transcript_id is not None and transcript_id != bound:
                raise ValidationError(
                    f"conversation {conversation_id} is about "
                    f"{'transcript ' + bound if bound else 'no transcript'}; "
                    "start a new conversation for another transcript"
                )
            transcript_id = bound
        loaded = self.load(owner_id, transcript_id) if transcript_id is not None else None
        # The coach runs outside any database transaction: writers never wait on it.
        reply = self.coach.reply(
            message,
            state,
            loaded.transcript if loaded else None,
            loaded.profile if loaded else None,
        )
        references = [_as_dict(ref) for ref in reply.references]
        drill = getattr(reply, "drill", None)
        drill = _as_dict(drill) if drill is not None else None
        with self.database.session() as session:
            if conversation_id is None:
                conversation = create_conversation(session, owner_id, transcript_id)
            else:
                conversation = get_conversation(session, owner_id, conversation_id)
            add_message(session, conversation, "user", message)
            add_message(
                session,
                conversation,
                "assistant",
                reply.text,
                intent=reply.intent,
                references=references,
            )
            store_state(conversation, reply.state)
            conversation_id = conversation.id
        return ChatResult(conversation_id, transcript_id, reply, references, drill)

    def conversations(self, owner_id: int) -> list[tuple[ChatConversation, int]]:
        from assistant.storage.chat import list_conversations

        with self.database.session() as session:
            return list_conversations(session, owner_id)

    def conversation(
        self, owner_id: int, conversation_id: str
    ) -> tuple[ChatConversation, list[ChatMessage]]:
        from assistant.storage.chat import get_conversation, messages_for

        with self.database.session() as session:
            conversation = get_conversation(session, owner_id, conversation_id)
            return conversation, messages_for(session, owner_id, conversation_id)

    def delete_conversation(self, owner_id: int, conversation_id: str) -> None:
        from assistant.storage.chat import delete_conversation

        with self.database.session() as session:
            delete_conversation(session, owner_id, conversation_id)


__all__ = ["Assistant", "ChatResult", "LoadedSession", "UploadOptions"]

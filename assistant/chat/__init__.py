"""The chat coach: talk with the assistant about one session (or reflect without one).

``Coach(tagger, settings).reply(message, state, transcript, profile) -> ChatReply``.
See ``assistant/chat/coach.py`` for the memory it keeps and the checks a reply passes.
"""

from assistant.chat.coach import ChatReply, Coach, DrillSuggestion, Reference

__all__ = ["ChatReply", "Coach", "DrillSuggestion", "Reference"]

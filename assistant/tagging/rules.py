"""Context rules applied on top of the head's probabilities, one transcript at a time.

The head sees a turn, the turn before it and a short window of cues. Some codes depend
on a longer or more specific context, and the literature states them as rules; these
functions apply them explicitly so they can be read, tested and cited. Each rule
changes probabilities (never the head's weights), records ``Evidence(kind="rule")``
when it fires, and is applied before the per-tag thresholds, which are tuned on a dev
split with the rules switched on.

Order (``apply_rules``): role mask -> echo reflection -> rupture window -> opening
pleasantries -> scaling question -> acknowledgement -> farewell -> repair after rupture
-> rigid not repair -> advice permission -> self-disclosure timing.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from assistant.model import Evidence, Role

OPENING_TURNS = 10
REPAIR_WINDOW = 3
LONG_DISCLOSURE_WORDS = 60


def just_over(thresholds: dict[str, float], tag: str) -> float:
    """A score that passes ``tag``'s threshold without claiming more certainty."""
    return min(0.95, thresholds[tag] + 0.05)


def just_under(thresholds: dict[str, float], tag: str) -> float:
    """A score that stops short of ``tag``'s threshold."""
    return max(0.0, thresholds[tag] - 0.05)


@dataclass
class TurnState:
    """One turn while it is being tagged: its text, context facts and probabilities."""

    role: Role
    text: str
    index: int
    scores: dict[str, float]
    attribute_scores: dict[str, dict[str, float]] = field(default_factory=dict)
    cue_tags: set[str] = field(default_factory=set)
    surface: dict[str, float] = field(default_factory=dict)
    evidence: dict[str, list[Evidence]] = field(default_factory=dict)

    def note(self, tag: str, rule: str, explanation: str) -> None:
        self.evidence.setdefault(tag, []).append(
            Evidence(kind="rule", text=explanation, source=rule)
        )

    def raise_to(self, tag: str, floor: float, rule: str, explanation: str) -> None:
        if tag in self.scores and self.scores[tag] < floor:
            self.scores[tag] = floor
            self.note(tag, rule, explanation)

    def lower_to(self, tag: str, ceiling: float, rule: str, explanation: str) -> None:
        if tag in self.scores and self.scores[tag] > ceiling:
            self.scores[tag] = ceiling
            self.note(tag, rule, explanation)

    def scale(self, tag: str, factor: float, rule: str, explanation: str) -> None:
        if tag in self.scores and factor != 1.0:
            self.scores[tag] *= factor
            self.note(tag, rule, explanation)

    @property
    def words(self) -> list[str]:
        return _WORD.findall(self.text.lower())


_WORD = re.compile(r"[a-z']+|[^\sa-z']")


def role_mask(states: Sequence[TurnState], label_roles: dict[str, str]) -> None:
    """Therapist codes only on therapist turns, client codes only on client turns.

    The codebook's ``applies_to`` (and, for a lab's own labels, the role each label
    was seen on in training) decides; a turn of another role (``Role.OTHER``, e.g. an
    interpreter) gets no codes.
    """
    allowed: dict[Role, set[str]] = {}
    for state in states:
        if state.role not in allowed:
            allowed[state.role] = {t for t, r in label_roles.items() if r == state.role.value}
        keep = allowed[state.role]
        state.scores = {tag: p for tag, p in state.scores.items() if tag in keep}


# --------------------------------------------------------------------- ruptures
# 3RS withdrawal markers "minimal response" and "deferential and appeasing"
# (Eubanks, Muran & Safran 2015).
MINIMAL_ANSWERS = {
    "i don't know",
    "i dont know",
    "i dunno",
    "dunno",
    "don't know",
    "dont know",
    "fine",
    "i'm fine",
    "im fine",
    "whatever",
    "sure",
    "i guess",
    "guess so",
    "maybe",
    "okay",
    "ok",
    "no",
    "nothing",
    "not really",
    "if you say so",
    "whatever you think",
    "it's fine",
    "its fine",
    "i suppose",
    "mm",
    "yeah i guess",
    "same",
    "nope",
}
# A short answer that engages ("yeah, exactly that") is not withdrawal (codebook).
ENGAGED_WORDS = {"exactly", "totally", "definitely", "yes!", "absolutely", "true", "right!"}
PRESSING_TAGS = ("advice", "rigidity", "closed_question")


@functools.lru_cache(maxsize=8192)  # rules read each turn's text several times
def _normalised(text: str) -> str:
    text = text.lower().strip()
    text = re.sub(r"[^\w\s']", " ", text)
    return re.sub(r"\s+", " ", text).strip()


def is_minimal_answer(text: str) -> bool:
    """A flat, minimal reply: a known stock answer, or one to three words with no content."""
    norm = _normalised(text)
    if not norm or any(word in ENGAGED_WORDS for word in norm.split()):
        return False
    if norm in MINIMAL_ANSWERS:
        return True
    stripped = re.sub(r"^(um|uh|erm|well|i mean|yeah|mm) ", "", norm)
    return stripped in MINIMAL_ANSWERS


def rupture_window(states: Sequence[TurnState], window: int = 4) -> None:
    """Raise ``rupture_withdrawal`` for a minimal answer after a pressing therapist turn.

    3RS (Eubanks, Muran & Safran 2015) codes withdrawal from the client's move in
    context: a minimal or deferential answer is a marker when it follows the
    therapist pressing (advice, a correction, a string of closed questions), and a
    run of minimal answers in a short window is a stronger one. A minimal answer to a
    neutral question is left to the head.
    """
    minimal_rows: list[int] = []
    for row, state in enumerate(states):
        if state.role is not Role.CLIENT or "rupture_withdrawal" not in state.scores:
            continue
        if not is_minimal_answer(state.text):
            continue
        previous = _previous(states, row, Role.THERAPIST)
        pressing = (
            previous is not None
            and max((previous.scores.get(tag, 0.0) for tag in PRESSING_TAGS), default=0.0) >= 0.5
            and not _soft_question(previous)
        )
        recent = [r for r in minimal_rows if row - r <= window]
        minimal_rows.append(row)
        if pressing and recent:
            state.raise_to(
                "rupture_withdrawal",
                0.75,
                "rupture_window",
                "a second minimal answer within a few turns, after the therapist pressed "
                "(3RS: minimal response)",
            )
        elif pressing:
            state.raise_to(
                "rupture_withdrawal",
                0.5,
                "rupture_window",
                "a minimal answer right after the therapist pressed (3RS: minimal response)",
            )


# Session-opening pleasantries. Our coders never code withdrawal in a reply to a
# greeting (0 of 43 such replies in the training scenes); "fine, traffic was bad" to
# "how was the drive?" answers the ritual, not the work. The 3RS rates a client's
# movement away from the therapist or the task, and there is no task yet.
GREETING_TURNS = 4  # the client replies at turn 1 or 3: the first two exchanges
GREETING = re.compile(
    r"\b(how (are|r) (you|ya)\b|how('?ve| have) you been|"
    r"how('?s| is| has| have| are| was)( it| things| everything)( been| going)?\b|"
    r"how('?s| is| was| has| were) (your|the) (week|weekend|drive|journey|trip|day|holiday|"
    r"holidays|morning|bus|train|traffic|christmas|break|evening|flight|commute|parking)\b|"
    r"(good|nice|lovely|great) to (see|meet) you|come (on |right )?(in|through)\b|"
    r"did you find (us|the place|it|parking|somewhere)|(have|take|grab) a seat)"
)


def opening_pleasantries(states: Sequence[TurnState]) -> None:
    """Lower ``rupture_withdrawal`` on a reply to a greeting at the start of a session.

    Only withdrawal: a complaint at the door ("is it? you get paid either way") is
    still a confrontation marker.
    """
    for row, state in enumerate(states):
        if state.role is not Role.CLIENT or state.index >= GREETING_TURNS:
            continue
        if state.scores.get("rupture_withdrawal", 0.0) <= 0.0:
            continue
        before = turn_before(states, row)
        if before is None or states[before].role is not Role.THERAPIST:
            continue
        if GREETING.search(states[before].text.lower()):
            state.scale(
                "rupture_withdrawal",
                0.5,
                "opening_pleasantries",
                "a reply to a greeting before the work starts (3RS rates moves away "
                "from the therapist or the task)",
            )


# ------------------------------------------------------------ acknowledgement
# A bare yes, no or "okay" after a turn that presses nothing answers a closed question
# or takes in information; the codebook excludes "a plain factual answer to a closed
# question" from withdrawal. The training scenes code it withdrawal in 33 of 496 such
# replies (58 of 70 after advice, rigidity or an open question; 9 of 19 after the
# therapist's own story, a turn the codebook counts as mis-attuned when it takes the
# focus). "Fine", "maybe", "dunno" are the codebook's withdrawal cues, not on the list.
ACKNOWLEDGEMENTS = frozenset(
    {
        "yeah", "yes", "yep", "yup", "no", "nope", "nah", "right", "ok", "okay",
        "alright", "all right", "oh right", "oh ok", "oh okay", "ok then", "okay then",
        "sure", "mm", "mhm", "mm hmm", "uh huh", "yeah ok", "yeah okay", "yes okay",
        "okay yeah", "ok yeah",
    }
)  # fmt: skip
UNPRESSING_BELOW = ("advice", "rigidity", "open_question", "self_disclosure")


def is_acknowledgement(text: str) -> bool:
    """The whole turn is an acknowledgement, a yes or a no ("Oh. Right.", "yeah okay")."""
    return _normalised(text) in ACKNOWLEDGEMENTS


def acknowledgement(states: Sequence[TurnState], thresholds: dict[str, float]) -> None:
    """Halve ``rupture_withdrawal`` on an acknowledgement of a turn that presses nothing.

    Runs after ``rupture_window``: a run of minimal answers after pressing stays a marker.
    """
    for row, state in enumerate(states):
        if state.role is not Role.CLIENT or state.scores.get("rupture_withdrawal", 0.0) <= 0.0:
            continue
        if not is_acknowledgement(state.text):
            continue
        if any(e.source == "rupture_window" for e in state.evidence.get("rupture_withdrawal", [])):
            continue
        before = turn_before(states, row)
        if before is None or states[before].role is not Role.THERAPIST:
            continue
        therapist = states[before]
        if any(
            therapist.scores.get(tag, 0.0) >= thresholds.get(tag, 0.5) for tag in UNPRESSING_BELOW
        ):
            continue
        state.scale(
            "rupture_withdrawal",
            0.5,
            "acknowledgement",
            "a bare acknowledgement of a turn that pressed nothing (codebook: a plain "
            "answer to a closed question is not withdrawal)",
        )


# ------------------------------------------------------------ farewell
# A goodbye is often an imperative ("take care", "say hello to the dog for me") but it
# asks the client to change nothing (MITI 4.2.1 codes advice as an attempt to). The
# training scenes seldom reach a session's end (8 goodbyes, 7 not advice), so the
# head has not learned the ritual.
CLOSING_ROWS = 4
FAREWELL = re.compile(
    r"\b(?:take care|say hello to|mind how you go|get home safe|good luck with|"
    r"safe (?:journey|trip|home)|"
    r"have a (?:good|nice|lovely|great) (?:week|weekend|one|evening|day|christmas|holiday)|"
    r"see you (?:next|then|soon|on|in a|in two|after))\b"
)


def farewell(states: Sequence[TurnState]) -> None:
    """Halve ``advice`` on a goodbye at the close of a transcript with no advice cue."""
    for row in range(max(0, len(states) - CLOSING_ROWS), len(states)):
        state = states[row]
        if state.role is not Role.THERAPIST or state.scores.get("advice", 0.0) <= 0.0:
            continue
        if "advice" in state.cue_tags or not FAREWELL.search(state.text.lower()):
            continue
        state.scale(
            "advice",
            0.5,
            "farewell",
            "a goodbye at the close of the session (MITI codes advice as an attempt "
            "to change what the client does)",
        )


# ------------------------------------------------------------ scaling question
# A rating on a scale asks for a number, which the codebook's closed_question
# definition names. "A six out of ten" reports a rating and "rate your mood out of
# ten" sets homework; neither asks, so both are left to the head.
NUMBER_WORDS = frozenset(
    "zero nought naught one two three four five six seven eight nine ten".split()
)
SCALE = re.compile(
    r"\b(?:on a scale|scale of|from (?:zero|nought|naught|one|0|1) to|"
    r"(?:zero|nought|naught|one|0|1) ?(?:to|-) ?(?:five|ten|a hundred|5|10|100)\b)"
)
OUT_OF = re.compile(r"(?:\b([a-z0-9']+) )?out of (?:ten|10|a hundred|100)\b")


def names_scale(sentence: str) -> bool:
    """A scale named as the frame of an answer, not a rating already given."""
    if SCALE.search(sentence):
        return True
    return any(
        not (word and (word in NUMBER_WORDS or word.isdigit()))
        for word in (match.group(1) for match in OUT_OF.finditer(sentence))
    )


RATING_ASK = re.compile(
    r"\?|\b(?:how|where|what number|what would you (?:give|put|say)|"
    r"(?:can|could|would|will) you rate)\b"
)
OTHER_QUESTION = re.compile(
    r"\?\s*$|^(?:and |so |but |okay,? |ok,? )?(?:what|how|why|tell me|describe|in what way)\b"
)
_SENTENCE = re.compile(r"(?<=[.?!])\s+")


def asks_for_rating(text: str) -> tuple[bool, bool]:
    """(asks for a rating on a scale, asks anything else) for one therapist turn."""
    rating = other = False
    for sentence in _SENTENCE.split(text.lower().strip()):
        if names_scale(sentence) and RATING_ASK.search(sentence):
            rating = True
        elif OTHER_QUESTION.search(sentence.strip()):
            other = True
    return rating, other


def scaling_question(states: Sequence[TurnState], thresholds: dict[str, float]) -> None:
    """Code a request for a rating on a scale as a closed question, and only that."""
    if "closed_question" not in thresholds:
        return
    floor = just_over(thresholds, "closed_question")
    explanation = (
        "asks for a rating on a scale, which narrows the answer to a number "
        "(codebook: closed_question)"
    )
    for state in states:
        if state.role is not Role.THERAPIST:
            continue
        rating, other = asks_for_rating(state.text)
        if not rating:
            continue
        state.raise_to("closed_question", floor, "scaling_question", explanation)
        if not other and "open_question" in thresholds:
            state.lower_to(
                "open_question",
                thresholds["open_question"] * 0.5,
                "scaling_question",
                explanation,
            )


def _soft_question(state: TurnState) -> bool:
    """An open question or an explicit permission check does not press."""
    return (
        state.scores.get("open_question", 0.0) >= 0.5
        or state.scores.get("collaboration", 0.0) >= 0.5
    )


def turn_before(states: Sequence[TurnState], row: int) -> int | None:
    """The row of the other role's last turn before ``row``'s run of same-role rows
    (a transcript segmented by utterance gives one speaker several rows), or None."""
    role = states[row].role
    while row > 0 and states[row - 1].role is role:
        row -= 1
    return row - 1 if row > 0 else None


def _previous(states: Sequence[TurnState], row: int, role: Role) -> TurnState | None:
    for earlier in reversed(states[:row]):
        if earlier.role is role:
            return earlier
    return None


# ------------------------------------------------------------ echo reflection
# MITI 4.2.1: a simple reflection "repeats or rephrases" what the client said. A
# statement that gives back most of the client's last turn in the client's own words
# is one, however it is worded around them; the head, trained on paraphrases, can
# miss a near-verbatim echo ("you need this job") or read its "you need" as pushing.
ECHO_MIN_SHARED = 3
ECHO_CLIENT_SHARE = 0.6  # of the client's content words, given back
ECHO_TURN_SHARE = 0.4  # of the therapist's content words, taken from the client
ECHO_STOP = frozenset(
    "a an the and or but so because if then that this it its it's is are was were be been "
    "i i'm im i've i'd i'll me my mine myself you you're youre you've you'd you'll your "
    "yours yourself he she him her his they them their we us our to of in on at for with "
    "about just really very all any anything some something not no don't can't do did does "
    "have has had get got just like um uh yeah well okay oh".split()
)


def _content(text: str) -> set[str]:
    return {w for w in _normalised(text).split() if w not in ECHO_STOP and len(w) > 1}


def is_echo(turn: str, client: str) -> bool:
    """``turn`` (a statement) gives back most of ``client``'s content words."""
    if "?" in turn:
        return False
    mine, theirs = _content(turn), _content(client)
    shared = mine & theirs
    return (
        len(shared) >= ECHO_MIN_SHARED
        and len(shared) >= ECHO_CLIENT_SHARE * len(theirs)
        and len(shared) >= ECHO_TURN_SHARE * len(mine)
    )


def echo_reflection(states: Sequence[TurnState], thresholds: dict[str, float]) -> None:
    """Raise ``reflection`` just over its threshold for an echo of the client's last turn."""
    if "reflection" not in thresholds:
        return
    floor = just_over(thresholds, "reflection")
    for row in range(1, len(states)):
        previous = turn_before(states, row)
        if previous is None:
            continue
        state, before = states[row], states[previous]
        asks = any(  # "every other day for how long now or": an echo that asks
            state.scores.get(tag, 0.0) >= thresholds.get(tag, 1.0)
            for tag in ("open_question", "closed_question")
        )
        if (
            state.role is Role.THERAPIST
            and before.role is Role.CLIENT
            and not asks
            and is_echo(state.text, before.text)
        ):
            state.raise_to(
                "reflection",
                floor,
                "echo_reflection",
                "gives back the client's own words from the turn before (MITI: simple "
                "reflection repeats or rephrases)",
            )


# --------------------------------------------------------------------- repair
# 3RS resolution strategies: acknowledge one's part, invite talk about the therapy,
# validate the defensive stance, change the task, clarify a misunderstanding.
REPAIR_MARKERS = re.compile(
    r"\b(i'm sorry|i am sorry|sorry,? i|my mistake|my fault|i pushed|i was pushing|"
    r"i jumped|i got ahead|i missed|i misunderstood|i hear (that|you)|you're right|you are right|"
    r"that's fair|fair enough|fair point|let's (slow|step back|leave|put that|drop)|"
    r"how is this going|how's this (going|landing)|what would be (more )?(helpful|useful)|"
    r"what do you need from me|tell me (more )?about (what|how) (this|that) (was|is) like for you|"
    r"we don't have to|we can (leave|drop|stop|set)|thank you for telling me)"
)


def repair_after_rupture(
    states: Sequence[TurnState], thresholds: dict[str, float], window: int = REPAIR_WINDOW
) -> None:
    """Raise ``repair`` for a therapist turn with repair cues soon after a rupture.

    Safran & Muran: repair answers a rupture marker; the 3RS counts a resolution
    strategy when it follows a rupture, typically within the next few exchanges. A
    turn within ``window`` turns after a client turn whose rupture probability passes
    its threshold, carrying a repair cue (codebook or the markers above), is raised to
    at least 0.6; without any rupture before it, a repair score is left to the head
    (inviting feedback about the therapy is repair even unprompted).
    """
    last_rupture: int | None = None
    for row, state in enumerate(states):
        if state.role is Role.CLIENT:
            for tag in ("rupture_withdrawal", "rupture_confrontation"):
                if state.scores.get(tag, 0.0) >= thresholds.get(tag, 0.5):
                    last_rupture = row
            continue
        if state.role is not Role.THERAPIST or "repair" not in state.scores:
            continue
        if last_rupture is None or row - last_rupture > window:
            continue
        cued = "repair" in state.cue_tags or REPAIR_MARKERS.search(state.text.lower()) is not None
        if cued:
            state.raise_to(
                "repair",
                0.6,
                "repair_after_rupture",
                f"repair cue {row - last_rupture} turn(s) after a rupture marker (3RS resolution)",
            )


def rigid_not_repair(states: Sequence[TurnState], thresholds: dict[str, float]) -> None:
    """Keep one of repair and rigidity on a turn: the one further past its threshold.

    Repair attends to a rupture and rigidity presses past the client's cue; the
    training scenes never code both on one turn (0 of 933 repairs). A "yes, but"
    after a rupture ("I hear you, but four stops is what I'd like to see") carries a
    repair cue and a rigid push, and only one of them is what the turn does.
    """
    for state in states:
        if state.role is not Role.THERAPIST:
            continue
        margins = {
            tag: state.scores.get(tag, 0.0) - thresholds.get(tag, 0.5)
            for tag in ("repair", "rigidity")
        }
        if any(margin < 0 for margin in margins.values()):
            continue
        weaker = min(margins, key=lambda tag: margins[tag])
        kept = "rigidity" if weaker == "repair" else "repair"
        state.lower_to(
            weaker,
            just_under(thresholds, weaker),
            "rigid_not_repair",
            f"the turn reads more as {kept}; repair and rigidity exclude each other "
            "(repair attends to the rupture, rigidity presses past it)",
        )


# --------------------------------------------------------------------- advice
PERMISSION_ASKED = re.compile(
    r"\b(would it be (ok|okay|alright|all right)|is it (ok|okay|alright) if|can i (share|suggest|offer|tell)|"
    r"may i|mind if i|do you want (some|my|a few) (ideas|suggestions|thoughts)|"
    r"would you like (some|my|a few|to hear)|want to hear (some|what)|if you're open to)"
)
CLIENT_REQUEST = re.compile(
    r"\b(what (should|do|would|can) i do|what do you (think|suggest|recommend)|"
    r"should i\b|any (advice|ideas|tips|suggestions)|can you (tell|help) me (what|how)|"
    r"tell me what to do|what would you do|how do i)"
)


def advice_permission(states: Sequence[TurnState]) -> None:
    """Decide ``advice`` permission from the exchange (MITI: Persuade with Permission).

    ``asked`` when the client asked for advice in the previous client turn, or the
    therapist asked permission in the same turn or the previous therapist turn; the
    head's own estimate is kept as a tie-breaker (weight one half).
    """
    for row, state in enumerate(states):
        probs = state.attribute_scores.get("advice.permission")
        if state.role is not Role.THERAPIST or not probs or "asked" not in probs:
            continue
        client = _previous(states, row, Role.CLIENT)
        therapist = _previous(states, row, Role.THERAPIST)
        reasons = []
        if client is not None and CLIENT_REQUEST.search(client.text.lower()):
            reasons.append("the client asked for it")
        if PERMISSION_ASKED.search(state.text.lower()):
            reasons.append("permission asked in the same turn")
        previous_permission = therapist is not None and (
            PERMISSION_ASKED.search(therapist.text.lower()) is not None
            or (
                therapist.scores.get("collaboration", 0.0) >= 0.5
                and therapist.surface.get("has_question_mark", 0.0) > 0
            )
        )
        if previous_permission and (client is None or not is_refusal(client.text)):
            reasons.append("permission asked in the previous exchange")
        rule_asked = 0.9 if reasons else 0.15
        asked = 0.5 * probs["asked"] + 0.5 * rule_asked
        state.attribute_scores["advice.permission"] = {"asked": asked, "unasked": 1.0 - asked}
        if reasons:
            state.note("advice", "advice_permission", "asked: " + "; ".join(reasons))


def is_refusal(text: str) -> bool:
    norm = _normalised(text)
    return bool(re.match(r"^(no|nah|not really|i'd rather not|please don't|not now)\b", norm))


# --------------------------------------------------------------------- self-disclosure
DISTRESS = re.compile(
    r"\b(can't stop crying|cannot stop crying|crying|sobbing|panic|panicking|can't breathe|"
    r"want to die|wanna die|kill myself|end it|falling apart|can't cope|cannot cope|"
    r"can't do this|so scared|terrified|shaking|breaking down|hurt myself|hopeless)\b"
)
HAND_BACK = re.compile(r"\b(you|your|you're|yourself)\b")


def disclosure_timing_reasons(
    state: TurnState, previous_client: TurnState | None, opening: bool
) -> list[str]:
    """Why a self-disclosure is poorly timed (Hill & Knox), empty when well timed."""
    reasons: list[str] = []
    words = [w for w in state.words if w[0].isalpha()]
    if opening:
        reasons.append("it comes in the opening turns of the session")
    if previous_client is not None and DISTRESS.search(previous_client.text.lower()):
        reasons.append("it comes right after acute client distress")
    if len(words) > LONG_DISCLOSURE_WORDS:
        reasons.append(f"it is long ({len(words)} words)")
    sentences = re.split(r"(?<=[.!?])\s+", state.text.strip())
    last = sentences[-1].lower() if sentences else ""
    if not ("?" in last or HAND_BACK.search(last) or state.surface.get("last_wh", 0) > 0):
        reasons.append("it does not hand the focus back to the client")
    first_person = sum(w in {"i", "me", "my", "mine", "myself"} for w in words)
    second_person = sum(w in {"you", "your", "yourself"} for w in words)
    if words and first_person >= 4 and first_person > 3 * max(1, second_person):
        reasons.append("it keeps the focus on the therapist")
    return reasons


def self_disclosure_timing(
    states: Sequence[TurnState], session_index_opening: int = OPENING_TURNS
) -> None:
    """Decide ``self_disclosure`` timing and ``poorly_timed_self_disclosure``.

    Hill & Knox (2001, 2002; Knox & Hill 2003): disclose rarely and briefly, aim the
    disclosure at the client's need and hand the focus straight back; avoid
    disclosures that pull the focus to the therapist, interrupt the client, or come
    while the client is in acute distress (a sensible rule rather than a sourced
    finding) or before the relationship is established (opening turns). Each reason
    found pushes the timing towards ``poorly_timed``: none -> 0.15, one -> 0.55, two
    or more -> 0.9; acute distress or the opening turns alone count as two. The
    head's estimate is averaged in with weight one half. The derived tag's score is
    p(self_disclosure) x p(poorly_timed).
    """
    for row, state in enumerate(states):
        if state.role is not Role.THERAPIST or "self_disclosure" not in state.scores:
            continue
        probs = state.attribute_scores.get("self_disclosure.timing") or {}
        previous = turn_before(states, row)
        start = row if previous is None else previous + 1  # where the therapist's run begins
        previous_client = next(
            (s for s in reversed(states[max(0, start - 2) : start]) if s.role is Role.CLIENT),
            None,
        )
        reasons = disclosure_timing_reasons(
            state, previous_client, state.index < session_index_opening
        )
        strong = any("opening" in r or "distress" in r for r in reasons)
        count = len(reasons) + (1 if strong else 0)
        rule_poor = 0.15 if count == 0 else 0.55 if count == 1 else 0.9
        head_poor = probs.get("poorly_timed", rule_poor)
        poor = 0.5 * head_poor + 0.5 * rule_poor
        state.attribute_scores["self_disclosure.timing"] = {
            "well_timed": 1.0 - poor,
            "poorly_timed": poor,
        }
        if "poorly_timed_self_disclosure" in state.scores:
            state.scores["poorly_timed_self_disclosure"] = state.scores["self_disclosure"] * poor
        if reasons:
            state.note(
                "self_disclosure",
                "self_disclosure_timing",
                "timing: " + "; ".join(reasons) + " (Hill & Knox)",
            )


Rule = Callable[[Sequence[TurnState]], None]


def apply_rules(
    states: Sequence[TurnState], label_roles: dict[str, str], thresholds: dict[str, float]
) -> None:
    """All rules, in order, on one transcript's turns (mutates the states)."""
    role_mask(states, label_roles)
    echo_reflection(states, thresholds)
    rupture_window(states)
    opening_pleasantries(states)
    scaling_question(states, thresholds)
    acknowledgement(states, thresholds)
    farewell(states)
    repair_after_rupture(states, thresholds)
    rigid_not_repair(states, thresholds)
    advice_permission(states)
    self_disclosure_timing(states)

// The coach beside the transcript. A reply's quoted turns become links that scroll to
// the turn: the quotes the server lists as references, and "turn N" mentions.
import { api } from "./api.js";
import { $, clear, h, linkTurns, showError, turnLink, turnNumber } from "./dom.js";
import { skillLabel } from "./tags.js";

const chat = { transcriptId: null, conversationId: null, turnCount: 0, busy: false, onDrill: null };

function message(sender, text, { references = [], drill = null } = {}) {
  const mine = sender === "user";
  const body = mine ? [text] : linkTurns(text, references, chat.turnCount);
  const refs = !mine && references.length
    ? h(
      "p",
      { class: "msg-refs" },
      "Quoted: ",
      [...new Set(references.map((ref) => ref.turn_index))].map((index, n) => [n ? ", " : "", turnLink(index, `turn ${turnNumber(index)}`)]),
    )
    : null;
  let offer = null;
  if (!mine && drill && drill.skill) {
    const button = h("button", { type: "button", class: "btn btn-small", text: `Practise: ${skillLabel(drill.skill)}` });
    button.addEventListener("click", () => chat.onDrill && chat.onDrill(drill));
    offer = h("div", { class: "drill-offer" }, button);
  }
  return h(
    "div",
    { class: `msg msg-${mine ? "user" : "assistant"}` },
    h("span", { class: "msg-who", text: mine ? "You" : "Coach" }),
    body,
    refs,
    offer,
  );
}

function log() {
  return $("#chat-log");
}

function addMessage(el) {
  log().append(el);
  // Scroll the panel only: the transcript beside it stays where the reader left it.
  const panel = $("#panel-coach");
  panel.scrollTop = panel.scrollHeight;
}

function resetLog() {
  clear(log());
  log().append(
    h("p", { class: "chat-hint muted", text: "Ask about this session: “what went well?”, “where did the client pull back?”, “why was turn 12 coded as a reflection?”" }),
  );
}

/** Open the coach for a session; the latest conversation about it continues. */
export async function openChat(transcriptId, turnCount, { onDrill } = {}) {
  chat.transcriptId = transcriptId;
  chat.conversationId = null;
  chat.turnCount = turnCount;
  chat.onDrill = onDrill;
  resetLog();
  try {
    const conversations = await api("/chat/conversations");
    const latest = conversations.find((c) => c.transcript_id === transcriptId && c.messages > 0);
    if (!latest || chat.transcriptId !== transcriptId) return;
    const detail = await api(`/chat/conversations/${encodeURIComponent(latest.id)}`);
    if (chat.transcriptId !== transcriptId) return;
    chat.conversationId = latest.id;
    for (const m of detail.messages) addMessage(message(m.sender, m.text, { references: m.references }));
  } catch {
    // No earlier conversation to show (or chat is unavailable): start fresh.
  }
}

async function send(text) {
  if (chat.busy || !text.trim()) return;
  chat.busy = true;
  $("#chat-send").disabled = true;
  addMessage(message("user", text));
  const pending = h("div", { class: "msg msg-assistant pending", text: "The coach is reading the session…" });
  addMessage(pending);
  const body = { message: text };
  if (chat.conversationId) body.conversation_id = chat.conversationId;
  else body.transcript_id = chat.transcriptId;
  try {
    const reply = await api("/chat", { method: "POST", json: body });
    chat.conversationId = reply.conversation_id;
    pending.replaceWith(message("assistant", reply.reply, { references: reply.references, drill: reply.drill }));
  } catch (error) {
    const note = h("div", { class: "msg msg-assistant" }, h("span", { class: "msg-who", text: "Coach" }), h("p", { class: "error" }));
    showError(note.querySelector(".error"), `The coach could not answer: ${error.message}`);
    pending.replaceWith(note);
  } finally {
    chat.busy = false;
    $("#chat-send").disabled = false;
  }
}

export function initChat() {
  const input = $("#chat-input");
  $("#chat-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const text = input.value;
    input.value = "";
    send(text);
    input.focus();
  });
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      $("#chat-form").requestSubmit();
    }
  });
}

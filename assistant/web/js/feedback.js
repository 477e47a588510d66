// The feedback note: what went well, one growth edge, the moment, what to try
// instead, a moment to rehearse and a reflective question. Quotes link to their turns.
import { fmtNumber, fmtTime, h, linkTurns, turnLink, turnNumber } from "./dom.js";

// "turn N" in the note's sentences becomes a link too (set per note).
let turnCount = Infinity;
const linked = (text) => linkTurns(text || "", [], turnCount);
import { skillLabel, tagInfo } from "./tags.js";

function quote(q) {
  if (!q) return null;
  const sameWord = q.role && q.speaker && q.role.toLowerCase() === q.speaker.toLowerCase();
  const who = [q.speaker, q.role && !sameWord ? `(${q.role})` : ""].filter(Boolean).join(" ");
  return h(
    "blockquote",
    { class: "quote" },
    h("span", { class: "quote-text", text: `${q.partial ? "…" : ""}“${q.quote}”${q.partial ? "…" : ""}` }),
    h(
      "span",
      { class: "quote-who" },
      `${who}, `,
      turnLink(q.index, `turn ${turnNumber(q.index)}`),
      q.time !== null && q.time !== undefined ? ` at ${fmtTime(q.time)}` : "",
    ),
  );
}

function block(title, ...children) {
  return h("div", { class: "fb-block" }, h("h3", { text: title }), children);
}

function strengths(items) {
  if (!items?.length) return block("What went well", h("p", { class: "muted", text: "No clear strength stood out in the codes this time." }));
  return block(
    "What went well",
    items.map((item) => h("div", { class: "fb-strength" }, h("p", { class: "fb-title", text: item.title }), h("p", {}, linked(item.sentence)), item.quotes.map(quote))),
  );
}

function growthEdge(edge) {
  if (!edge) return block("One thing to work on", h("p", { class: "muted", text: "No growth edge was chosen for this session." }));
  const numbers = edge.metric && edge.value !== null && edge.value !== undefined
    ? h("p", { class: "help", text: `${edge.metric.replaceAll("_", " ")}: ${fmtNumber(edge.value, 2)}${edge.target !== null && edge.target !== undefined ? `, target ${fmtNumber(edge.target, 2)}` : ""}` })
    : null;
  return block(
    "One thing to work on",
    h(
      "div",
      { class: "fb-edge" },
      h("p", { class: "fb-title", text: edge.title || skillLabel(edge.skill) }),
      edge.explanation ? h("p", {}, linked(edge.explanation)) : null,
      h("p", { class: "help" }, "Why this one: ", linked(edge.rule_reason)),
      numbers,
    ),
  );
}

function alternatives(items) {
  if (!items?.length) return null;
  return block(
    "Try instead",
    h(
      "ul",
      { class: "alt-list" },
      items.map((alt) => {
        const meta = [];
        if (alt.checked && alt.checked_tags?.length) meta.push(`coded as ${alt.checked_tags.map((t) => tagInfo(t).label).join(", ")}`);
        if (alt.score !== null && alt.score !== undefined) meta.push(`probability ${Math.round(alt.score * 100)}%`);
        meta.push(alt.source === "exemplar" ? "from a worked example" : "from a template");
        return h("li", {}, h("span", { class: "alt-text", text: `“${alt.text}”` }), h("span", { class: "alt-meta", text: meta.join(" · ") }));
      }),
    ),
  );
}

/**
 * The note as DOM. ``onRehearse(rehearse)`` starts a drill on the session moment;
 * ``turns`` is the number of turns (mentions beyond it stay plain text).
 */
export function renderFeedback(note, { onRehearse, turns = Infinity } = {}) {
  turnCount = turns;
  const parts = [];
  parts.push(h("div", { class: "fb-grid" }, strengths(note.strengths), growthEdge(note.growth_edge)));
  if (note.moment && (note.moment.client_turn || note.moment.therapist_turn)) {
    parts.push(block("The moment", note.moment.why ? h("p", {}, linked(note.moment.why)) : null, quote(note.moment.client_turn), quote(note.moment.therapist_turn)));
  }
  const alt = alternatives(note.try_instead);
  if (alt) parts.push(alt);
  if (note.rehearse) {
    const button = h("button", { type: "button", class: "btn btn-primary", text: "Rehearse this moment" });
    button.addEventListener("click", () => onRehearse && onRehearse(note.rehearse));
    parts.push(
      block(
        "Rehearse",
        h("p", {}, `Respond again to the client's words at `, turnLink(note.rehearse.turn_index), ` (${skillLabel(note.rehearse.skill)}):`),
        h("blockquote", { class: "quote" }, h("span", { class: "quote-text", text: `“${note.rehearse.client_statement}”` })),
        button,
      ),
    );
  }
  if (note.reflective_question) parts.push(block("A question to sit with", h("p", { class: "reflective-q" }, linked(note.reflective_question))));
  if (note.self_care) parts.push(block("For you", h("p", {}, linked(note.self_care))));
  const confidence = [`Confidence: ${note.confidence}.`, note.confidence_reason].filter(Boolean).join(" ");
  parts.push(h("div", { class: "confidence" }, h("p", {}, linked(confidence)), (note.notes || []).map((n) => h("p", {}, linked(n)))));
  return parts;
}

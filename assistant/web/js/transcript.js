// The annotated transcript: turns with code chips, cue spans underlined, ruptures and
// repairs marked, a legend that filters by code, and the evidence popover.
import { $, clear, fmtNumber, fmtPercent, fmtTime, h, replace, turnLink, turnNumber } from "./dom.js";
import { swatch, tagInfo, TAG_ORDER } from "./tags.js";

const state = { turns: [], selected: new Set(), pinned: null, hoverTimer: null };

// ------------------------------------------------------------------ text with cue spans
function cueRanges(turn) {
  const ranges = [];
  for (const [tag, items] of Object.entries(turn.evidence || {})) {
    for (const item of items) {
      if (item.kind !== "cue" || item.start === null || item.end === null) continue;
      if (item.start < 0 || item.end > turn.text.length || item.end <= item.start) continue;
      ranges.push({ start: item.start, end: item.end, tags: [tag] });
    }
  }
  ranges.sort((a, b) => a.start - b.start || b.end - a.end);
  const merged = [];
  for (const range of ranges) {
    const last = merged[merged.length - 1];
    if (last && range.start <= last.end) {
      last.end = Math.max(last.end, range.end);
      if (!last.tags.includes(range.tags[0])) last.tags.push(range.tags[0]);
    } else merged.push({ ...range, tags: [...range.tags] });
  }
  return merged;
}

function turnText(turn) {
  const p = h("p", { class: "turn-text" });
  let pos = 0;
  for (const range of cueRanges(turn)) {
    if (range.start > pos) p.append(turn.text.slice(pos, range.start));
    const labels = range.tags.map((tag) => tagInfo(tag).label).join(", ");
    p.append(h("mark", { title: `Cue for ${labels}`, text: turn.text.slice(range.start, range.end) }));
    pos = range.end;
  }
  if (pos < turn.text.length) p.append(turn.text.slice(pos));
  return p;
}

// ------------------------------------------------------------------ chips and popover
function chip(turn, tag) {
  const info = tagInfo(tag);
  const prob = turn.scores?.[tag];
  const attrs = Object.values(turn.attributes?.[tag] || {}).map((v) => v.replaceAll("_", " "));
  const button = h(
    "button",
    {
      type: "button",
      class: "chip",
      "aria-expanded": "false",
      "aria-haspopup": "dialog",
      "aria-label": `${info.label}${attrs.length ? ` (${attrs.join(", ")})` : ""}${prob !== undefined ? `, probability ${fmtPercent(prob)}` : ""}: show evidence`,
      dataset: { tag, turn: String(turn.index) },
    },
    swatch(tag),
    h("span", { text: info.label }),
    attrs.length ? h("span", { class: "attr", text: attrs.join(", ") }) : null,
  );
  button.addEventListener("click", (event) => {
    event.stopPropagation();
    if (state.pinned === button) closePopover(true);
    else openPopover(button, true);
  });
  button.addEventListener("mouseenter", () => {
    if (state.pinned || !matchMedia("(hover: hover)").matches) return;
    clearTimeout(state.hoverTimer);
    state.hoverTimer = setTimeout(() => openPopover(button, false), 180);
  });
  button.addEventListener("mouseleave", () => {
    clearTimeout(state.hoverTimer);
    if (!state.pinned) closePopover(false);
  });
  return button;
}

function evidenceItem(item) {
  const kind = { cue: "Cue", example: "Example", rule: "Rule" }[item.kind] || item.kind;
  const detail = [];
  if (item.similarity !== null && item.similarity !== undefined) detail.push(`similarity ${fmtNumber(item.similarity, 2)}`);
  if (item.source) detail.push(item.source);
  return h(
    "li",
    {},
    h("span", { class: "ev-kind", text: kind }),
    h("span", { class: item.kind === "rule" ? "" : "ev-text", text: item.kind === "rule" ? item.text : `“${item.text}”` }),
    detail.length ? h("span", { class: "ev-source", text: detail.join(" · ") }) : null,
  );
}

function popoverContent(turn, tag) {
  const info = tagInfo(tag);
  const prob = turn.scores?.[tag];
  const attrs = Object.entries(turn.attributes?.[tag] || {});
  const evidence = turn.evidence?.[tag] || [];
  const close = h("button", { type: "button", class: "btn btn-quiet close", "aria-label": "Close evidence", text: "✕" });
  close.addEventListener("click", () => closePopover(true));
  return [
    close,
    h("h3", { id: "evidence-title" }, swatch(tag), h("span", { text: `${info.label} · turn ${turnNumber(turn.index)}` })),
    h("p", { class: "tag-help", text: info.help }),
    prob !== undefined
      ? [
        h("p", { class: "prob-line" }, h("strong", { text: "Probability " }), h("span", { class: "prob-value", text: fmtPercent(prob) })),
        h("div", { class: "prob-bar", "aria-hidden": "true" }, h("span", { style: { width: `${Math.round(prob * 100)}%` } })),
      ]
      : h("p", { class: "muted", text: "Set by a rule, not by a probability." }),
    attrs.length ? h("p", {}, attrs.map(([k, v]) => h("span", { text: `${k.replaceAll("_", " ")}: ${v.replaceAll("_", " ")}` }))) : null,
    h("h4", { class: "visually-hidden", text: "Evidence" }),
    evidence.length
      ? h("ul", { class: "evidence-list", "aria-label": "Evidence" }, evidence.map(evidenceItem))
      : h("p", { class: "muted", text: "No evidence was recorded for this code." }),
  ];
}

function openPopover(button, pin) {
  const pop = $("#evidence-pop");
  const turn = state.turns.find((t) => String(t.index) === button.dataset.turn);
  if (!turn) return;
  if (state.pinned && state.pinned !== button) state.pinned.setAttribute("aria-expanded", "false");
  replace(pop, popoverContent(turn, button.dataset.tag));
  pop.hidden = false;
  pop.dataset.for = `${button.dataset.turn}:${button.dataset.tag}`;
  const rect = button.getBoundingClientRect();
  const width = pop.offsetWidth;
  const height = pop.offsetHeight;
  const left = Math.max(12, Math.min(window.scrollX + rect.left, window.scrollX + document.documentElement.clientWidth - width - 12));
  // Below the chip when it fits in the window, else above it.
  const below = rect.bottom + 6 + height <= window.innerHeight || rect.top - 6 - height < 70;
  pop.style.left = `${left}px`;
  pop.style.top = `${window.scrollY + (below ? rect.bottom + 6 : rect.top - 6 - height)}px`;
  if (pin) {
    state.pinned = button;
    button.setAttribute("aria-expanded", "true");
  }
}

export function closePopover(returnFocus) {
  const pop = $("#evidence-pop");
  if (pop.hidden) return;
  pop.hidden = true;
  const pinned = state.pinned;
  state.pinned = null;
  if (pinned) {
    pinned.setAttribute("aria-expanded", "false");
    if (returnFocus) pinned.focus();
  }
}

document.addEventListener("keydown", (event) => {
  if (event.key === "Escape") closePopover(true);
});
document.addEventListener("click", (event) => {
  const pop = $("#evidence-pop");
  if (!pop.hidden && !pop.contains(event.target)) closePopover(false);
});

// ------------------------------------------------------------------ ruptures and repairs
function flags(turn, ruptureAt, repairOf) {
  const out = [];
  const rupture = ruptureAt.get(turn.index);
  if (rupture) {
    // The chip already names the rupture; the flag says what became of it.
    out.push(
      rupture.repaired
        ? h("span", { class: "flag flag-repaired" }, "Repaired at ", turnLink(rupture.repair_turn_index))
        : h("span", { class: "flag flag-unrepaired", text: "No repair within 4 turns" }),
    );
  }
  const repaired = repairOf.get(turn.index);
  if (repaired) {
    out.push(h("span", { class: "flag flag-repair" }, "Repair of the rupture at ", repaired.map((i, n) => [n ? ", " : "", turnLink(i)])));
  }
  return out.length ? h("div", { class: "turn-flags" }, out) : null;
}

function turnItem(turn, ruptureAt, repairOf) {
  const role = turn.role || "other";
  const classes = ["turn", `turn-${role}`];
  if (ruptureAt.has(turn.index)) classes.push("rupture");
  if (turn.tags.includes("repair")) classes.push("repair");
  const tags = [...turn.tags].sort((a, b) => TAG_ORDER.indexOf(a) - TAG_ORDER.indexOf(b));
  return h(
    "li",
    { id: `turn-${turn.index}`, class: classes.join(" "), tabindex: "-1", dataset: { tags: turn.tags.join(" ") } },
    h(
      "div",
      { class: "turn-num" },
      h("a", { href: `#turn-${turn.index}`, class: "turn-link", "data-turn": turn.index, "aria-label": `Turn ${turnNumber(turn.index)}`, text: `#${turnNumber(turn.index)}` }),
      turn.start !== null && turn.start !== undefined ? h("span", { class: "turn-time", text: fmtTime(turn.start) }) : null,
    ),
    h(
      "div",
      { class: "turn-body" },
      h(
        "div",
        {},
        h("span", { class: "turn-who", text: turn.speaker }),
        // The role only when the label does not already say it ("Dana", "Speaker 2").
        turn.speaker.toLowerCase() === role ? null : h("span", { class: "turn-role", text: role }),
      ),
      turnText(turn),
      tags.length ? h("div", { class: "turn-chips", role: "group", "aria-label": `Codes for turn ${turnNumber(turn.index)}` }, tags.map((tag) => chip(turn, tag))) : null,
      flags(turn, ruptureAt, repairOf),
    ),
  );
}

// ------------------------------------------------------------------ legend and filter
function applyFilter() {
  let shown = 0;
  for (const turn of state.turns) {
    const el = document.getElementById(`turn-${turn.index}`);
    const visible = !state.selected.size || turn.tags.some((tag) => state.selected.has(tag));
    el.hidden = !visible;
    if (visible) shown += 1;
  }
  for (const button of document.querySelectorAll("#legend-chips .chip[data-filter]")) {
    const on = state.selected.has(button.dataset.filter);
    button.setAttribute("aria-pressed", String(on));
    button.classList.toggle("dimmed", state.selected.size > 0 && !on);
  }
  const clearButton = $("#legend-clear");
  if (clearButton) clearButton.hidden = !state.selected.size;
  const labels = [...state.selected].map((tag) => tagInfo(tag).label).join(" or ");
  $("#transcript-count").textContent = state.selected.size
    ? `Showing ${shown} of ${state.turns.length} turns: ${labels}`
    : `${state.turns.length} turns`;
}

function legend(turns) {
  const counts = new Map();
  for (const turn of turns) for (const tag of turn.tags) counts.set(tag, (counts.get(tag) || 0) + 1);
  const tags = [...TAG_ORDER, ...[...counts.keys()].filter((t) => !TAG_ORDER.includes(t))];
  const box = $("#legend-chips");
  clear(box);
  for (const tag of tags) {
    const count = counts.get(tag) || 0;
    const button = h(
      "button",
      {
        type: "button",
        class: "chip",
        "aria-pressed": "false",
        dataset: { filter: tag },
        disabled: count === 0,
        title: tagInfo(tag).help,
      },
      swatch(tag),
      h("span", { text: tagInfo(tag).label }),
      h("span", { class: "count", text: String(count) }),
    );
    button.addEventListener("click", () => {
      if (state.selected.has(tag)) state.selected.delete(tag);
      else state.selected.add(tag);
      applyFilter();
    });
    box.append(button);
  }
  const clearButton = h("button", { type: "button", id: "legend-clear", class: "btn btn-quiet btn-small", text: "Show all turns", hidden: true });
  clearButton.addEventListener("click", () => {
    state.selected.clear();
    applyFilter();
  });
  box.append(clearButton);
}

document.addEventListener("reveal-turn", () => {
  state.selected.clear();
  applyFilter();
});

/** Draw the transcript of a session (TranscriptDetail) with its profile's ruptures. */
export function renderTranscript(detail, profile) {
  closePopover(false);
  state.turns = detail.turns;
  state.selected.clear();
  const ruptureAt = new Map();
  const repairOf = new Map();
  for (const rupture of profile?.ruptures || []) {
    ruptureAt.set(rupture.turn_index, rupture);
    if (rupture.repaired) {
      const list = repairOf.get(rupture.repair_turn_index) || [];
      list.push(rupture.turn_index);
      repairOf.set(rupture.repair_turn_index, list);
    }
  }
  legend(detail.turns);
  replace($("#turns"), detail.turns.map((turn) => turnItem(turn, ruptureAt, repairOf)));
  applyFilter();
}

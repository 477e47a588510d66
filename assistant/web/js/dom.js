// Small DOM helpers. Every piece of data goes in as a text node or an attribute value,
// never as markup: transcripts may contain "<script>" and must stay plain text.

const SVG_NS = "http://www.w3.org/2000/svg";

function setProps(el, props) {
  for (const [key, value] of Object.entries(props || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") el.setAttribute("class", value);
    else if (key === "text") el.textContent = String(value);
    else if (key === "dataset") Object.assign(el.dataset, value);
    else if (key === "style") for (const [k, v] of Object.entries(value)) el.style.setProperty(k, v);
    else if (key.startsWith("on") && typeof value === "function") el.addEventListener(key.slice(2), value);
    else el.setAttribute(key, value === true ? "" : String(value));
  }
}

export function append(el, ...children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

/** An HTML element: h("p", {class: "x"}, "text", h("b", {}, "bold")). */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  setProps(el, props);
  return append(el, children);
}

/** An SVG element, same calling convention as h(). */
export function s(tag, props = {}, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  setProps(el, props);
  return append(el, children);
}

export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

export function replace(el, ...children) {
  return append(clear(el), children);
}

export const $ = (selector, root = document) => root.querySelector(selector);
export const $$ = (selector, root = document) => Array.from(root.querySelectorAll(selector));

export function show(el, visible = true) {
  el.hidden = !visible;
  return el;
}

let toastTimer = null;
/** A short, polite status message at the bottom of the page. */
export function toast(message) {
  const el = $("#toast");
  el.textContent = message;
  el.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { el.hidden = true; }, 4000);
}

export function showError(el, message) {
  el.textContent = message || "";
  el.hidden = !message;
}

// ------------------------------------------------------------------ formatting
export function fmtNumber(value, digits = 1) {
  if (value === null || value === undefined || Number.isNaN(value)) return "–";
  return Number(value).toFixed(digits);
}

export function fmtPercent(value, digits = 0) {
  if (value === null || value === undefined) return "–";
  return `${(100 * value).toFixed(digits)}%`;
}

export function fmtDate(value) {
  if (!value) return "";
  const date = new Date(value.length === 10 ? `${value}T00:00:00` : value);
  if (Number.isNaN(date.getTime())) return value;
  return date.toLocaleDateString(undefined, { year: "numeric", month: "short", day: "numeric" });
}

export function fmtTime(seconds) {
  if (seconds === null || seconds === undefined) return "";
  const s = Math.round(seconds);
  const m = Math.floor(s / 60);
  return `${m}:${String(s % 60).padStart(2, "0")}`;
}

/** Human turn number: indices are 0-based in the data, turns are numbered from 1 on screen. */
export const turnNumber = (index) => index + 1;

/** A link that scrolls to a turn of the open transcript and flashes it. */
export function turnLink(index, label) {
  return h("a", {
    href: `#turn-${index}`,
    class: "turn-link",
    "data-turn": index,
    text: label ?? `turn ${turnNumber(index)}`,
  });
}

export function focusTurn(index) {
  const el = document.getElementById(`turn-${index}`);
  if (!el) return false;
  if (el.hidden) document.dispatchEvent(new CustomEvent("reveal-turn", { detail: index }));
  const still = matchMedia("(prefers-reduced-motion: reduce)").matches;
  el.scrollIntoView({ behavior: still ? "auto" : "smooth", block: "center" });
  el.classList.remove("flash");
  // Restart the highlight so a second click on the same turn is visible too.
  void el.offsetWidth;
  el.classList.add("flash");
  setTimeout(() => el.classList.remove("flash"), 2400);
  el.focus({ preventScroll: true });
  return true;
}

const TURN_MENTION = /\bturns? #?(\d{1,5})\b/gi;

/**
 * ``text`` as strings and links to turns: each reference's quote where it occurs, then
 * "turn N" mentions (turns are numbered from 1 in every text the user reads).
 */
export function linkTurns(text, references = [], turnCount = Infinity) {
  const spans = [];
  const free = (start, end) => !spans.some((s) => start < s.end && end > s.start);
  for (const ref of references || []) {
    if (!ref.quote) continue;
    let at = text.indexOf(ref.quote);
    while (at !== -1) {
      const end = at + ref.quote.length;
      if (free(at, end)) spans.push({ start: at, end, index: ref.turn_index, quote: true });
      at = text.indexOf(ref.quote, end);
    }
  }
  for (const match of text.matchAll(TURN_MENTION)) {
    const index = Number(match[1]) - 1;
    const start = match.index;
    const end = start + match[0].length;
    if (index >= 0 && index < turnCount && free(start, end)) spans.push({ start, end, index, quote: false });
  }
  spans.sort((a, b) => a.start - b.start);
  const out = [];
  let pos = 0;
  for (const span of spans) {
    if (span.start > pos) out.push(text.slice(pos, span.start));
    const link = turnLink(span.index, text.slice(span.start, span.end));
    link.title = `Go to turn ${turnNumber(span.index)}`;
    if (span.quote) link.classList.add("quote-link");
    out.push(link);
    pos = span.end;
  }
  if (pos < text.length) out.push(text.slice(pos));
  return out;
}

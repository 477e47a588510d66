// Small SVG plots built in the page (no library): the session timeline, threshold
// meters and the across-sessions panels. Every plot has a text alternative.
import { focusTurn, fmtNumber, s, turnNumber } from "./dom.js";
import { tagInfo, TAG_ORDER } from "./tags.js";

const MUTED = "#58636a";
const GRID = "#dcdfdb";
const ACCENT = "#2c6e73";

/** One mark of a tag's shape, centred on (x, y). */
export function shapeMark(tag, x, y, r = 4.5) {
  const { colour, shape } = tagInfo(tag);
  const stroke = tag === "advice" ? "#8c8200" : colour;
  switch (shape) {
    case "ring":
      return s("circle", { cx: x, cy: y, r: r - 0.8, fill: "#fff", stroke: colour, "stroke-width": 2 });
    case "square":
      return s("rect", { x: x - r + 0.5, y: y - r + 0.5, width: 2 * r - 1, height: 2 * r - 1, fill: colour, stroke, "stroke-width": 1 });
    case "diamond":
      return s("polygon", { points: `${x},${y - r - 0.5} ${x + r + 0.5},${y} ${x},${y + r + 0.5} ${x - r - 0.5},${y}`, fill: colour });
    case "triangle":
      return s("polygon", { points: `${x},${y - r} ${x + r},${y + r - 0.5} ${x - r},${y + r - 0.5}`, fill: colour });
    case "triangle-down":
      return s("polygon", { points: `${x - r},${y - r + 0.5} ${x + r},${y - r + 0.5} ${x},${y + r}`, fill: colour });
    default:
      return s("circle", { cx: x, cy: y, r, fill: colour, stroke, "stroke-width": 1 });
  }
}

/**
 * The codes across the session: one lane per code that occurs, one mark per coded
 * turn; thirds of the session are shaded. A click on a mark scrolls to its turn.
 */
export function timelinePlot(turns) {
  const present = TAG_ORDER.filter((tag) => turns.some((t) => t.tags.includes(tag)));
  const extra = [...new Set(turns.flatMap((t) => t.tags))].filter((tag) => !present.includes(tag));
  const lanes = [...present, ...extra];
  const left = 150, right = 8, top = 8, lane = 20, bottom = 26;
  const width = 400;
  const height = top + Math.max(lanes.length, 1) * lane + bottom;
  const n = Math.max(turns.length, 1);
  const x = (pos) => left + ((pos + 0.5) / n) * (width - left - right);
  const plotBottom = top + lanes.length * lane;
  const summary = lanes.map((tag) => `${tagInfo(tag).label} ${turns.filter((t) => t.tags.includes(tag)).length}`).join(", ");
  const svg = s("svg", {
    class: "plot timeline-plot",
    viewBox: `0 0 ${width} ${height}`,
    role: "img",
    "aria-label": `Codes across the session, ${turns.length} turns: ${summary || "no codes"}.`,
  });
  // Thirds: the profile counts codes per third of the session.
  for (let third = 0; third < 3; third += 1) {
    const x0 = left + (third / 3) * (width - left - right);
    const x1 = left + ((third + 1) / 3) * (width - left - right);
    if (third % 2 === 0) svg.append(s("rect", { x: x0, y: top, width: x1 - x0, height: plotBottom - top, fill: "#f4f5f3" }));
    svg.append(s("text", { x: (x0 + x1) / 2, y: plotBottom + 13, "text-anchor": "middle", "font-size": 10, text: ["start", "middle", "end"][third] }));
  }
  svg.append(s("text", { x: width - right, y: plotBottom + 24, "text-anchor": "end", "font-size": 9, text: `turn ${turns.length}` }));
  svg.append(s("text", { x: left, y: plotBottom + 24, "text-anchor": "start", "font-size": 9, text: "turn 1" }));
  lanes.forEach((tag, i) => {
    const y = top + i * lane + lane / 2;
    svg.append(s("line", { x1: left, x2: width - right, y1: y, y2: y, stroke: GRID, "stroke-width": 1 }));
    svg.append(s("text", { x: left - 20, y: y + 3.5, "text-anchor": "end", "font-size": 11, fill: "#1e2529", text: tagInfo(tag).label }));
    svg.append(shapeMark(tag, left - 10, y, 4));
    turns.forEach((turn, pos) => {
      if (!turn.tags.includes(tag)) return;
      const mark = s("g", { class: "mark", "data-turn": turn.index }, shapeMark(tag, x(pos), y));
      mark.append(s("title", { text: `Turn ${turnNumber(turn.index)}: ${tagInfo(tag).label}` }));
      mark.addEventListener("click", () => focusTurn(turn.index));
      svg.append(mark);
    });
  });
  if (!lanes.length) svg.append(s("text", { x: width / 2, y: top + 12, "text-anchor": "middle", "font-size": 12, text: "No codes in this session" }));
  return svg;
}

/**
 * A horizontal scale with the published 'fair' and 'good' thresholds and the value.
 * ``asPercent`` shows 0..1 values as percentages.
 */
export function thresholdMeter({ value, fair, good, max, label, asPercent = false }) {
  const width = 360, height = 44, left = 4, right = 4, barY = 10, barH = 12;
  const top = Math.max(max, (value ?? 0) * 1.1, good * 1.25);
  const x = (v) => left + (Math.min(v, top) / top) * (width - left - right);
  const fmt = (v) => (asPercent ? `${Math.round(v * 100)}%` : fmtNumber(v, 1));
  const valueText = value === null || value === undefined ? "not available" : fmt(value);
  const svg = s("svg", {
    class: "plot meter",
    viewBox: `0 0 ${width} ${height}`,
    role: "img",
    "aria-label": `${label}: ${valueText}; fair from ${fmt(fair)}, good from ${fmt(good)}.`,
  });
  svg.append(
    s("rect", { x: x(0), y: barY, width: x(fair) - x(0), height: barH, fill: "#f3e1dd" }),
    s("rect", { x: x(fair), y: barY, width: x(good) - x(fair), height: barH, fill: "#f6ecd2" }),
    s("rect", { x: x(good), y: barY, width: x(top) - x(good), height: barH, fill: "#dcefe4" }),
    s("line", { x1: x(fair), x2: x(fair), y1: barY - 3, y2: barY + barH + 3, stroke: MUTED, "stroke-width": 1, "stroke-dasharray": "2 2" }),
    s("line", { x1: x(good), x2: x(good), y1: barY - 3, y2: barY + barH + 3, stroke: MUTED, "stroke-width": 1, "stroke-dasharray": "2 2" }),
    // 'fair' ends at its line and 'good' starts at its line, so close limits never collide.
    s("text", { x: x(fair) - 3, y: height - 4, "text-anchor": "end", "font-size": 10, text: `fair ${fmt(fair)}` }),
    s("text", { x: x(good) + 3, y: height - 4, "text-anchor": "start", "font-size": 10, text: `good ${fmt(good)}` }),
  );
  if (value !== null && value !== undefined) {
    const vx = x(value);
    svg.append(
      s("line", { x1: vx, x2: vx, y1: barY - 6, y2: barY + barH + 2, stroke: "#1e2529", "stroke-width": 2.5 }),
      s("polygon", { points: `${vx - 5},${barY - 9} ${vx + 5},${barY - 9} ${vx},${barY - 3}`, fill: "#1e2529" }),
    );
  }
  return svg;
}

const PART_LABELS = {
  reflection_to_question: "reflections : questions",
  percent_complex_reflections: "complex reflections",
  ruptures_repaired: "ruptures repaired",
  poorly_timed_self_disclosure: "poorly timed disclosure",
};

/** Bars 0..1 for the parts of the overall score (building and straining). */
export function partsPlot(parts) {
  const entries = Object.entries(parts || {});
  const rowH = 18, left = 160, width = 360, right = 30;
  const height = entries.length * rowH + 6;
  const svg = s("svg", {
    class: "plot parts-plot",
    viewBox: `0 0 ${width} ${height}`,
    role: "img",
    "aria-label": `Parts of the overall score: ${entries.map(([k, v]) => `${k} ${fmtNumber(v, 2)}`).join(", ")}.`,
  });
  entries.forEach(([key, value], i) => {
    const y = 3 + i * rowH;
    const [group, name] = key.split(".");
    const straining = group === "straining";
    const label = `${straining ? "− " : "+ "}${PART_LABELS[name] || (name || key).replaceAll("_", " ")}`;
    svg.append(
      s("text", { x: left - 8, y: y + 12, "text-anchor": "end", "font-size": 11, fill: "#1e2529", text: label }),
      s("rect", { x: left, y: y + 3, width: width - left - right, height: 11, fill: "#f4f5f3", stroke: GRID }),
      s("rect", { x: left, y: y + 3, width: Math.max(0, Math.min(1, value)) * (width - left - right), height: 11, fill: straining ? "#D55E00" : ACCENT }),
      s("text", { x: width - right + 4, y: y + 12, "font-size": 10, text: fmtNumber(value, 2) }),
    );
  });
  return svg;
}

/**
 * Two aligned panels over the same sessions: a profile metric above, the client's
 * SRS total below (with the 36 'worth talking about' line).
 */
export function pairedPanels({ sessions, metricKey, metric, srsConcern = 36 }) {
  // Reference lines are labelled in the right margin, clear of the data.
  const width = 440, left = 44, right = 36;
  const topH = 110, gap = 26, srsH = 70, bottom = 22;
  const height = topH + gap + srsH + bottom;
  const n = sessions.length;
  const x = (i) => (n <= 1 ? (left + width - right) / 2 : left + (i / (n - 1)) * (width - left - right));
  const values = sessions.map((row) => row.metrics[metricKey]);
  const finite = values.filter((v) => v !== null && v !== undefined);
  const lo = Math.min(0, ...finite);
  // A fixed top where the scale has one (100, 100%), else at least 1 so an all-zero
  // series does not get a meaningless 0-0 axis.
  let hi = Math.max(...finite, metric.good ?? 0, 1);
  if (metric.max !== null && metric.max !== undefined) hi = Math.max(hi, metric.max);
  hi *= 1.08;
  const yTop = (v) => 6 + (1 - (v - lo) / (hi - lo || 1)) * (topH - 12);
  const srsTop = topH + gap;
  // From 20 (or lower when a rating is lower) to 40: the range clients actually use,
  // so the 36 line and a drop of a few points stay visible.
  const rated = sessions.map((row) => row.srs_total).filter((v) => v !== null && v !== undefined);
  const srsLo = Math.max(0, Math.min(20, ...rated.map((v) => Math.floor((v - 2) / 5) * 5)));
  const ySrs = (v) => srsTop + (1 - (v - srsLo) / (40 - srsLo)) * srsH;
  const fmt = (v) => (metric.percent ? `${Math.round(v * 100)}%` : fmtNumber(v, metric.digits ?? 1));

  const described = sessions.map((row, i) => `session ${i + 1}: ${values[i] === null || values[i] === undefined ? "no value" : fmt(values[i])}, SRS ${row.srs_total ?? "none"}`).join("; ");
  const svg = s("svg", {
    class: "plot paired-plot",
    viewBox: `0 0 ${width} ${height}`,
    role: "img",
    "aria-label": `${metric.label} by session with the client's SRS total below: ${described}.`,
  });
  // Metric panel.
  svg.append(s("rect", { x: left, y: 0, width: width - left - right, height: topH, fill: "#fbfbfa", stroke: GRID }));
  for (const v of [lo, (lo + hi / 1.08) / 2, hi / 1.08]) {
    svg.append(s("text", { x: left - 6, y: yTop(v) + 3, "text-anchor": "end", "font-size": 10, text: fmt(v) }));
  }
  for (const [name, limit] of [["fair", metric.fair], ["good", metric.good]]) {
    if (limit === null || limit === undefined) continue;
    // 'good' sits a little above its line, 'fair' a little below: close limits stay readable.
    const labelY = name === "good" ? yTop(limit) : yTop(limit) + 8;
    svg.append(
      s("line", { x1: left, x2: width - right, y1: yTop(limit), y2: yTop(limit), stroke: MUTED, "stroke-dasharray": "3 3" }),
      s("text", { x: width - right + 4, y: labelY, "font-size": 9, text: name }),
    );
  }
  let path = "";
  values.forEach((v, i) => {
    if (v === null || v === undefined) return;
    path += `${path ? "L" : "M"}${x(i).toFixed(1)},${yTop(v).toFixed(1)} `;
  });
  if (path) svg.append(s("path", { d: path, fill: "none", stroke: ACCENT, "stroke-width": 2 }));
  values.forEach((v, i) => {
    if (v === null || v === undefined) return;
    const dot = s("circle", { cx: x(i), cy: yTop(v), r: 4, fill: ACCENT });
    dot.append(s("title", { text: `${sessions[i].label}: ${fmt(v)}` }));
    svg.append(dot);
  });
  // SRS panel.
  svg.append(
    s("rect", { x: left, y: srsTop, width: width - left - right, height: srsH, fill: "#fbfbfa", stroke: GRID }),
    s("text", { x: left, y: srsTop - 6, "font-size": 10, fill: "#1e2529", text: `Client's SRS total (0-40); dashed: ${srsConcern}, at or below it talk about it` }),
    s("line", { x1: left, x2: width - right, y1: ySrs(srsConcern), y2: ySrs(srsConcern), stroke: "#D55E00", "stroke-dasharray": "3 3" }),
    s("text", { x: width - right + 4, y: ySrs(srsConcern) + 3, "font-size": 9, text: String(srsConcern) }),
    s("text", { x: left - 6, y: ySrs(40) + 8, "text-anchor": "end", "font-size": 10, text: "40" }),
    s("text", { x: left - 6, y: ySrs(srsLo), "text-anchor": "end", "font-size": 10, text: String(srsLo) }),
  );
  let srsPath = "";
  sessions.forEach((row, i) => {
    if (row.srs_total === null || row.srs_total === undefined) return;
    srsPath += `${srsPath ? "L" : "M"}${x(i).toFixed(1)},${ySrs(row.srs_total).toFixed(1)} `;
  });
  if (srsPath) svg.append(s("path", { d: srsPath, fill: "none", stroke: "#E69F00", "stroke-width": 2 }));
  sessions.forEach((row, i) => {
    if (row.srs_total === null || row.srs_total === undefined) return;
    const dot = s("rect", { x: x(i) - 3.5, y: ySrs(row.srs_total) - 3.5, width: 7, height: 7, fill: "#E69F00" });
    dot.append(s("title", { text: `${row.label}: SRS ${row.srs_total}` }));
    svg.append(dot);
  });
  sessions.forEach((row, i) => {
    svg.append(s("text", { x: x(i), y: height - 6, "text-anchor": "middle", "font-size": 10, text: String(i + 1) }));
  });
  return svg;
}

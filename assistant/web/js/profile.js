// The session profile (metrics beside their published thresholds, the timeline, the
// parts of the overall score) and the summary strip above the session.
import { fmtNumber, fmtPercent, h, turnLink } from "./dom.js";
import { partsPlot, thresholdMeter, timelinePlot } from "./plots.js";
import { swatch, tagInfo, TAG_ORDER } from "./tags.js";

const RATING_CLASS = { good: "rating-good", fair: "rating-fair", "below fair": "rating-below" };

export function rating(value, limits) {
  if (value === null || value === undefined || !limits) return null;
  if (value >= limits.good) return "good";
  return value >= limits.fair ? "fair" : "below fair";
}

function ratingBadge(label) {
  return label ? h("span", { class: `metric-rating ${RATING_CLASS[label]}`, text: label }) : null;
}

function metric(name, valueText, { badge = null, help = null, plot = null } = {}) {
  return h(
    "div",
    { class: "metric" },
    h("div", { class: "metric-head" }, h("span", { class: "metric-name", text: name }), h("span", {}, h("span", { class: "metric-value", text: valueText }), badge)),
    plot,
    help ? h("p", { class: "metric-help", text: help }) : null,
  );
}

function stat(label, value, note) {
  return h("div", { class: "stat" }, h("p", { class: "stat-label", text: label }), h("p", { class: "stat-value", text: value }), note ? h("p", { class: "stat-note" }, note) : null);
}

/** The headline numbers above the session. ``latestSrs`` is a MeasureOut or null. */
export function summaryStrip(profile, latestSrs) {
  const t = profile.thresholds || {};
  const rq = profile.reflection_to_question;
  const cr = profile.percent_complex_reflections;
  const ruptures = profile.ruptures?.length || 0;
  return [
    stat("Overall", profile.overall === null ? "–" : fmtNumber(profile.overall, 0), "of 100, alliance-building practice"),
    stat("Reflections : questions", rq === null ? "–" : `${fmtNumber(rq, 2)} : 1`, rating(rq, t.reflection_to_question) || "no questions"),
    stat("Complex reflections", fmtPercent(cr), rating(cr, t.percent_complex_reflections) || "no reflections"),
    stat("Ruptures repaired", ruptures ? `${profile.ruptures_repaired} of ${ruptures}` : "none", ruptures ? "repair within 4 turns" : "no client rupture markers"),
    stat(
      "Client's SRS",
      latestSrs ? fmtNumber(latestSrs.total, 1) : "–",
      latestSrs ? (latestSrs.values.alliance_concern ? "36 or below: worth talking about" : "above 36") : "not entered yet",
    ),
  ];
}

/** The profile panel. */
export function renderProfile(profile, turns) {
  const t = profile.thresholds || {};
  const parts = [];
  if (profile.note) parts.push(h("p", { class: "note-box", text: profile.note }));
  parts.push(
    metric("Overall", profile.overall === null ? "–" : `${fmtNumber(profile.overall, 1)} / 100`, {
      help: "A summary of alliance-building practice (building parts up, straining parts down); not the alliance itself, which only the client can rate.",
      plot: Object.keys(profile.overall_parts || {}).length ? partsPlot(profile.overall_parts) : null,
    }),
  );
  const rq = profile.reflection_to_question;
  if (t.reflection_to_question) {
    parts.push(
      metric("Reflections to questions", rq === null ? "–" : `${fmtNumber(rq, 2)} : 1`, {
        badge: ratingBadge(rating(rq, t.reflection_to_question)),
        plot: thresholdMeter({ value: rq, ...t.reflection_to_question, max: 3, label: "Reflections to questions" }),
        help: `${profile.reflections} reflections, ${profile.questions} questions. MITI 4.2.1: fair 1:1, good 2:1.`,
      }),
    );
  }
  const cr = profile.percent_complex_reflections;
  if (t.percent_complex_reflections) {
    parts.push(
      metric("Complex reflections", fmtPercent(cr), {
        badge: ratingBadge(rating(cr, t.percent_complex_reflections)),
        plot: thresholdMeter({ value: cr, ...t.percent_complex_reflections, max: 1, label: "Complex reflections", asPercent: true }),
        help: `${profile.complex_reflections} of ${profile.reflections} reflections. MITI 4.2.1: fair 40%, good 50%.`,
      }),
    );
  }
  parts.push(metric("Open questions", fmtPercent(profile.percent_open_questions), { help: `${profile.open_questions} of ${profile.questions} questions.` }));
  parts.push(
    metric("Therapist's share of the talk", fmtPercent(profile.therapist_talk_share_words), {
      help: profile.therapist_talk_share_time !== null ? `${fmtPercent(profile.therapist_talk_share_time)} of the speaking time.` : "By words spoken.",
    }),
  );

  parts.push(h("h3", { text: "Across the session" }));
  parts.push(timelinePlot(turns));
  parts.push(h("p", { class: "plot-caption", text: "Each mark is a coded turn; select one to jump to it in the transcript." }));

  parts.push(h("h3", { text: "Per 10 therapist turns" }));
  parts.push(
    h(
      "table",
      { class: "counts-table" },
      h("caption", { class: "visually-hidden", text: "Codes per 10 therapist turns" }),
      h("tbody", {}, Object.entries(profile.per_10_therapist_turns || {}).map(([tag, v]) => h("tr", {}, h("td", {}, swatch(tag), " ", tagInfo(tag).label), h("td", { class: "num", text: fmtNumber(v, 1) })))),
    ),
  );

  const ruptures = profile.ruptures || [];
  parts.push(h("h3", { text: "Ruptures and repairs" }));
  if (!ruptures.length) parts.push(h("p", { class: "muted", text: "No client rupture markers were coded." }));
  else {
    parts.push(
      h(
        "ul",
        { class: "measure-list" },
        ruptures.map((r) =>
          h(
            "li",
            {},
            turnLink(r.turn_index, `Turn ${r.turn_index + 1}`),
            `: ${r.type}. `,
            r.repaired ? ["Repaired at ", turnLink(r.repair_turn_index), "."] : "No repair within 4 turns.",
          ),
        ),
      ),
    );
  }

  parts.push(h("h3", { text: "All codes" }));
  parts.push(
    h(
      "table",
      { class: "counts-table" },
      h("caption", { class: "visually-hidden", text: "Count of each code in this session" }),
      h("thead", {}, h("tr", {}, h("th", { scope: "col", text: "Code" }), h("th", { scope: "col", class: "num", text: "Turns" }))),
      h(
        "tbody",
        {},
        TAG_ORDER.filter((tag) => tag in (profile.counts || {})).map((tag) => h("tr", {}, h("td", {}, swatch(tag), " ", tagInfo(tag).label), h("td", { class: "num", text: String(profile.counts[tag]) }))),
      ),
    ),
  );
  return parts;
}

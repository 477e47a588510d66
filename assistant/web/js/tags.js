// The codes as the page shows them: a label, an Okabe-Ito colour and a shape (so no
// code is told apart by colour alone), and a one-line meaning from docs/codebook.md.
import { h } from "./dom.js";

export const TAGS = {
  reflection: {
    label: "Reflection", colour: "#0072B2", shape: "circle",
    help: "Gives back what the client said, felt or meant, in the therapist's words.",
  },
  open_question: {
    label: "Open question", colour: "#56B4E9", shape: "circle",
    help: "A question that leaves the client wide room to describe or explore.",
  },
  closed_question: {
    label: "Closed question", colour: "#56B4E9", shape: "ring",
    help: "A question that narrows the answer to yes/no, a choice or a single fact.",
  },
  warmth: {
    label: "Warmth", colour: "#E69F00", shape: "circle",
    help: "Explicit care, empathy, validation, respect or appreciation.",
  },
  collaboration: {
    label: "Collaboration", colour: "#009E73", shape: "circle",
    help: "Makes the work joint: the client's goals, agreed tasks, choices, permission.",
  },
  advice: {
    label: "Advice", colour: "#F0E442", shape: "square", tone: "yellow",
    help: "Recommends or directs what the client should do or think.",
  },
  rigidity: {
    label: "Rigidity", colour: "#D55E00", shape: "square",
    help: "Holds to the therapist's agenda or view without bending to the client.",
  },
  self_disclosure: {
    label: "Self-disclosure", colour: "#CC79A7", shape: "circle",
    help: "The therapist reveals something personal from outside the session.",
  },
  poorly_timed_self_disclosure: {
    label: "Poorly timed disclosure", colour: "#CC79A7", shape: "square",
    help: "A disclosure whose timing or shape risks pulling the session to the therapist.",
  },
  repair: {
    label: "Repair", colour: "#000000", shape: "diamond",
    help: "Attends to strain in the relationship or invites the client to say what is not working.",
  },
  rupture_withdrawal: {
    label: "Rupture: withdrawal", colour: "#D55E00", shape: "triangle-down",
    help: "The client moves away from the therapist or the work.",
  },
  rupture_confrontation: {
    label: "Rupture: confrontation", colour: "#D55E00", shape: "triangle",
    help: "The client moves against the therapist or the work.",
  },
};

export const TAG_ORDER = Object.keys(TAGS);

export function tagInfo(tag) {
  return TAGS[tag] || {
    label: tag.replaceAll("_", " "), colour: "#777777", shape: "square", help: "A code from the model's own label set.",
  };
}

/** The coloured shape that goes before a code's label (decorative: the label says it). */
export function swatch(tag) {
  const info = tagInfo(tag);
  return h("span", {
    class: `swatch shape-${info.shape}${info.tone ? ` tone-${info.tone}` : ""}`,
    style: { "--c": info.colour },
    "aria-hidden": "true",
  });
}

// The drill library's titles (prompts/drills/*.yaml); the practice view asks the API
// for them, these cover the feedback note and the coach before it has.
export const SKILL_LABELS = {
  reflection: "Reflecting the client's meaning",
  warmth_validation: "Warmth and validation",
  collaboration: "Collaborative goal-setting",
  withdrawal_rupture: "Responding to a withdrawal rupture",
  confrontation_rupture: "Responding to a confrontation rupture",
  self_disclosure: "Deciding about self-disclosure",
  flexibility: "Staying flexible when the client resists",
};

export const skillLabel = (skill) => SKILL_LABELS[skill] || String(skill || "").replaceAll("_", " ");

// A category's extra questions (GET /api/categories "attributes", feed/posts/categories.py): asked in the new
// report form, answered in the report's detail. The questions come in one language only (the server's
// description already carries both where it has them), so they are shown as given.

import { clear, h } from "./dom.js";
import { t } from "./i18n.js";

const fieldId = (code) => "attr-" + code;

/** Replace `box`'s contents with the questions of `category` (inputs named attr:CODE). */
export function renderQuestions(box, category) {
  clear(box);
  for (const q of (category && category.attributes) || []) box.append(question(q));
}

function question(q) {
  const id = fieldId(q.code);
  const mark = q.required ? h("span", { class: "required", "aria-hidden": "true" }, " *") : null;
  const error = h("small", { class: "error", id: id + "-error", role: "alert" });
  const common = { name: "attr:" + q.code, required: q.required, "aria-describedby": id + "-error" };
  if (q.datatype === "multivaluelist" || q.datatype === "singlevaluelist") {
    const type = q.datatype === "multivaluelist" ? "checkbox" : "radio";
    // A required choice: the browser enforces `required` on a radio group; a required checkbox group has
    // no such attribute, so submit checks it (check()).
    const options = q.values.map((v) =>
      h("label", { class: "check" }, h("input", { ...common, type, value: v.key, required: type === "radio" && q.required }), " ", v.name),
    );
    return h("fieldset", { class: "attr", id, dataset: { code: q.code } }, h("legend", {}, q.description, mark), ...options, error);
  }
  const input =
    q.datatype === "number"
      ? h("input", { ...common, id: id + "-input", type: "number", step: "any", min: rangeEnd(q, 0), max: rangeEnd(q, 1) })
      : h("input", { ...common, id: id + "-input", maxlength: 200 });
  return h("div", { class: "attr", id, dataset: { code: q.code } }, h("label", { for: id + "-input" }, q.description, mark), input, error);
}

function rangeEnd(q, i) {
  const parts = String(q.datatype_description || "").split(" to ");
  return parts.length === 2 ? parts[i] : null;
}

/** The answers in `form` for `category`, as POST /api/posts wants them ({} when it asks nothing). */
export function answers(form, category) {
  const out = {};
  for (const q of (category && category.attributes) || []) {
    const inputs = [...form.querySelectorAll(`[name="${CSS.escape("attr:" + q.code)}"]`)];
    if (q.datatype === "multivaluelist") out[q.code] = inputs.filter((i) => i.checked).map((i) => i.value);
    else if (q.datatype === "singlevaluelist") out[q.code] = (inputs.find((i) => i.checked) || {}).value || "";
    else out[q.code] = inputs[0] ? inputs[0].value.trim() : "";
    if (q.datatype === "number" && out[q.code] !== "") out[q.code] = Number(out[q.code]);
  }
  return out;
}

/** A required checkbox group left empty: shown next to it; true when the form may be sent. */
export function check(form, category) {
  clearErrors(form);
  const given = answers(form, category);
  const empty = ((category && category.attributes) || []).find(
    (q) => q.required && q.datatype === "multivaluelist" && !given[q.code].length,
  );
  if (empty) showError(form, empty.code, t("post.attr_required"));
  return !empty;
}

export function clearErrors(form) {
  for (const el of form.querySelectorAll(".attr .error")) el.textContent = "";
}

/** Put the server's 422 fields "attributes.CODE" next to their questions; the rest are returned. */
export function showServerErrors(form, fields) {
  const rest = {};
  for (const [key, problem] of Object.entries(fields || {})) {
    const code = key.startsWith("attributes.") ? key.slice("attributes.".length) : null;
    if (!code || !showError(form, code, problem)) rest[key] = problem;
  }
  return rest;
}

function showError(form, code, problem) {
  const el = form.querySelector(`#${CSS.escape(fieldId(code))}-error`);
  if (el) el.textContent = problem;
  return Boolean(el);
}

/** The answers of a report, in its category's order with the questions' words (null when none). */
export function answersView(post, category) {
  const given = post.attributes || {};
  const asked = ((category && category.attributes) || []).filter((q) => q.code in given);
  if (!asked.length) return null;
  const named = (q, key) => (q.values.find((v) => v.key === key) || { name: key }).name;
  const shown = (q) => {
    const value = given[q.code];
    if (Array.isArray(value)) return value.map((k) => named(q, k)).join(", ");
    return q.datatype === "singlevaluelist" ? named(q, value) : String(value);
  };
  return h(
    "dl",
    { class: "answers", "aria-label": t("detail.answers") },
    ...asked.map((q) => [h("dt", {}, q.description), h("dd", {}, shown(q))]),
  );
}

// The "new report" form: category, text, photos (camera or file), and a location from the browser or a
// tap on the map. Sent as multipart to POST /api/posts.

import { api, newIdempotencyKey } from "./api.js";
import { areaNames } from "./areas.js";
import { answers, check, clearErrors, renderQuestions, showServerErrors } from "./attributes.js";
import { $, clear, h, toast } from "./dom.js";
import { showHeld } from "./trust.js";
import { categoryName, errorText, t } from "./i18n.js";
import * as mapView from "./map.js";
import { emit, state } from "./state.js";
import { locate } from "./where.js";

// A refused field is named by the form's own label.
const FIELD_LABELS = {
  category: "post.category",
  text: "post.text",
  photo: "post.photo",
  lat: "post.location",
  lon: "post.location",
};

let point = null; // {lat, lon} chosen for the report
let retryKey = null; // kept only after a network failure: the retry of the same report reuses it

export function initPostForm() {
  $("#post-form").addEventListener("submit", submit);
  $("#post-here").addEventListener("click", useMyLocation);
  $("#post-pick").addEventListener("click", pickOnMap);
  $("#post-cancel").addEventListener("click", () => $("#dlg-post").close());
  $("#post-photo").addEventListener("change", showPreviews);
  $("#post-category").addEventListener("change", showQuestions);
  fillCategories();
}

export function fillCategories() {
  const select = $("#post-category");
  const value = select.value;
  clear(select).append(
    h("option", { value: "" }, t("post.choose_category")),
    ...state.categories.map((c) => h("option", { value: c.code }, categoryName(c))),
  );
  select.value = value;
  showQuestions();
  showPoint();
}

const chosenCategory = () => state.categoryByCode.get($("#post-category").value);

function showQuestions() {
  renderQuestions($("#post-attrs"), chosenCategory());
}

export function openPostForm() {
  if (!state.user) {
    emit("need-auth", { reason: t("auth.required"), then: openPostForm });
    return;
  }
  if (!point) point = { lat: state.center.lat, lon: state.center.lon };
  $("#post-error").textContent = "";
  showPoint();
  $("#dlg-post").showModal();
  $("#post-category").focus();
}

let previewUrls = [];

function showPreviews() {
  for (const url of previewUrls) URL.revokeObjectURL(url);
  const files = [...$("#post-photo").files].slice(0, 4);
  previewUrls = files.map((f) => URL.createObjectURL(f));
  clear($("#post-previews")).append(...previewUrls.map((url, i) => h("img", { src: url, alt: files[i].name })));
}

function showPoint() {
  $("#post-where").textContent = point
    ? t("post.location_value", { lat: point.lat.toFixed(5), lon: point.lon.toFixed(5) })
    : "";
  const area = $("#post-area");
  area.textContent = "";
  if (!point) return;
  const asked = point;
  areaNames(point.lat, point.lon).then((names) => {
    if (asked === point) area.textContent = names;
  });
}

async function useMyLocation() {
  const here = await locate({ prompt: true });
  if (here) {
    point = { lat: here.lat, lon: here.lon };
    showPoint();
  } else {
    toast(t("feed.location_denied"), "error");
  }
}

function pickOnMap() {
  const dlg = $("#dlg-post");
  if (!mapView.hasMap()) {
    toast(t("map.no_map"), "error");
    return;
  }
  dlg.close();
  toast(t("map.pick_prompt"));
  mapView.startPick((lat, lon) => {
    point = { lat, lon };
    showPoint();
    dlg.showModal();
    $("#post-where").focus();
  });
}

async function submit(e) {
  e.preventDefault();
  const form = e.target;
  const error = $("#post-error");
  error.textContent = "";
  const files = [...form.photo.files];
  const limits = (state.config && state.config.photos) || { max_count: 4, max_bytes: 15 * 1024 * 1024 };
  if (files.length > limits.max_count) {
    error.textContent = t("post.too_many_photos");
    return;
  }
  const big = files.find((f) => f.size > limits.max_bytes);
  if (big) {
    error.textContent = t("post.photo_too_big", { name: big.name, mb: Math.round(limits.max_bytes / 1048576) });
    return;
  }
  if (!check(form, chosenCategory())) return;
  const data = new FormData();
  data.set("category", form.category.value);
  const given = answers(form, chosenCategory());
  if (Object.keys(given).length) data.set("attributes", JSON.stringify(given));
  data.set("text", form.text.value.trim());
  data.set("lat", String(point.lat));
  data.set("lon", String(point.lon));
  for (const file of files) data.append("photo", file, file.name);
  const button = $("#post-submit");
  button.disabled = true;
  button.textContent = t("post.sending");
  try {
    const key = retryKey || newIdempotencyKey();
    retryKey = key;
    const post = await api("POST", "/api/posts", { form: data, headers: { "Idempotency-Key": key } });
    retryKey = null;
    form.reset();
    showQuestions();
    showPreviews();
    point = null;
    $("#dlg-post").close();
    if (post.held) {
      // Held for review (issue 6): not public yet, so it is not added to the list; the author is told, in
      // a notice that stays until dismissed (a toast is gone before a slow reader has read it).
      showHeld(post);
    } else {
      toast(t("post.sent"));
      emit("post-created", post);
    }
    if (post.possible_duplicates && post.possible_duplicates.length) {
      const texts = post.possible_duplicates.map((d) => `“${String(d.text || "").slice(0, 60)}”`).join(", ");
      toast(t("post.similar", { texts }));
    }
  } catch (err) {
    if (err.status !== 0) retryKey = null; // the server answered: a corrected report is a new one
    clearErrors(form);
    // The category questions' refusals go next to each question; the rest, by the form's labels, here.
    const rest = showServerErrors(form, err.fields);
    error.textContent = errorText({ status: err.status, code: err.code, message: err.message, fields: rest }, FIELD_LABELS);
  } finally {
    button.disabled = false;
    button.textContent = t("post.submit");
  }
}

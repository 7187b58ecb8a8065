// The Leaflet map: a marker per report, the search circle, and "tap to choose a location".
// Without tiles (offline, blocked) the markers still draw on a plain background; without Leaflet at all
// every function here is a no-op and the list alone carries the page.

import { h } from "./dom.js";
import { t } from "./i18n.js";

const OSM = "https://tile.openstreetmap.org/{z}/{x}/{y}.png";
// The one string here Leaflet inserts as HTML: a constant of ours. Leaflet treats every string it is given as
// content (bindTooltip, bindPopup, setContent, divIcon's html, attributions) as HTML, so user text goes to
// Leaflet only as a DOM node built by dom.js h(), whose strings become text nodes (see label() below).
const OSM_ATTRIBUTION = '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a>';

const STATUS_COLORS = {
  open: "#c0392b",
  acknowledged: "#b9770e",
  in_progress: "#1f618d",
  resolved: "#1e8449",
  rejected: "#5d6d7e",
  forwarded: "#7d3c98",
};

let map = null;
let circle = null;
let me = null;
let picking = null;
const markers = new Map();

export function tileUrl() {
  const meta = document.querySelector('meta[name="warga-tile-url"]');
  return (meta && meta.content) || OSM;
}

export function initMap(el, { center, radius, onOpen, onMoved }) {
  const L = window.L;
  if (!L) {
    el.classList.add("no-map");
    el.textContent = t("map.no_map");
    return false;
  }
  map = L.map(el, { zoomControl: true, attributionControl: true, keyboard: true }).setView(
    [center.lat, center.lon],
    14,
  );
  const tiles = L.tileLayer(tileUrl(), {
    maxZoom: 19,
    attribution: tileUrl() === OSM ? OSM_ATTRIBUTION : "",
    crossOrigin: true,
  });
  tiles.addTo(map);
  circle = L.circle([center.lat, center.lon], {
    radius,
    color: "#1a5276",
    weight: 1,
    fillOpacity: 0.04,
    interactive: false,
  }).addTo(map);
  map.fitBounds(circle.getBounds(), { padding: [8, 8] }); // the whole search circle, whatever the screen
  me = L.circleMarker([center.lat, center.lon], {
    radius: 7,
    color: "#fff",
    weight: 2,
    fillColor: "#1a5276",
    fillOpacity: 1,
    interactive: false,
  }).addTo(map);
  map.on("click", (e) => {
    if (picking) {
      const cb = picking;
      stopPick();
      cb(e.latlng.lat, e.latlng.lng);
    }
  });
  // Keyboard users pick too: pan with the arrow keys, Enter takes the centre (marked by a crosshair).
  map.getContainer().addEventListener("keydown", (e) => {
    if (picking && (e.key === "Enter" || e.key === " ")) {
      e.preventDefault();
      const c = map.getCenter();
      const cb = picking;
      stopPick();
      cb(c.lat, c.lng);
    } else if (picking && e.key === "Escape") {
      stopPick();
    }
  });
  map.on("moveend", () => onMoved && onMoved(map.getCenter()));
  markersOpen = onOpen;
  return true;
}

let markersOpen = null;

export function hasMap() {
  return map !== null;
}

export function setCenter(center, radius, { pan = true } = {}) {
  if (!map) return;
  circle.setLatLng([center.lat, center.lon]).setRadius(radius);
  me.setLatLng([center.lat, center.lon]);
  if (pan) map.fitBounds(circle.getBounds(), { padding: [8, 8] });
}

export function upsertMarker(post) {
  if (!map) return;
  const color = STATUS_COLORS[post.status] || "#c0392b";
  let m = markers.get(post.id);
  if (!m) {
    m = window.L.circleMarker([post.lat, post.lon], {
      radius: 8,
      color: "#fff",
      weight: 2,
      fillColor: color,
      fillOpacity: 0.9,
    });
    m.on("click", () => markersOpen && markersOpen(m.postId));
    m.addTo(map);
    markers.set(post.id, m);
  }
  m.postId = post.id;
  m.setLatLng([post.lat, post.lon]);
  m.setStyle({ fillColor: color });
  label(m, post.text.slice(0, 60));
}

/** The marker's tooltip: one element per marker, its text replaced as text (never as HTML). */
function label(m, text) {
  if (!m.label) {
    m.label = h("span", { class: "marker-label" });
    m.bindTooltip(m.label);
  }
  m.label.textContent = text;
}

export function removeMarker(id) {
  const m = markers.get(id);
  if (m) {
    m.remove();
    markers.delete(id);
  }
}

export function clearMarkers() {
  for (const m of markers.values()) m.remove();
  markers.clear();
}

export function markerCount() {
  return markers.size;
}

/** The next tap on the map calls cb(lat, lon). */
export function startPick(cb) {
  if (!map) return false;
  picking = cb;
  map.getContainer().classList.add("picking");
  map.getContainer().focus();
  return true;
}

export function stopPick() {
  picking = null;
  if (map) map.getContainer().classList.remove("picking");
}

export function invalidate() {
  if (map) map.invalidateSize();
}

/** The map's centre {lat, lng} (null without a map): tests and the console. */
export function center() {
  return map ? map.getCenter() : null;
}

/** Resolves at the end of the next move (tests: keyboard pans are ignored while one is animating). */
export function moved() {
  return map ? new Promise((resolve) => map.once("moveend", () => resolve(true))) : Promise.resolve(false);
}

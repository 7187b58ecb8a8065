// Which areas (kelurahan, kecamatan, kota) contain a point — so people see whose office a report goes to.
// GET /api/areas?lat=&lon= comes with the officials issue; without it (404) nothing is shown.

import { api } from "./api.js";
import { t } from "./i18n.js";

const cache = new Map();

function format(items) {
  // "Kelurahan Gambir, Kecamatan Gambir, Jakarta Pusat": a city's name already says what it is.
  return items.map((a) => (a.level === "kota" || !a.level ? a.name : `${t("level." + a.level)} ${a.name}`)).join(", ");
}

/** The areas containing the point as text, deepest first; "" when outside all or unavailable. */
export async function areaNames(lat, lon) {
  const key = `${lat.toFixed(5)},${lon.toFixed(5)}`;
  if (!cache.has(key)) {
    cache.set(
      key,
      api("GET", "/api/areas", { query: { lat: lat.toFixed(6), lon: lon.toFixed(6) } })
        .then((res) => res.items || [])
        .catch(() => []),
    );
  }
  return format(await cache.get(key));
}

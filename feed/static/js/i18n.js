// Every string the web app shows, in Bahasa Indonesia and English: the one dictionary file.
// Category names come from the server (GET /api/categories carries both languages).

export const STRINGS = {
  id: {
    "app.title": "warga — laporan warga Jakarta",
    "app.tagline": "Laporan warga di sekitar Anda, langsung",
    "skip": "Lewati ke daftar laporan",
    "nav.feed": "Sekitar",
    "nav.inbox": "Kotak masuk",
    "nav.league": "Liga",
    "nav.queue": "Antrean",
    "nav.log": "Log audit",
    "nav.main": "Navigasi utama",
    "lang.switch": "EN",
    "lang.switch_name": "Switch to English",
    "lang.label": "Bahasa",
    "auth.signin": "Masuk",
    "auth.signup": "Daftar",
    "auth.signout": "Keluar",
    "auth.handle": "Nama pengguna",
    "auth.password": "Kata sandi",
    "auth.handle_hint": "3–32 huruf, angka, _ atau .",
    "auth.password_hint": "minimal 8 karakter",
    "auth.need_account": "Belum punya akun? Daftar",
    "auth.have_account": "Sudah punya akun? Masuk",
    "auth.signed_in_as": "Masuk sebagai {handle}",
    "auth.required": "Masuk dulu untuk melakukan ini.",
    "role.citizen": "warga",
    "role.official": "petugas",
    "role.moderator": "moderator",
    "role.admin": "admin",
    "common.cancel": "Batal",
    "common.close": "Tutup",
    "common.send": "Kirim",
    "common.save": "Simpan",
    "common.loading": "Memuat…",
    "common.retry": "Coba lagi",
    "common.more": "Muat lebih banyak",
    "common.error": "Terjadi kesalahan: {message}",
    "common.offline": "Tidak dapat menghubungi server.",
    "common.unavailable": "Fitur ini belum tersedia di server ini.",
    "filter.legend": "Saring laporan",
    "filter.category": "Kategori",
    "filter.status": "Status",
    "filter.all": "Semua",
    "status.open": "Terbuka",
    "status.acknowledged": "Diterima",
    "status.in_progress": "Dikerjakan",
    "status.resolved": "Selesai",
    "status.rejected": "Ditolak",
    "status.forwarded": "Diteruskan",
    "status.reopened": "Dibuka lagi",
    "feed.heading": "Laporan terdekat",
    "feed.empty": "Belum ada laporan di sekitar sini.",
    "feed.count": "{n} laporan",
    "feed.near": "dalam {km} km dari {place}",
    "feed.place_me": "lokasi Anda",
    "feed.place_default": "Monas",
    "feed.place_map": "titik di peta",
    "feed.search_here": "Cari di area ini",
    "feed.use_location": "Pakai lokasi saya",
    "feed.location_denied": "Lokasi tidak diizinkan; menampilkan sekitar Monas.",
    "feed.new_post": "Laporan baru: {text}",
    "feed.hidden_post": "Sebuah laporan disembunyikan moderator.",
    "feed.hidden_badge": "Disembunyikan",
    "live.connecting": "Menghubungkan…",
    "live.on": "Langsung",
    "live.off": "Terputus — menyambung lagi…",
    "live.unavailable": "Pembaruan langsung tidak tersedia; memuat ulang berkala.",
    "map.label": "Peta laporan",
    "map.no_map": "Peta tidak tersedia; laporan tetap tampil di daftar.",
    "map.pick_prompt": "Ketuk peta untuk memilih lokasi laporan (atau geser dengan panah lalu tekan Enter).",
    "post.new": "Buat laporan",
    "post.title": "Laporan baru",
    "post.category": "Kategori",
    "post.choose_category": "Pilih kategori",
    "post.text": "Apa yang terjadi?",
    "post.text_hint": "maksimal 2000 karakter",
    "post.photo": "Foto (kamera atau berkas)",
    "post.photo_hint": "hingga 4 foto",
    "post.too_many_photos": "Paling banyak 4 foto.",
    "post.photo_too_big": "Foto {name} terlalu besar (maks. {mb} MB).",
    "post.location": "Lokasi",
    "post.location_here": "Lokasi saya",
    "post.location_map": "Pilih di peta",
    "post.location_value": "{lat}, {lon}",
    "post.submit": "Kirim laporan",
    "post.sending": "Mengirim…",
    "post.sent": "Laporan terkirim.",
    "post.by": "oleh {handle}",
    "post.distance_m": "{n} m",
    "post.distance_km": "{n} km",
    "post.votes": "{n} dukungan",
    "post.upvote": "Dukung",
    "post.upvoted": "Didukung",
    "post.upvote_label": "Dukung laporan ini ({n} dukungan)",
    "post.comments": "{n} komentar",
    "post.open": "Lihat laporan",
    "post.photo_alt": "Foto laporan: {text}",
    "post.hide": "Sembunyikan",
    "post.unhide": "Tampilkan lagi",
    "post.hide_reason": "Alasan menyembunyikan",
    "post.created": "Dibuat",
    "post.status_now": "Status: {status}",
    "detail.timeline": "Riwayat status",
    "detail.timeline_unavailable": "Riwayat lengkap belum tersedia.",
    "detail.comments": "Komentar",
    "detail.no_comments": "Belum ada komentar.",
    "detail.comment_label": "Tulis komentar",
    "detail.comment_send": "Kirim komentar",
    "detail.comment_hidden": "Komentar disembunyikan",
    "official.inbox": "Kotak masuk petugas",
    "official.overdue": "Terlambat",
    "official.only_overdue": "Hanya yang terlambat",
    "official.change_status": "Ubah status",
    "official.new_status": "Status baru",
    "official.note": "Catatan",
    "official.proof": "Foto bukti",
    "official.proof_hint": "wajib untuk status Selesai",
    "official.empty": "Kotak masuk kosong.",
    "official.league": "Liga kelurahan",
    "official.period": "Periode",
    "official.level": "Tingkat",
    "official.rank": "Peringkat",
    "official.area": "Wilayah",
    "league.empty": "Belum ada data liga.",
    "official.reason": "Alasan",
    "official.reason_hint": "wajib untuk status Ditolak",
    "official.to_area": "Teruskan ke wilayah",
    "official.to_area_hint": "kode wilayah (mis. 31.71.01) atau id",
    "official.attach_position": "Lampirkan posisi saya sebagai lokasi bukti",
    "official.no_transitions": "Status laporan ini tidak bisa diubah lagi.",
    "official.due": "Tenggat {time}",
    "official.overdue_by": "Terlambat {d}",
    "official.need_note_photo": "Status Selesai butuh catatan dan foto bukti.",
    "official.need_reason": "Alasan wajib untuk menolak.",
    "official.need_area": "Isi wilayah tujuan.",
    "official.no_position": "Posisi Anda tidak tersedia; foto bukti harus punya GPS.",
    "official.areas": "Wilayah Anda: {names}",
    "official.unrouted": "Di luar semua wilayah (admin)",
    "detail.reopen": "Buka lagi",
    "detail.reopen_reason": "Kenapa laporan ini perlu dibuka lagi?",
    "timeline.created": "Dilaporkan",
    "timeline.to_area": "ke wilayah #{area}",
    "league.reports": "Laporan",
    "league.ack_median": "Median tanggap",
    "league.resolve_median": "Median selesai",
    "league.within_sla": "Tepat waktu",
    "league.reopen_rate": "Dibuka lagi",
    "league.per_1000": "Per 1.000 warga",
    "league.score": "Skor",
    "league.csv": "Unduh CSV",
    "dur.d": "{n} hr",
    "dur.h": "{n} j",
    "dur.m": "{n} mnt",
    "level.kota": "Kota",
    "level.kecamatan": "Kecamatan",
    "level.kelurahan": "Kelurahan",
    "mod.queue": "Antrean moderasi",
    "mod.empty": "Antrean kosong.",
    "mod.log": "Log audit moderasi",
    "mod.log_empty": "Belum ada tindakan moderasi.",
    "mod.actor": "Pelaku",
    "mod.action": "Tindakan",
    "mod.target": "Sasaran",
    "mod.reason": "Alasan",
    "mod.time": "Waktu",
    "mod.flags": "{n} tanda",
    "mod.staff_only": "Halaman ini khusus untuk moderator.",
    "mod.order": "Urutan",
    "mod.order_newest": "Terbaru",
    "mod.order_flags": "Tanda terbanyak",
    "mod.held": "Ditahan: {reason}",
    "mod.weight": "bobot {w}",
    "mod.restore": "Pulihkan",
    "mod.dismiss": "Abaikan tanda",
    "mod.comment_by": "Komentar {handle}:",
    "mod.action_reason": "Alasan tindakan",
    "flag.title": "Laporkan ke moderator",
    "flag.button": "Laporkan",
    "flag.reason": "Alasan",
    "flag.note": "Catatan (opsional)",
    "flag.send": "Kirim",
    "flag.sent": "Terima kasih, moderator akan memeriksanya.",
    "flag.r.spam": "Spam / iklan",
    "flag.r.abuse": "Kasar / melecehkan",
    "flag.r.false": "Laporan palsu",
    "flag.r.duplicate": "Duplikat",
    "flag.r.personal_data": "Data pribadi",
    "post.held": "Laporan Anda ditahan untuk diperiksa moderator.",
    "post.similar": "Mungkin sama dengan laporan terdekat: {texts}",
    "official.staff_only": "Halaman ini khusus untuk petugas.",
    "time.just_now": "baru saja",
    "time.minutes": "{n} menit lalu",
    "time.hours": "{n} jam lalu",
    "time.days": "{n} hari lalu",
  },
  en: {
    "app.title": "warga — Jakarta citizen reports",
    "app.tagline": "Citizen reports around you, live",
    "skip": "Skip to the reports",
    "nav.feed": "Nearby",
    "nav.inbox": "Inbox",
    "nav.league": "League",
    "nav.queue": "Queue",
    "nav.log": "Audit log",
    "nav.main": "Main navigation",
    "lang.switch": "ID",
    "lang.switch_name": "Ganti ke Bahasa Indonesia",
    "lang.label": "Language",
    "auth.signin": "Sign in",
    "auth.signup": "Sign up",
    "auth.signout": "Sign out",
    "auth.handle": "Handle",
    "auth.password": "Password",
    "auth.handle_hint": "3–32 letters, digits, _ or .",
    "auth.password_hint": "at least 8 characters",
    "auth.need_account": "No account yet? Sign up",
    "auth.have_account": "Have an account? Sign in",
    "auth.signed_in_as": "Signed in as {handle}",
    "auth.required": "Sign in first to do this.",
    "role.citizen": "citizen",
    "role.official": "official",
    "role.moderator": "moderator",
    "role.admin": "admin",
    "common.cancel": "Cancel",
    "common.close": "Close",
    "common.send": "Send",
    "common.save": "Save",
    "common.loading": "Loading…",
    "common.retry": "Retry",
    "common.more": "Load more",
    "common.error": "Something went wrong: {message}",
    "common.offline": "Cannot reach the server.",
    "common.unavailable": "This feature is not available on this server yet.",
    "filter.legend": "Filter reports",
    "filter.category": "Category",
    "filter.status": "Status",
    "filter.all": "All",
    "status.open": "Open",
    "status.acknowledged": "Acknowledged",
    "status.in_progress": "In progress",
    "status.resolved": "Resolved",
    "status.rejected": "Rejected",
    "status.forwarded": "Forwarded",
    "status.reopened": "Reopened",
    "feed.heading": "Nearby reports",
    "feed.empty": "No reports around here yet.",
    "feed.count": "{n} reports",
    "feed.near": "within {km} km of {place}",
    "feed.place_me": "your location",
    "feed.place_default": "Monas",
    "feed.place_map": "a point on the map",
    "feed.search_here": "Search this area",
    "feed.use_location": "Use my location",
    "feed.location_denied": "Location not allowed; showing the area around Monas.",
    "feed.new_post": "New report: {text}",
    "feed.hidden_post": "A report was hidden by a moderator.",
    "feed.hidden_badge": "Hidden",
    "live.connecting": "Connecting…",
    "live.on": "Live",
    "live.off": "Disconnected — reconnecting…",
    "live.unavailable": "Live updates unavailable; refreshing periodically.",
    "map.label": "Map of reports",
    "map.no_map": "Map unavailable; reports still show in the list.",
    "map.pick_prompt": "Tap the map to choose the report's location (or move it with the arrow keys and press Enter).",
    "post.new": "New report",
    "post.title": "New report",
    "post.category": "Category",
    "post.choose_category": "Choose a category",
    "post.text": "What is happening?",
    "post.text_hint": "at most 2000 characters",
    "post.photo": "Photo (camera or file)",
    "post.photo_hint": "up to 4 photos",
    "post.too_many_photos": "At most 4 photos.",
    "post.photo_too_big": "Photo {name} is too large (max {mb} MB).",
    "post.location": "Location",
    "post.location_here": "My location",
    "post.location_map": "Choose on map",
    "post.location_value": "{lat}, {lon}",
    "post.submit": "Send report",
    "post.sending": "Sending…",
    "post.sent": "Report sent.",
    "post.by": "by {handle}",
    "post.distance_m": "{n} m",
    "post.distance_km": "{n} km",
    "post.votes": "{n} upvotes",
    "post.upvote": "Upvote",
    "post.upvoted": "Upvoted",
    "post.upvote_label": "Upvote this report ({n} upvotes)",
    "post.comments": "{n} comments",
    "post.open": "Open report",
    "post.photo_alt": "Report photo: {text}",
    "post.hide": "Hide",
    "post.unhide": "Unhide",
    "post.hide_reason": "Reason for hiding",
    "post.created": "Created",
    "post.status_now": "Status: {status}",
    "detail.timeline": "Status timeline",
    "detail.timeline_unavailable": "The full timeline is not available yet.",
    "detail.comments": "Comments",
    "detail.no_comments": "No comments yet.",
    "detail.comment_label": "Write a comment",
    "detail.comment_send": "Send comment",
    "detail.comment_hidden": "Comment hidden",
    "official.inbox": "Official's inbox",
    "official.overdue": "Overdue",
    "official.only_overdue": "Overdue only",
    "official.change_status": "Change status",
    "official.new_status": "New status",
    "official.note": "Note",
    "official.proof": "Proof photo",
    "official.proof_hint": "required for Resolved",
    "official.empty": "The inbox is empty.",
    "official.league": "Kelurahan league",
    "official.period": "Period",
    "official.level": "Level",
    "official.rank": "Rank",
    "official.area": "Area",
    "league.empty": "No league data yet.",
    "official.reason": "Reason",
    "official.reason_hint": "required for Rejected",
    "official.to_area": "Forward to area",
    "official.to_area_hint": "area code (e.g. 31.71.01) or id",
    "official.attach_position": "Attach my position as the proof location",
    "official.no_transitions": "This report's status cannot change any more.",
    "official.due": "Due {time}",
    "official.overdue_by": "Overdue by {d}",
    "official.need_note_photo": "Resolved needs a note and a proof photo.",
    "official.need_reason": "A reason is required to reject.",
    "official.need_area": "Give the area to forward to.",
    "official.no_position": "Your position is not available; the proof photo must carry GPS.",
    "official.areas": "Your areas: {names}",
    "official.unrouted": "Outside every area (admins)",
    "detail.reopen": "Reopen",
    "detail.reopen_reason": "Why should this report be reopened?",
    "timeline.created": "Reported",
    "timeline.to_area": "to area #{area}",
    "league.reports": "Reports",
    "league.ack_median": "Median to acknowledge",
    "league.resolve_median": "Median to resolve",
    "league.within_sla": "Within SLA",
    "league.reopen_rate": "Reopened",
    "league.per_1000": "Per 1,000 residents",
    "league.score": "Score",
    "league.csv": "Download CSV",
    "dur.d": "{n} d",
    "dur.h": "{n} h",
    "dur.m": "{n} min",
    "level.kota": "City",
    "level.kecamatan": "District",
    "level.kelurahan": "Kelurahan",
    "mod.queue": "Moderation queue",
    "mod.empty": "The queue is empty.",
    "mod.log": "Moderation audit log",
    "mod.log_empty": "No moderation actions yet.",
    "mod.actor": "Actor",
    "mod.action": "Action",
    "mod.target": "Target",
    "mod.reason": "Reason",
    "mod.time": "Time",
    "mod.flags": "{n} flags",
    "mod.staff_only": "This page is for moderators.",
    "mod.order": "Order",
    "mod.order_newest": "Newest",
    "mod.order_flags": "Most flags",
    "mod.held": "Held: {reason}",
    "mod.weight": "weight {w}",
    "mod.restore": "Restore",
    "mod.dismiss": "Dismiss flags",
    "mod.comment_by": "Comment by {handle}:",
    "mod.action_reason": "Reason for this action",
    "flag.title": "Report to the moderators",
    "flag.button": "Flag",
    "flag.reason": "Reason",
    "flag.note": "Note (optional)",
    "flag.send": "Send",
    "flag.sent": "Thank you, a moderator will look at it.",
    "flag.r.spam": "Spam / advertising",
    "flag.r.abuse": "Abusive",
    "flag.r.false": "False report",
    "flag.r.duplicate": "Duplicate",
    "flag.r.personal_data": "Personal data",
    "post.held": "Your report is held for a moderator's review.",
    "post.similar": "Possibly the same as a report nearby: {texts}",
    "official.staff_only": "This page is for officials.",
    "time.just_now": "just now",
    "time.minutes": "{n} min ago",
    "time.hours": "{n} h ago",
    "time.days": "{n} d ago",
  },
};

export const LANGS = Object.keys(STRINGS);
const STORAGE_KEY = "warga.lang";
let current = pickDefault();
const listeners = new Set();

function pickDefault() {
  const saved = safeGet(STORAGE_KEY);
  if (saved && STRINGS[saved]) return saved;
  // Bahasa Indonesia for Indonesian browsers, English for everyone else.
  const prefs = navigator.languages && navigator.languages.length ? navigator.languages : [navigator.language];
  for (const pref of prefs) {
    const code = String(pref || "").toLowerCase().split("-")[0];
    if (code === "id" || code === "in" || code === "ms") return "id";
    if (code === "en") return "en";
  }
  return "en";
}

function safeGet(key) {
  try {
    return localStorage.getItem(key);
  } catch {
    return null;
  }
}

export function lang() {
  return current;
}

export function setLang(code) {
  if (!STRINGS[code] || code === current) return;
  current = code;
  try {
    localStorage.setItem(STORAGE_KEY, code);
  } catch {
    /* private mode: the choice lasts for this page only */
  }
  document.documentElement.lang = code;
  for (const fn of listeners) fn(code);
}

export function onLangChange(fn) {
  listeners.add(fn);
}

/** t("post.votes", {n: 3}) → "3 upvotes"; an unknown key shows itself (easy to spot, never blank). */
export function t(key, vars) {
  const text = STRINGS[current][key] ?? STRINGS.en[key] ?? key;
  if (!vars) return text;
  return text.replace(/\{(\w+)\}/g, (m, name) => (name in vars ? String(vars[name]) : m));
}

/** Fill every [data-i18n] (text) and [data-i18n-attr="attr:key;…"] element under root. */
export function translate(root = document) {
  for (const el of root.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll("[data-i18n-attr]")) {
    for (const pair of el.dataset.i18nAttr.split(";")) {
      const [attr, key] = pair.split(":");
      if (attr && key) el.setAttribute(attr.trim(), t(key.trim()));
    }
  }
}

export function categoryName(cat) {
  if (!cat) return "";
  return current === "id" ? cat.name_id : cat.name_en;
}

export function statusName(status) {
  const key = "status." + status;
  const text = t(key);
  return text === key ? status : text;
}

export function timeAgo(iso) {
  const then = Date.parse(iso);
  if (Number.isNaN(then)) return "";
  const s = Math.max(0, (Date.now() - then) / 1000);
  if (s < 60) return t("time.just_now");
  if (s < 3600) return t("time.minutes", { n: Math.floor(s / 60) });
  if (s < 86400) return t("time.hours", { n: Math.floor(s / 3600) });
  return t("time.days", { n: Math.floor(s / 86400) });
}

/** 9000 → "2 h 30 min"; whole days, hours, minutes (two largest units). */
export function duration(seconds) {
  if (seconds === null || seconds === undefined || Number.isNaN(Number(seconds))) return "—";
  let s = Math.max(0, Math.round(Number(seconds)));
  const parts = [];
  for (const [unit, size] of [["dur.d", 86400], ["dur.h", 3600], ["dur.m", 60]]) {
    if (s >= size || (unit === "dur.m" && !parts.length)) {
      parts.push(t(unit, { n: Math.floor(s / size) }));
      s %= size;
    }
  }
  return parts.slice(0, 2).join(" ");
}

export function formatDate(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return "";
  return d.toLocaleString(current === "id" ? "id-ID" : "en-GB", {
    dateStyle: "medium",
    timeStyle: "short",
  });
}

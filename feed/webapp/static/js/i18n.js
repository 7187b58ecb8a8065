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
    "detail.unavailable": "Laporan ini tidak tersedia lagi.",
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
    "official.to_area": "Teruskan ke wilayah (atau dinas di bawah)",
    "official.to_area_hint": "kode wilayah (mis. 31.71.01) atau id",
    "official.attach_position": "Lampirkan posisi saya sebagai lokasi bukti",
    "official.no_transitions": "Status laporan ini tidak bisa diubah lagi.",
    "official.due": "Tenggat {time}",
    "official.overdue_by": "Terlambat {d}",
    "official.need_note_photo": "Status Selesai butuh catatan dan foto bukti.",
    "official.need_reason": "Alasan wajib untuk menolak.",
    "official.need_area": "Isi wilayah atau dinas tujuan.",
    "official.to_agency": "Atau teruskan ke dinas",
    "official.no_agency": "— tidak ke dinas —",
    "official.agencies_for_category": "Menangani kategori ini",
    "official.agencies_other": "Dinas lain",
    "official.agency_badge": "Dinas {code}",
    "post.attr_required": "Pilih minimal satu.",
    "detail.answers": "Jawaban pertanyaan kategori",
    "detail.merged_into": "Digabung ke #{id}",
    "official.no_position": "Posisi Anda tidak tersedia; foto bukti harus punya GPS.",
    "official.areas": "Wilayah Anda: {names}",
    "official.unrouted": "Di luar semua wilayah (admin)",
    "detail.reopen": "Buka lagi",
    "detail.follow": "Ikuti",
    "detail.following": "Mengikuti",
    "detail.follow_hint": "Kabari saya tentang status dan komentar laporan ini",
    "detail.unfollow_hint": "Berhenti mengikuti laporan ini",
    "push.enable": "Nyalakan notifikasi",
    "push.disable": "Matikan notifikasi",
    "push.enabled": "Notifikasi menyala di peramban ini.",
    "push.disabled": "Notifikasi dimatikan.",
    "push.denied": "Peramban menolak izin notifikasi. Ubah di pengaturan situs peramban.",
    "push.failed": "Notifikasi tidak bisa dinyalakan di peramban ini.",
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
    "nav.appeals": "Banding",
    "status.merged": "Digabungkan",
    "held.notice": "Laporan Anda ditahan untuk diperiksa moderator sebelum tampil untuk umum.",
    "held.reason": "Alasan: {reason}.",
    "held.close": "Tutup",
    "held.r.links": "terlalu banyak tautan",
    "held.r.new_account": "akun baru dengan banyak laporan",
    "held.r.burst": "terlalu banyak laporan dalam waktu singkat",
    "held.r.same_text": "teks yang sama dengan laporan Anda sebelumnya",
    "suspend.button": "Tangguhkan pengguna",
    "suspend.title": "Tangguhkan {handle}",
    "suspend.reason": "Alasan",
    "suspend.days": "Lama (hari)",
    "suspend.hide": "Sembunyikan juga semua laporan dan komentarnya",
    "suspend.submit": "Tangguhkan",
    "suspend.done": "{handle} ditangguhkan ({n} laporan disembunyikan).",
    "suspended.title": "Akun ditangguhkan",
    "suspended.why": "Akun Anda ditangguhkan sampai {until}. Alasan: {reason}",
    "appeal.label": "Ajukan banding (sekali untuk penangguhan ini)",
    "appeal.submit": "Kirim banding",
    "appeal.sent": "Banding terkirim. Moderator akan memutuskannya.",
    "appeal.already": "Anda sudah mengajukan banding untuk penangguhan ini.",
    "auth.session_ended": "Sesi Anda berakhir. Masuk lagi untuk melanjutkan.",
    "appeals.title": "Banding penangguhan",
    "appeals.pending": "Hanya yang belum diputuskan",
    "appeals.empty": "Tidak ada banding.",
    "appeals.suspension": "ditangguhkan sampai {until}: {reason}",
    "appeals.uphold": "Tetap tangguhkan",
    "appeals.lift": "Cabut penangguhan",
    "appeals.decided": "Diputuskan: {decision} — {reason}",
    "appeals.d.upheld": "tetap ditangguhkan",
    "appeals.d.lifted": "dicabut",
    "appeals.done": "Banding {handle} diputuskan.",
    "merge.title": "Mungkin duplikat",
    "merge.none": "Tidak ada laporan serupa di dekatnya.",
    "merge.into": "Gabungkan ke #{id}",
    "merge.item": "{text} · {m} m · {n} dukungan",
    "feed.count.one": "{n} laporan",
    "post.votes.one": "{n} dukungan",
    "post.upvote_label.one": "Dukung laporan ini ({n} dukungan)",
    "post.comments.one": "{n} komentar",
    "mod.flags.one": "{n} tanda",
    "suspend.done.one": "{handle} ditangguhkan ({n} laporan disembunyikan).",
    "merge.item.one": "{text} · {m} m · {n} dukungan",
    "comment.empty": "Tulis komentar dulu; komentar tidak boleh kosong.",
    "err.field": "{label}: {problem}",
    "err.offline": "Tidak dapat menghubungi server.",
    "err.bad_request": "Permintaan tidak valid.",
    "err.bad_json": "Isi permintaan tidak terbaca.",
    "err.bad_multipart": "Isi formulir tidak terbaca.",
    "err.unauthorized": "Masuk dulu; sesi Anda tidak berlaku atau sudah berakhir.",
    "err.bad_credentials": "Nama pengguna atau kata sandi salah.",
    "err.forbidden": "Anda tidak berhak melakukan ini.",
    "err.suspended": "Akun Anda sedang ditangguhkan.",
    "err.not_found": "Tidak ditemukan.",
    "err.handle_taken": "Nama pengguna itu sudah dipakai.",
    "err.already_flagged": "Anda sudah menandai ini.",
    "err.already_appealed": "Penangguhan ini sudah diajukan banding.",
    "err.already_decided": "Banding ini sudah diputuskan.",
    "err.already_merged": "Salah satu laporan ini sudah digabungkan.",
    "err.not_in_queue": "Ini tidak ada lagi di antrean moderasi.",
    "err.not_suspended": "Akun ini tidak sedang ditangguhkan.",
    "err.not_closed": "Laporan ini masih terbuka.",
    "err.reopen_window_closed": "Laporan hanya dapat dibuka lagi dalam 14 hari.",
    "err.illegal_transition": "Status laporan tidak dapat diubah ke sana dari status sekarang.",
    "err.unknown_status": "Status tidak dikenal.",
    "err.idempotency_conflict": "Permintaan yang sama masih diproses; tunggu sebentar.",
    "err.idempotency_key_reused": "Permintaan ini bentrok dengan kiriman sebelumnya; coba lagi.",
    "err.too_large": "Kiriman terlalu besar.",
    "err.unsupported_media_type": "Jenis kiriman tidak didukung.",
    "err.rate_limited": "Terlalu banyak permintaan; coba lagi sebentar lagi.",
    "err.unavailable": "Server sedang tidak tersedia; coba lagi.",
    "err.internal": "Terjadi kesalahan di server.",
    "err.photo_too_large": "Foto terlalu besar.",
    "err.photo_unsupported": "Foto harus berformat JPEG, PNG, WebP atau HEIC.",
    "err.photo_unreadable": "Foto tidak dapat dibaca; mungkin rusak atau tidak lengkap.",
    "err.photo_empty": "Foto kosong.",
    "err.photo_failed": "Foto tidak dapat diproses; coba lagi atau pakai foto lain.",
    "err.photo_unavailable": "Pemrosesan foto sedang tidak berjalan; coba lagi.",
    "err.no_location": "Foto ini tidak membawa posisi GPS.",
    "err.photo_timeout": "Foto terlalu lama diproses; coba foto yang lebih kecil.",
    "field.text": "Teks",
    "field.category": "Kategori",
    "field.photo": "Foto",
    "field.lat": "Lokasi",
    "field.lon": "Lokasi",
    "field.handle": "Nama pengguna",
    "field.password": "Kata sandi",
    "field.reason": "Alasan",
    "field.note": "Catatan",
    "field.status": "Status",
    "field.days": "Lama (hari)",
    "field.to_area": "Wilayah tujuan",
    "field.to_agency": "Dinas tujuan",
    "field.attributes": "Pertanyaan kategori",
    "field.body": "Isi",
    "prob.required": "wajib diisi",
    "prob.required_to_reject": "wajib diisi untuk menolak",
    "prob.empty": "tidak boleh kosong",
    "prob.max_chars": "maksimal {a} karakter",
    "prob.min_chars": "minimal {a} karakter",
    "prob.between": "harus antara {a} dan {b}",
    "prob.at_least": "minimal {a}",
    "prob.at_most": "maksimal {a}",
    "prob.more_than": "harus lebih dari {a}",
    "prob.less_than": "harus kurang dari {a}",
    "prob.number": "harus berupa angka",
    "prob.integer": "harus bilangan bulat",
    "prob.string": "harus berupa teks",
    "prob.boolean": "harus ya atau tidak",
    "prob.format": "formatnya salah",
    "prob.unknown_field": "isian tidak dikenal",
    "prob.unknown_category": "tidak dikenal",
    "prob.no_area": "wilayah tidak ditemukan",
    "prob.no_agency": "dinas tidak ditemukan",
    "prob.taken": "sudah dipakai orang lain",
    "prob.too_large": "terlalu besar",
    "prob.no_gps": "tidak membawa posisi GPS",
    "prob.max_photos": "maksimal {a} foto",
    "prob.max_proof": "maksimal {a} foto bukti",
    "prob.one_photo": "kirim tepat satu foto",
    "prob.one_of": "harus salah satu dari {a}",
    "prob.not_from": "tidak bisa dari status {a}",
    "prob.lat_lon": "lintang dan bujur harus diisi bersama",
    "prob.handle_rule": "3–32 huruf, angka, _ atau .",
    "prob.common_password": "termasuk kata sandi yang paling umum; pilih yang lain",
    "prob.not_handle": "tidak boleh sama dengan nama pengguna",
    "prob.already_there": "laporan sudah berada di sana",
    "prob.area_or_agency": "pilih wilayah atau dinas, tidak keduanya",
    "merge.done": "Laporan digabungkan ke #{id}.",
    "merge.reason_preset": "duplikat",
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
    "detail.unavailable": "This report is no longer available.",
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
    "official.need_area": "Give the area or agency to forward to.",
    "official.to_agency": "Or forward to a city agency",
    "official.no_agency": "— not to an agency —",
    "official.agencies_for_category": "Handle this category",
    "official.agencies_other": "Other agencies",
    "official.agency_badge": "Agency {code}",
    "post.attr_required": "Choose at least one.",
    "detail.answers": "Answers to the category's questions",
    "detail.merged_into": "Merged into #{id}",
    "official.no_position": "Your position is not available; the proof photo must carry GPS.",
    "official.areas": "Your areas: {names}",
    "official.unrouted": "Outside every area (admins)",
    "detail.reopen": "Reopen",
    "detail.follow": "Follow",
    "detail.following": "Following",
    "detail.follow_hint": "Tell me about this report's status and comments",
    "detail.unfollow_hint": "Stop following this report",
    "push.enable": "Turn on notifications",
    "push.disable": "Turn off notifications",
    "push.enabled": "Notifications are on in this browser.",
    "push.disabled": "Notifications are off.",
    "push.denied": "The browser refused to show notifications. Change it in the browser's site settings.",
    "push.failed": "Notifications cannot be turned on in this browser.",
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
    "nav.appeals": "Appeals",
    "status.merged": "Merged",
    "held.notice": "Your report is held for review by a moderator before everyone can see it.",
    "held.reason": "Reason: {reason}.",
    "held.close": "Close",
    "held.r.links": "too many links",
    "held.r.new_account": "a new account with many reports",
    "held.r.burst": "too many reports in a short time",
    "held.r.same_text": "the same text as an earlier report of yours",
    "suspend.button": "Suspend user",
    "suspend.title": "Suspend {handle}",
    "suspend.reason": "Reason",
    "suspend.days": "Duration (days)",
    "suspend.hide": "Also hide all their reports and comments",
    "suspend.submit": "Suspend",
    "suspend.done": "{handle} is suspended ({n} reports hidden).",
    "suspended.title": "Account suspended",
    "suspended.why": "Your account is suspended until {until}. Reason: {reason}",
    "appeal.label": "Appeal (once for this suspension)",
    "appeal.submit": "Send appeal",
    "appeal.sent": "Appeal sent. A moderator will decide it.",
    "appeal.already": "You have already appealed this suspension.",
    "auth.session_ended": "Your session ended. Sign in again to continue.",
    "appeals.title": "Suspension appeals",
    "appeals.pending": "Undecided only",
    "appeals.empty": "No appeals.",
    "appeals.suspension": "suspended until {until}: {reason}",
    "appeals.uphold": "Keep suspended",
    "appeals.lift": "Lift suspension",
    "appeals.decided": "Decided: {decision} — {reason}",
    "appeals.d.upheld": "kept suspended",
    "appeals.d.lifted": "lifted",
    "appeals.done": "{handle}'s appeal is decided.",
    "merge.title": "Possible duplicates",
    "merge.none": "No similar reports nearby.",
    "merge.into": "Merge into #{id}",
    "merge.item": "{text} · {m} m · {n} upvotes",
    "feed.count.one": "{n} report",
    "post.votes.one": "{n} upvote",
    "post.upvote_label.one": "Upvote this report ({n} upvote)",
    "post.comments.one": "{n} comment",
    "mod.flags.one": "{n} flag",
    "suspend.done.one": "{handle} is suspended ({n} report hidden).",
    "merge.item.one": "{text} · {m} m · {n} upvote",
    "comment.empty": "Write a comment first; a comment cannot be empty.",
    "err.field": "{label}: {problem}",
    "err.offline": "Cannot reach the server.",
    "err.bad_request": "The request is not valid.",
    "err.bad_json": "The request could not be read.",
    "err.bad_multipart": "The form could not be read.",
    "err.unauthorized": "Sign in first; your session is not valid or has ended.",
    "err.bad_credentials": "Wrong handle or password.",
    "err.forbidden": "You may not do this.",
    "err.suspended": "Your account is suspended.",
    "err.not_found": "Not found.",
    "err.handle_taken": "That handle is taken.",
    "err.already_flagged": "You have already flagged this.",
    "err.already_appealed": "This suspension has already been appealed.",
    "err.already_decided": "This appeal was already decided.",
    "err.already_merged": "One of these reports is already merged.",
    "err.not_in_queue": "This is no longer in the moderation queue.",
    "err.not_suspended": "This account is not suspended.",
    "err.not_closed": "This report is still open.",
    "err.reopen_window_closed": "A report may be reopened within 14 days only.",
    "err.illegal_transition": "The report cannot move to that status from its current one.",
    "err.unknown_status": "Unknown status.",
    "err.idempotency_conflict": "The same request is still being processed; wait a moment.",
    "err.idempotency_key_reused": "This request clashes with an earlier one; try again.",
    "err.too_large": "What you sent is too large.",
    "err.unsupported_media_type": "This kind of upload is not supported.",
    "err.rate_limited": "Too many requests; try again in a moment.",
    "err.unavailable": "The server is unavailable; try again.",
    "err.internal": "Something went wrong on the server.",
    "err.photo_too_large": "The photo is too large.",
    "err.photo_unsupported": "Photos must be JPEG, PNG, WebP or HEIC.",
    "err.photo_unreadable": "The photo could not be read; it may be damaged or incomplete.",
    "err.photo_empty": "The photo is empty.",
    "err.photo_failed": "The photo could not be processed; try again or use another photo.",
    "err.photo_unavailable": "Photo processing is not running; try again.",
    "err.no_location": "This photo carries no GPS position.",
    "err.photo_timeout": "The photo took too long to process; try a smaller photo.",
    "field.text": "Text",
    "field.category": "Category",
    "field.photo": "Photo",
    "field.lat": "Location",
    "field.lon": "Location",
    "field.handle": "Handle",
    "field.password": "Password",
    "field.reason": "Reason",
    "field.note": "Note",
    "field.status": "Status",
    "field.days": "Duration (days)",
    "field.to_area": "Area to forward to",
    "field.to_agency": "Agency to forward to",
    "field.attributes": "Category questions",
    "field.body": "Body",
    "prob.required": "required",
    "prob.required_to_reject": "required to reject",
    "prob.empty": "must not be empty",
    "prob.max_chars": "must be at most {a} characters",
    "prob.min_chars": "must be at least {a} characters",
    "prob.between": "must be between {a} and {b}",
    "prob.at_least": "must be at least {a}",
    "prob.at_most": "must be at most {a}",
    "prob.more_than": "must be more than {a}",
    "prob.less_than": "must be less than {a}",
    "prob.number": "must be a number",
    "prob.integer": "must be a whole number",
    "prob.string": "must be text",
    "prob.boolean": "must be yes or no",
    "prob.format": "has the wrong format",
    "prob.unknown_field": "unknown field",
    "prob.unknown_category": "is not a known category",
    "prob.no_area": "no such area",
    "prob.no_agency": "no such agency",
    "prob.taken": "is taken",
    "prob.too_large": "too large",
    "prob.no_gps": "carries no GPS position",
    "prob.max_photos": "at most {a} photos",
    "prob.max_proof": "at most {a} proof photo",
    "prob.one_photo": "send exactly one photo",
    "prob.one_of": "must be one of {a}",
    "prob.not_from": "not allowed from {a}",
    "prob.lat_lon": "latitude and longitude go together",
    "prob.handle_rule": "3–32 letters, digits, _ or .",
    "prob.common_password": "is one of the most common passwords; choose another",
    "prob.not_handle": "must not be your handle",
    "prob.already_there": "the report is already there",
    "prob.area_or_agency": "choose an area or an agency, not both",
    "merge.done": "Report merged into #{id}.",
    "merge.reason_preset": "duplicate",
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

/**
 * t("post.votes", {n: 3}) → "3 upvotes"; an unknown key shows itself (easy to spot, never blank). With a
 * number `n`, the language's plural rule picks `key.one` where it has one ("1 comment"; Indonesian has no
 * plural form, so its `.one` strings read like the others: "1 komentar").
 */
export function t(key, vars) {
  const dict = STRINGS[current];
  let text;
  if (vars && typeof vars.n === "number" && new Intl.PluralRules(current).select(vars.n) === "one") {
    text = dict[key + ".one"];
  }
  text = text ?? dict[key] ?? STRINGS.en[key] ?? key;
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

// --- errors ------------------------------------------------------------------------------------------------
// The API's words for a refused field (feed/core/endpoint.py `_invalid` and the handlers' `invalid({...})`),
// matched and said in the user's language; {a}/{b} carry the numbers or names in them.
const PROBLEMS = [
  [/^required(?: \(or \w+\))?$/, "prob.required"],
  [/^required to reject$/, "prob.required_to_reject"],
  [/^must not be empty$/, "prob.empty"],
  [/^must be at most (\d+) characters$/, "prob.max_chars"],
  [/^must be at least (\d+) characters$/, "prob.min_chars"],
  [/^must be between (\S+) and (\S+)$/, "prob.between"],
  [/^must be at least (\S+)$/, "prob.at_least"],
  [/^must be at most (\S+)$/, "prob.at_most"],
  [/^must be more than (\S+)$/, "prob.more_than"],
  [/^must be less than (\S+)$/, "prob.less_than"],
  [/^must be a number$/, "prob.number"],
  [/^must be an integer$/, "prob.integer"],
  [/^must be a string$/, "prob.string"],
  [/^must be true or false$/, "prob.boolean"],
  [/^has the wrong format$/, "prob.format"],
  [/^unknown field$/, "prob.unknown_field"],
  [/^unknown category$/, "prob.unknown_category"],
  [/^no such area(?: \(.*\))?$/, "prob.no_area"],
  [/^no such agency(?: \(.*\))?$/, "prob.no_agency"],
  [/^taken$/, "prob.taken"],
  [/^too large$/, "prob.too_large"],
  [/^no GPS$/, "prob.no_gps"],
  [/^at most (\d+) photos$/, "prob.max_photos"],
  [/^at most (\d+) proof photos?$/, "prob.max_proof"],
  [/^send exactly one photo$/, "prob.one_photo"],
  [/^one of (.+)$/, "prob.one_of"],
  [/^not allowed from (\S+)$/, "prob.not_from"],
  [/^give lat and lon together$/, "prob.lat_lon"],
  [/^3-32 letters, digits, '_' or '\.'$/, "prob.handle_rule"],
  [/^is one of the most common passwords/, "prob.common_password"],
  [/^must not be your handle$/, "prob.not_handle"],
  [/^the report is already there$/, "prob.already_there"],
  [/^give (?:to_area or to_agency, not both|area or agency \(exactly one\))$/, "prob.area_or_agency"],
];

/** The server's words without pointers into the API ("unknown category (see GET /api/categories)"). */
function withoutApi(text) {
  return String(text || "")
    .replace(/\s*\([^()]*\/api\/[^()]*\)/g, "")
    .replace(/\s*\b(?:see )?(?:GET|POST|PUT|DELETE) \/api\/\S*/g, "")
    .trim();
}

/** One field problem in the user's language; null for words this file does not know. */
function knownProblem(problem) {
  const text = withoutApi(problem);
  for (const [pattern, key] of PROBLEMS) {
    const m = pattern.exec(text);
    if (m) return t(key, { a: m[1], b: m[2] });
  }
  return null;
}

/** One field problem in the user's language; an unknown one as the server worded it. */
export function problemText(problem) {
  return knownProblem(problem) ?? withoutApi(problem);
}

function fieldLabel(name, labels) {
  const key = labels[name] || (STRINGS.en["field." + name] ? "field." + name : null);
  // The form's own label, without the question mark or colon it ends on ("What happened?" → "What happened").
  return key ? t(key).replace(/[\s?:：]+$/, "") : name;
}

/**
 * An ApiError (js/api.js) in the user's language: the code's sentence (or, for a code this file does not
 * know, the server's message, which follows Accept-Language), then each refused field as "Label: problem",
 * labels from the form (`labels`: field → i18n key of its <label>). A 422 `invalid` with fields says the
 * fields only; a known code says its sentence only; no sentence appears twice.
 */
export function errorText(err, labels = {}) {
  if (!err) return "";
  if (err.status === 0) return t("err.offline");
  const known = Boolean(STRINGS.en["err." + err.code]);
  const own = known ? t("err." + err.code) : withoutApi(err.message);
  const parts = [];
  for (const [name, problem] of Object.entries(err.fields || {})) {
    // Beside a code this file knows (photo_unsupported, handle_taken, …) a field only repeats its sentence
    // in other words ("photo: Photos must be …", "handle: taken"): the sentence alone says it.
    if (typeof problem !== "string" || problem === err.message || (known && err.code !== "invalid")) continue;
    parts.push(t("err.field", { label: fieldLabel(name, labels), problem: problemText(problem) }));
  }
  const lines = err.code === "invalid" && parts.length ? parts : [own, ...parts];
  return [...new Set(lines.filter(Boolean))].join(" · ");
}

/** An error for a toast: "Something went wrong: …" around errorText. */
export function errorToast(err, labels) {
  return err && err.status === 0 ? t("err.offline") : t("common.error", { message: errorText(err, labels) });
}

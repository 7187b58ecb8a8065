"""The Jakarta demo: users, a few hundred reports around real places, photos, votes and comments.

Everything is made through the HTTP API in-process, as users would make it, so posts, photos, events and
counts are exactly real ones. Only three things go around the API: staff roles (there is no endpoint for
them, on purpose), the shipped Jakarta areas (imported like `warga areas import` does, when there are none
yet), and backdating the posts over the last two weeks so the feed looks lived in.
Deterministic: the same --posts gives the same reports, places, photos, votes and comments.
"""

from __future__ import annotations

import asyncio
import logging
import math
import random
import re
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from tqdm import tqdm

from db import areas as areas_db
from db import demo as demo_db
from db import users as users_db
from feed.app import build_app
from feed.officials import boundaries
from kernel.geo import EARTH_RADIUS_M
from media.demo_photos import demo_photo

SEED = 20240101
DAYS = 14
COMMENT_GAP_S = 11 * 60


@dataclass(frozen=True)
class Place:
    name: str
    lat: float
    lon: float
    street: str


# Real places with their true coordinates (to ~100 m) and a street people there would name.
PLACES: tuple[Place, ...] = (
    Place("Monas", -6.1754, 106.8272, "Jl. Medan Merdeka Barat"),
    Place("Bundaran HI", -6.1950, 106.8230, "Jl. M.H. Thamrin"),
    Place("Kota Tua", -6.1352, 106.8133, "Jl. Pintu Besar Utara"),
    Place("Blok M", -6.2443, 106.8006, "Jl. Melawai Raya"),
    Place("Kemang", -6.2607, 106.8137, "Jl. Kemang Raya"),
    Place("Senayan", -6.2183, 106.8020, "Jl. Pintu Satu Senayan"),
    Place("Tanah Abang", -6.1870, 106.8140, "Jl. K.H. Fachrudin"),
    Place("Glodok", -6.1445, 106.8150, "Jl. Pancoran Glodok"),
    Place("Ancol", -6.1225, 106.8330, "Jl. Lodan Raya"),
    Place("Kelapa Gading", -6.1583, 106.9080, "Jl. Boulevard Raya"),
    Place("Cawang", -6.2450, 106.8730, "Jl. M.T. Haryono"),
    Place("Manggarai", -6.2100, 106.8500, "Jl. Sultan Agung"),
    Place("Pasar Minggu", -6.2840, 106.8440, "Jl. Raya Pasar Minggu"),
    Place("Cempaka Putih", -6.1800, 106.8680, "Jl. Cempaka Putih Raya"),
    Place("Grogol", -6.1665, 106.7900, "Jl. Kyai Tapa"),
    Place("Pluit", -6.1170, 106.7900, "Jl. Pluit Raya"),
    Place("Cengkareng", -6.1530, 106.7350, "Jl. Daan Mogot"),
    Place("Rawamangun", -6.1950, 106.8900, "Jl. Pemuda"),
    Place("Jatinegara", -6.2150, 106.8700, "Jl. Jatinegara Barat"),
    Place("Tebet", -6.2260, 106.8530, "Jl. Tebet Raya"),
    Place("Kuningan", -6.2290, 106.8300, "Jl. H.R. Rasuna Said"),
    Place("Sudirman", -6.2088, 106.8195, "Jl. Jend. Sudirman"),
    Place("Thamrin", -6.1875, 106.8230, "Jl. M.H. Thamrin"),
    Place("Menteng", -6.1960, 106.8380, "Jl. Teuku Umar"),
    Place("Cikini", -6.1900, 106.8390, "Jl. Cikini Raya"),
    Place("Pondok Indah", -6.2660, 106.7840, "Jl. Metro Pondok Indah"),
    Place("Lebak Bulus", -6.2890, 106.7740, "Jl. Lebak Bulus Raya"),
    Place("Cilandak", -6.2880, 106.7990, "Jl. T.B. Simatupang"),
    Place("Kalibata", -6.2570, 106.8540, "Jl. Raya Kalibata"),
    Place("Cililitan", -6.2610, 106.8660, "Jl. Mayjen Sutoyo"),
    Place("Pulo Gadung", -6.1880, 106.9090, "Jl. Bekasi Raya"),
    Place("Sunter", -6.1400, 106.8700, "Jl. Danau Sunter Utara"),
    Place("Tanjung Priok", -6.1090, 106.8820, "Jl. Enggano"),
    Place("Kampung Melayu", -6.2240, 106.8670, "Jl. Kampung Melayu Besar"),
    Place("Bukit Duri", -6.2280, 106.8590, "Jl. Bukit Duri Tanjakan"),
    Place("Petamburan", -6.1980, 106.8050, "Jl. K.S. Tubun"),
    Place("Slipi", -6.1990, 106.7980, "Jl. Letjen S. Parman"),
    Place("Palmerah", -6.2070, 106.7970, "Jl. Palmerah Barat"),
    Place("Kebayoran Lama", -6.2400, 106.7770, "Jl. Raya Kebayoran Lama"),
    Place("Fatmawati", -6.2800, 106.7970, "Jl. R.S. Fatmawati"),
    Place("Pasar Senen", -6.1745, 106.8440, "Jl. Pasar Senen"),
)

# How often each category is reported: floods and traffic dominate Jakarta's complaints.
CATEGORY_WEIGHTS: dict[str, int] = {
    "flood": 20,
    "traffic": 18,
    "garbage": 12,
    "road_damage": 10,
    "illegal_parking": 8,
    "drainage": 7,
    "street_light": 6,
    "public_facility": 5,
    "tree": 4,
    "crime": 4,
    "fire": 3,
    "other": 3,
}

TEXTS: dict[str, tuple[str, ...]] = {
    "flood": (
        "Banjir setinggi lutut di {street}, motor banyak yang mogok.",
        "Air mulai naik di sekitar {place}, sekarang sudah kira-kira 30 cm.",
        "Genangan setinggi betis di {street} setelah hujan deras semalam. Hati-hati yang lewat.",
        "Banjir lagi di {place}. Mobil kecil sebaiknya cari jalan lain.",
        "{street} tergenang sepinggang di bagian yang rendah, warga mulai mengungsi ke masjid.",
    ),
    "traffic": (
        "Macet total di {street}, sudah 30 menit tidak bergerak.",
        "Lampu lalu lintas di dekat {place} mati, kendaraan saling serobot.",
        "Ada kecelakaan motor di {street}, satu lajur ditutup. Antrean sampai jauh.",
        "Arus dari arah {place} padat merayap, ada galian kabel di tengah jalan.",
        "Bus TransJakarta tertahan di {street}, jalurnya diserobot mobil pribadi.",
    ),
    "garbage": (
        "Tumpukan sampah di pinggir {street} belum diangkut tiga hari, baunya menyengat.",
        "Ada yang buang sampah sembarangan ke kali dekat {place}.",
        "TPS di {street} sudah penuh, sampah meluber sampai ke jalan.",
        "Sampah plastik menumpuk di pintu air dekat {place}.",
    ),
    "crime": (
        "Hati-hati, ada jambret di sekitar {place} tadi malam.",
        "Helm dan spion motor dicuri di parkiran dekat {street}.",
        "Ada laporan pencopetan di halte dekat {place}, jaga barang bawaan.",
    ),
    "road_damage": (
        "Jalan berlubang besar di {street}, sudah dua motor jatuh minggu ini.",
        "Aspal mengelupas di dekat {place}, licin dan berbahaya kalau hujan.",
        "Bekas galian di {street} tidak ditutup rapi, jalannya bergelombang.",
        "Trotoar di {street} ambles, pejalan kaki harus turun ke jalan.",
    ),
    "street_light": (
        "Lampu jalan di {street} mati sejak seminggu, gelap sekali malam hari.",
        "Tiga lampu PJU di dekat {place} padam, rawan kejahatan.",
        "Lampu penyeberangan di {street} berkedip terus, tolong diperbaiki.",
    ),
    "illegal_parking": (
        "Parkir liar di bahu {street} bikin macet tiap sore.",
        "Trotoar dekat {place} dipakai parkir mobil, pejalan kaki terpaksa ke badan jalan.",
        "Juru parkir liar minta Rp10.000 di depan ruko {street}.",
    ),
    "fire": (
        "Kebakaran rumah warga di dekat {place}, asap hitam terlihat dari jauh. Damkar sudah di lokasi.",
        "Ada kebakaran kios di {street}, jalan ditutup sementara.",
        "Korsleting listrik di tiang dekat {place}, sempat keluar api.",
    ),
    "public_facility": (
        "Halte di {street} rusak, atapnya bocor dan kursinya patah.",
        "Toilet umum di {place} tidak bisa dipakai, airnya mati.",
        "Jembatan penyeberangan dekat {place} lantainya berlubang.",
        "Taman di {street} gelap dan ayunannya rusak.",
    ),
    "drainage": (
        "Saluran air di {street} tersumbat sampah, air meluap ke jalan.",
        "Got di dekat {place} mampet dan bau, banyak nyamuk.",
        "Tutup saluran di {street} hilang, lubangnya berbahaya untuk motor.",
    ),
    "tree": (
        "Pohon tumbang menutup sebagian {street} setelah hujan angin.",
        "Dahan besar patah dan menimpa kabel di dekat {place}.",
        "Pohon di {street} sudah miring, takut tumbang kalau hujan deras.",
    ),
    "other": (
        "Suara bising proyek di dekat {place} sampai tengah malam.",
        "Banyak kabel semrawut menjuntai rendah di {street}.",
        "Air PAM di sekitar {place} mati sejak pagi.",
    ),
}

COMMENTS: tuple[str, ...] = (
    "Betul, tadi pagi saya lewat sana juga.",
    "Sudah dilaporkan ke kelurahan belum?",
    "Semoga cepat ditangani.",
    "Masih begitu sampai sekarang.",
    "Terima kasih infonya!",
    "Hindari lewat sana dulu, ambil jalan alternatif.",
    "Tadi sudah mulai surut sedikit.",
    "Petugas sudah datang barusan.",
    "Tiap tahun begini terus, kapan beresnya?",
    "Saya sudah telepon 112.",
    "Foto dari sisi lain sama parahnya.",
    "Hati-hati semua, apalagi kalau malam.",
)

# Spam the moderator hides: the demo shows moderation working, not a spotless feed.
SPAM: tuple[str, ...] = (
    "PROMO pinjaman online cair 5 menit tanpa jaminan, hubungi admin sekarang!!!",
    "Jual followers murah meriah, DM saja kak, dijamin aman.",
)

CITIZENS: tuple[str, ...] = (
    "budi.santoso", "siti.rahma", "agus_w", "dewi.lestari", "rizky.pratama", "putri.ayu",
    "andi.saputra", "nur.hidayah", "fajar.nugroho", "intan.permata", "hendra.g", "maya.sari",
    "yusuf.h", "ratna.dewi", "dimas.arya", "lina.marlina", "eko.prasetyo", "wulan.sari",
    "bayu.aji", "fitri.handayani", "joko.susilo", "ayu.kartika", "reza.m", "sri.wahyuni",
)  # fmt: skip
CITIZEN_PASSWORD = "wargademo123"
# (handle, password, role): documented demo credentials, printed at the end of every seed.
STAFF: tuple[tuple[str, str, str], ...] = (
    ("moderator", "moderator123", "moderator"),
    ("admin", "admin12345", "admin"),
    ("petugas.dsda", "dsda12345", "official"),  # an official of the water agency (DSDA, below)
)
# (code, name, categories): Jakarta's city agencies a report can be forwarded to.
AGENCIES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("DSDA", "Dinas Sumber Daya Air", ("flood", "drainage")),
    ("BINAMARGA", "Dinas Bina Marga", ("road_damage", "street_light")),
    ("DLH", "Dinas Lingkungan Hidup", ("garbage", "tree")),
    ("DISHUB", "Dinas Perhubungan", ("traffic", "illegal_parking")),
    ("SATPOLPP", "Satuan Polisi Pamong Praja", ("public_facility",)),
)
AGENCY_OFFICIAL = ("petugas.dsda", "DSDA")
# Every kelurahan with demo reports, and Monas's (Gambir), gets its lurah, "lurah.<name>" (lurah.gambir),
# all with this password: a trial signs in as an official at once and finds an inbox of reports.
LURAH_PASSWORD = "lurah12345"


class DemoError(RuntimeError):
    """The API refused something the demo expected to work: a bug, reported with the response."""


@dataclass
class Account:
    id: int
    handle: str
    role: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@dataclass
class Summary:
    posts: list[int] = field(default_factory=list)
    photos: int = 0
    votes: int = 0
    comments: int = 0
    hidden: int = 0
    users: int = 0
    areas: int = 0
    lurahs: list[tuple[str, str]] = field(default_factory=list)  # (handle, kelurahan name)


@dataclass(frozen=True)
class PlannedPost:
    author: int  # index into the citizens
    text: str
    category: str
    lat: float
    lon: float
    photo_seeds: tuple[int, ...]
    voters: tuple[int, ...]
    comments: tuple[tuple[int, str], ...]
    spam: bool


def plan(posts: int, citizens: int, seed: int = SEED) -> list[PlannedPost]:
    """The whole demo decided up front from one seeded RNG, so it is the same every run."""
    rng = random.Random(seed)
    categories = list(CATEGORY_WEIGHTS)
    weights = list(CATEGORY_WEIGHTS.values())
    planned = []
    for i in range(posts):
        place = rng.choice(PLACES)
        lat, lon = jitter(rng, place.lat, place.lon, rng.uniform(30, 400))
        spam = rng.random() < 0.02
        if spam:
            category, text = "other", rng.choice(SPAM)
        else:
            category = rng.choices(categories, weights)[0]
            text = rng.choice(TEXTS[category]).format(place=place.name, street=place.street)
        photos = 0 if spam or rng.random() < 0.5 else rng.choices((1, 2, 3), (70, 20, 10))[0]
        # A few reports draw a crowd; most get a handful of votes.
        votes = min(citizens - 1, int(rng.expovariate(1 / 4)) + (12 if rng.random() < 0.08 else 0))
        author = rng.randrange(citizens)
        others = [c for c in range(citizens) if c != author]
        n_comments = 0 if spam else rng.choices((0, 1, 2, 3, 4), (40, 25, 17, 10, 8))[0]
        planned.append(
            PlannedPost(
                author=author,
                text=text,
                category=category,
                lat=round(lat, 6),
                lon=round(lon, 6),
                photo_seeds=tuple(i * 10 + k for k in range(photos)),
                voters=tuple(rng.sample(others, 0 if spam else votes)),
                comments=tuple((rng.randrange(citizens), rng.choice(COMMENTS)) for _ in range(n_comments)),
                spam=spam,
            )
        )
    return planned


def jitter(rng: random.Random, lat: float, lon: float, distance_m: float) -> tuple[float, float]:
    """A point distance_m away from (lat, lon) in a random direction."""
    bearing = rng.uniform(0, 2 * math.pi)
    dlat = math.degrees(distance_m * math.cos(bearing) / EARTH_RADIUS_M)
    dlon = math.degrees(distance_m * math.sin(bearing) / (EARTH_RADIUS_M * math.cos(math.radians(lat))))
    return lat + dlat, lon + dlon


def timeline(count: int, now: datetime, seed: int = SEED) -> list[datetime]:
    """Ascending times over the last DAYS days, ending a few minutes ago: one per post, in id order."""
    rng = random.Random(seed + 1)
    span = timedelta(days=DAYS).total_seconds()
    offsets = sorted((rng.random() for _ in range(count)), reverse=True)
    return [now - timedelta(seconds=300 + span * offset) for offset in offsets]


async def seed_if_empty(runtime: Any) -> bool:
    """Seed the default demo only into a database without posts; True if it seeded."""
    async with runtime.pool.acquire() as conn:
        if await demo_db.has_posts(conn):
            print("warga: database already has posts; demo not seeded")
            return False
    await seed(runtime)
    return True


async def seed(runtime: Any, posts: int = 300, *, progress: bool = True, seed: int = SEED) -> Summary:
    """Create the demo through the API; prints the demo credentials. Returns what was made."""
    planned = plan(posts, len(CITIZENS), seed)
    summary = Summary()
    async with runtime.pool.acquire() as conn:
        # The Jakarta areas first, so that once posts are routed to areas the demo posts are too.
        if await areas_db.count(conn) == 0:
            result = await boundaries.import_file(conn, demo_areas_path())
            summary.areas = result.created
    async with _api(runtime) as api, _limits_paused(runtime):
        citizens = [await _account(api, runtime, h, CITIZEN_PASSWORD) for h in CITIZENS]
        staff = {role: await _account(api, runtime, h, pw, role) for h, pw, role in STAFF}
        summary.users = len(citizens) + len(staff)
        await _agencies(api, staff["admin"])
        with _progress(len(planned), progress) as bar:
            for item in planned:
                post_id = await _post(api, citizens[item.author], item)
                summary.posts.append(post_id)
                summary.photos += len(item.photo_seeds)
                for voter in item.voters:
                    await _call(api, "PUT", f"/api/posts/{post_id}/vote", 200, citizens[voter])
                    summary.votes += 1
                for author, text in item.comments:
                    await _call(
                        api, "POST", f"/api/posts/{post_id}/comments", 201, citizens[author], {"text": text}
                    )
                    summary.comments += 1
                if item.spam:
                    body = {"reason": "spam"}
                    await _call(api, "POST", f"/api/posts/{post_id}/hide", 200, staff["moderator"], body)
                    summary.hidden += 1
                bar.update(1)
        summary.lurahs = await _lurahs(api, runtime, staff["admin"], planned)
        summary.users += len(summary.lurahs)
    async with runtime.pool.acquire() as conn:
        times = timeline(len(summary.posts), runtime.clock(), seed)
        await demo_db.backdate_posts(conn, summary.posts, times, COMMENT_GAP_S)
    _print_credentials(summary)
    return summary


@asynccontextmanager
async def _api(runtime: Any) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=build_app(runtime), client=("127.0.0.1", 0))
    # httpx and our access log write a line per request at info: thousands of lines that would bury the
    # progress bar.
    quiet = [logging.getLogger("httpx"), logging.getLogger("warga.access")]
    levels = [logger.level for logger in quiet]
    for logger in quiet:
        logger.setLevel(logging.WARNING)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://localhost", timeout=120) as client:
            yield client
    finally:
        for logger, level in zip(quiet, levels, strict=True):
            logger.setLevel(level)


@asynccontextmanager
async def _limits_paused(runtime: Any) -> AsyncIterator[None]:
    """Rate limits guard the public API against people and scripts; the demo is the operator seeding their
    own server (like `warga user create`), so this process's limiter is off while it runs, then restored."""
    limits = runtime.limits
    rules, limits.rules = limits.rules, None
    try:
        yield
    finally:
        limits.rules = rules


@contextmanager
def _progress(total: int, enabled: bool) -> Iterator[Any]:
    with tqdm(total=total, desc="demo posts", unit="post", disable=not enabled, file=sys.stderr) as bar:
        yield bar


async def _call(
    api: httpx.AsyncClient,
    method: str,
    path: str,
    expect: int,
    who: Account | None = None,
    json: dict[str, Any] | None = None,
    **kwargs: Any,
) -> dict[str, Any]:
    headers = who.headers if who else {}
    response = await api.request(method, path, json=json, headers=headers, **kwargs)
    if response.status_code != expect:
        raise DemoError(f"{method} {path} answered {response.status_code}: {response.text[:500]}")
    body: dict[str, Any] = response.json()
    return body


async def _account(
    api: httpx.AsyncClient, runtime: Any, handle: str, password: str, role: str = "citizen"
) -> Account:
    """Register, or sign in if an earlier demo run made the account already."""
    credentials = {"handle": handle, "password": password}
    async with runtime.pool.acquire() as conn:
        # Asked first because each API call here costs an argon2 hash: one, not two, per account.
        exists = await users_db.by_handle_with_hash(conn, handle) is not None
    response = await api.post("/api/auth/login" if exists else "/api/auth/register", json=credentials)
    if response.status_code not in (200, 201):
        raise DemoError(
            f"cannot register or sign in {handle!r}: {response.status_code} {response.text[:300]}"
        )
    body = response.json()
    user_id = body["user"]["id"]
    if role != body["user"]["role"]:
        async with runtime.pool.acquire() as conn:
            await users_db.set_role(conn, user_id, role)
    return Account(user_id, handle, role, body["token"])


async def _agencies(api: httpx.AsyncClient, admin: Account) -> None:
    """The city agencies and one agency official, through the admin API (200 when a rerun finds them)."""
    for code, name, categories in AGENCIES:
        body = {"code": code, "name": name, "categories": list(categories)}
        response = await api.post("/api/admin/agencies", json=body, headers=admin.headers)
        if response.status_code not in (200, 201):
            raise DemoError(f"agency {code} answered {response.status_code}: {response.text[:300]}")
    handle, agency = AGENCY_OFFICIAL
    body = {"handle": handle, "agency": agency}
    response = await api.post("/api/admin/officials", json=body, headers=admin.headers)
    if response.status_code not in (200, 201):
        raise DemoError(f"official {handle} answered {response.status_code}: {response.text[:300]}")


async def _lurahs(
    api: httpx.AsyncClient, runtime: Any, admin: Account, planned: list[PlannedPost]
) -> list[tuple[str, str]]:
    """One official per kelurahan holding demo reports (asked of GET /api/areas, as the router places
    them) and for Monas's (Gambir), where the page opens, appointed through the admin API; (handle,
    kelurahan), Monas's first."""
    kelurahan: dict[str, str] = {}  # code -> name
    for lat, lon in [(PLACES[0].lat, PLACES[0].lon), *((item.lat, item.lon) for item in planned)]:
        answer = await api.get("/api/areas", params={"lat": lat, "lon": lon})
        found = [a for a in answer.json()["items"] if a["level"] == "kelurahan"]
        if answer.status_code == 200 and found:
            kelurahan.setdefault(found[0]["code"], found[0]["name"])
    made: list[tuple[str, str]] = []
    taken: set[str] = set()
    for code, name in kelurahan.items():
        handle = lurah_handle(name)
        if handle in taken:  # two kelurahan of one name: the second also says its code
            handle = lurah_handle(f"{name} {code}")
        taken.add(handle)
        await _account(api, runtime, handle, LURAH_PASSWORD)
        response = await api.post(
            "/api/admin/officials", json={"handle": handle, "area": code}, headers=admin.headers
        )
        if response.status_code not in (200, 201):
            raise DemoError(f"lurah {handle} answered {response.status_code}: {response.text[:300]}")
        made.append((handle, name))
    return made


def lurah_handle(name: str) -> str:
    """ "Kebon Kacang" -> "lurah.kebon_kacang" (a handle: letters, digits, _ and ., at most 32)."""
    words = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")
    return ("lurah." + words)[:32]


async def _post(api: httpx.AsyncClient, author: Account, item: PlannedPost) -> int:
    fields = {"text": item.text, "category": item.category, "lat": str(item.lat), "lon": str(item.lon)}
    if item.photo_seeds:
        # Pillow is CPU work: off the event loop, so a serving process stays responsive while it seeds.
        photos = await asyncio.gather(
            *(asyncio.to_thread(demo_photo, item.category, s) for s in item.photo_seeds)
        )
        files = [
            ("photo", (f"demo-{s}.jpg", data, "image/jpeg"))
            for s, data in zip(item.photo_seeds, photos, strict=True)
        ]
        body = await _call(api, "POST", "/api/posts", 201, author, data=fields, files=files)
    else:
        body = await _call(
            api, "POST", "/api/posts", 201, author, fields | {"lat": item.lat, "lon": item.lon}
        )
    post = body.get("post", body)
    if len(post["photos"]) != len(item.photo_seeds):
        raise DemoError(f"post {post['id']} kept {len(post['photos'])} of {len(item.photo_seeds)} photos")
    post_id: int = post["id"]
    return post_id


def _print_credentials(summary: Summary) -> None:
    print(
        f"warga: demo seeded: {len(summary.posts)} posts, {summary.photos} photos, {summary.votes} votes, "
        f"{summary.comments} comments, {summary.hidden} hidden as spam, {summary.users} users, "
        f"{summary.areas} Jakarta areas imported, {len(AGENCIES)} city agencies"
    )
    print("warga: demo accounts (handle / password):")
    for handle, password, role in STAFF:
        print(f"  {role:<10} {handle} / {password}")
    print(f"  citizens   {', '.join(CITIZENS[:3])}, … ({len(CITIZENS)} in all) / {CITIZEN_PASSWORD}")
    if summary.lurahs:
        first = ", ".join(f"{h} ({name})" for h, name in summary.lurahs[:3])
        more = f", … ({len(summary.lurahs)} in all)" if len(summary.lurahs) > 3 else ""
        print(f"  lurah      {first}{more} / {LURAH_PASSWORD}")


def demo_areas_path() -> Path:
    """The approximate Jakarta areas shipped with warga (made by warga/data/generate_jakarta_areas.py)."""
    return Path(__file__).parent / "data" / "jakarta_areas.geojson"

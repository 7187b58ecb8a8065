"""The photo pipeline and storage (media/): hostile input refused with the right 4xx and nothing stored,
orientation and privacy on every variant, colour kept, fuzzing, content addressing, and a pool that survives
crashing and hanging workers without ever blocking the event loop."""

from __future__ import annotations

import asyncio
import io
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from PIL import Image, ImageCms

from kernel.settings import Secret, Settings
from media import pipeline
from media.errors import PhotoRejected
from media.photo import Limits, ProcessedPhoto
from media.processor import PhotoProcessor
from media.serving import MEDIA_HEADERS, media_headers
from media.storage import FileStorage, Storage, make_storage
from media.store import save_photo, variant_key
from tests import photo_samples as samples

UPRIGHT = [samples.TOP_LEFT, samples.TOP_RIGHT, samples.BOTTOM_LEFT, samples.BOTTOM_RIGHT]


@pytest.fixture(scope="module")
def media_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings(data_dir=Path(tmp_path_factory.mktemp("media")), photo_workers=2)


@pytest.fixture(scope="module")
def processor(media_settings: Settings) -> Iterator[PhotoProcessor]:
    photos = PhotoProcessor(media_settings)
    photos.start()
    yield photos
    photos.stop()


@pytest.fixture
def flaky(tmp_path: Path) -> Iterator[PhotoProcessor]:
    """A pool whose workers crash or hang on command (tests.photo_samples.flaky_work)."""
    photos = PhotoProcessor(Settings(data_dir=tmp_path, photo_timeout_s=5.0), work=samples.flaky_work)
    photos.start()
    yield photos
    photos.stop()


@pytest.fixture
def storage(tmp_path: Path) -> FileStorage:
    return FileStorage(tmp_path / "media")


async def until(condition: Callable[[], bool]) -> None:
    for _ in range(60_000):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("condition never became true")


def stored_files(storage: FileStorage) -> list[Path]:
    return sorted(p for p in storage.root.rglob("*") if p.is_file()) if storage.root.exists() else []


def open_variant(processed: ProcessedPhoto, name: str) -> Image.Image:
    return Image.open(io.BytesIO(processed.variants[name].data))


def assert_no_metadata(data: bytes) -> None:
    """A JPEG variant carrying nothing but pixels: JFIF header, tables, frame, scan."""
    markers = samples.jpeg_markers(data)
    # APP0 (JFIF), DQT, SOF0/SOF2, DHT, SOS; APP1 (EXIF/XMP), APP2 (ICC), APP13 (IPTC), COM must be absent.
    assert set(markers) <= {0xE0, 0xDB, 0xC0, 0xC2, 0xC4, 0xDD, 0xDA}, [hex(m) for m in markers]
    image = Image.open(io.BytesIO(data))
    assert not image.getexif()
    assert not {"exif", "xmp", "icc_profile", "comment", "photoshop"} & set(image.info)
    for secret in (b"Exif", b"TestPhone", b"Serial", b"secret", b"http://ns.adobe.com", b"<script"):
        assert secret not in data


# -- the bad-input table ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(samples.bad_inputs()))
async def test_bad_input_is_refused_and_nothing_is_stored(
    name: str, processor: PhotoProcessor, storage: FileStorage
) -> None:
    data, status = samples.bad_inputs()[name]
    with pytest.raises(PhotoRejected) as refused:
        processed = await processor.process(data)
        await save_photo(storage, processed)
    assert refused.value.status == status
    assert refused.value.code.startswith("photo_")
    assert refused.value.message
    assert stored_files(storage) == []


async def test_pool_unaffected_by_the_bad_input_table(processor: PhotoProcessor) -> None:
    before = processor.replacements
    for data, _ in samples.bad_inputs().values():
        with pytest.raises(PhotoRejected):
            await processor.process(data)
    processed = await processor.process(samples.phone_jpeg())
    assert processed.variants["display"].width == 400
    assert processor.replacements == before  # refusals are answers, not crashes


async def test_html_polyglot_in_a_jpeg_comment_is_accepted_but_stripped(processor: PhotoProcessor) -> None:
    data = samples.polyglot_jpeg()
    assert b"<script>" in data
    processed = await processor.process(data)
    for variant in processed.variants.values():
        assert_no_metadata(variant.data)


async def test_refused_types_say_what_they_are(processor: PhotoProcessor) -> None:
    with pytest.raises(PhotoRejected) as refused:
        await processor.process(samples.bad_inputs()["PDF"][0])
    assert refused.value.code == "photo_unsupported"
    assert "PDF" in refused.value.message


def test_photo_rejected_survives_pickling() -> None:
    import pickle

    again = pickle.loads(pickle.dumps(PhotoRejected(413, "photo_too_large", "big")))  # noqa: S301 - our own bytes
    assert (again.status, again.code, again.message) == (413, "photo_too_large", "big")


# -- orientation and privacy -------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [(400, 300), (2400, 1800)], ids=["small-no-resize", "large-resized"])
@pytest.mark.parametrize("orientation", range(1, 9))
async def test_every_orientation_is_upright_and_stripped(
    orientation: int, size: tuple[int, int], processor: PhotoProcessor
) -> None:
    data = samples.phone_jpeg(orientation, size=size)
    processed = await processor.process(data)

    assert processed.gps == pytest.approx(samples.JAKARTA, abs=1e-5)  # read before stripping
    assert (processed.width, processed.height) == size  # the upright original's size
    for name, long_side in (("display", 1280), ("thumb", 320)):
        variant = processed.variants[name]
        assert variant.content_type == "image/jpeg"
        assert_no_metadata(variant.data)
        image = open_variant(processed, name)
        assert image.size == (variant.width, variant.height)
        assert max(image.size) == min(long_side, max(size))
        assert image.width > image.height  # upright landscape, whatever the stored rotation
        colours = samples.quadrant_colours(image)
        assert all(samples.close(c, e) for c, e in zip(colours, UPRIGHT, strict=True)), colours


async def test_damaged_exif_does_not_cost_a_good_photo(processor: PhotoProcessor) -> None:
    garbage = b"Exif\x00\x00MM\x00*\x00\x00\x00\x08\xff\xff" + bytes(range(256)) * 4
    data = samples.insert_segment(samples.encode(samples.pattern(), "JPEG"), 0xE1, garbage)
    processed = await processor.process(data)
    assert processed.gps is None
    assert await processor.locate(data) is None
    assert_no_metadata(processed.variants["display"].data)


async def test_no_gps_means_none(processor: PhotoProcessor) -> None:
    processed = await processor.process(samples.phone_jpeg(gps=None))
    assert processed.gps is None


def test_gps_of_zero_zero_is_no_fix() -> None:
    exif = Image.Exif()
    exif.load(samples.exif_bytes(1, (0.0, 0.0)))
    assert pipeline.read_gps(exif) is None
    exif.load(samples.exif_bytes(1, (40.7128, -74.006)))
    assert pipeline.read_gps(exif) == pytest.approx((40.7128, -74.006), abs=1e-5)


@pytest.mark.parametrize("fmt", ["PNG", "WEBP", "HEIF"])
async def test_other_formats_are_oriented_and_stripped(fmt: str, processor: PhotoProcessor) -> None:
    upright = samples.pattern((400, 300))
    stored = upright.transpose(Image.Transpose.ROTATE_90)  # orientation 6 shows it upright
    data = samples.encode(stored, fmt, exif=samples.exif_bytes(6, samples.JAKARTA))
    processed = await processor.process(data)
    assert processed.gps == pytest.approx(samples.JAKARTA, abs=1e-5)
    image = open_variant(processed, "display")
    assert image.size == (400, 300)
    colours = samples.quadrant_colours(image)
    assert all(samples.close(c, e, 20) for c, e in zip(colours, UPRIGHT, strict=True)), colours
    assert_no_metadata(processed.variants["display"].data)


async def test_multi_picture_jpeg_from_a_phone_uses_the_main_picture(processor: PhotoProcessor) -> None:
    # Portrait-mode and some Samsung photos are MPO: a JPEG with more pictures (depth maps) appended.
    stored = samples.pattern((400, 300)).transpose(Image.Transpose.ROTATE_90)
    depth = Image.new("RGB", (300, 400), (0, 0, 0))
    data = samples.encode(stored, "MPO", save_all=True, append_images=[depth], exif=samples.exif_bytes(6))
    processed = await processor.process(data)
    image = open_variant(processed, "display")
    assert image.size == (400, 300)
    colours = samples.quadrant_colours(image)
    assert all(samples.close(c, e) for c, e in zip(colours, UPRIGHT, strict=True)), colours
    assert_no_metadata(processed.variants["display"].data)


async def test_animated_photo_keeps_its_first_frame(processor: PhotoProcessor) -> None:
    frames = [Image.new("RGB", (120, 90), c) for c in ((200, 20, 20), (20, 200, 20), (20, 20, 200))]
    for fmt in ("WEBP", "PNG"):
        data = samples.encode(frames[0], fmt, save_all=True, append_images=frames[1:], duration=100, loop=0)
        processed = await processor.process(data)
        assert samples.close(open_variant(processed, "display").getpixel((60, 45)), (200, 20, 20))  # type: ignore[arg-type]


async def test_transparent_png_is_flattened_on_white(processor: PhotoProcessor) -> None:
    image = Image.new("RGBA", (100, 100), (0, 0, 0, 0))
    image.paste((200, 0, 0, 255), (0, 0, 50, 100))
    processed = await processor.process(samples.encode(image, "PNG"))
    display = open_variant(processed, "display")
    assert samples.close(display.getpixel((25, 50)), (200, 0, 0))  # type: ignore[arg-type]
    assert samples.close(display.getpixel((75, 50)), (255, 255, 255))  # type: ignore[arg-type]


@pytest.mark.parametrize("profile", ["adobe_rgb", "display_p3"])
async def test_wide_gamut_colours_are_converted_to_srgb(profile: str, processor: PhotoProcessor) -> None:
    icc = samples.adobe_rgb_icc() if profile == "adobe_rgb" else samples.display_p3_icc()
    wanted = (40, 180, 60)  # an sRGB green, well inside both gamuts
    srgb = ImageCms.createProfile("sRGB")
    tagged = ImageCms.profileToProfile(
        Image.new("RGB", (300, 200), wanted), srgb, ImageCms.ImageCmsProfile(io.BytesIO(icc))
    )
    assert tagged is not None
    stored = tagged.getpixel((10, 10))
    assert not samples.close(stored, wanted, 12)  # type: ignore[arg-type]  # as sRGB: visibly wrong
    processed = await processor.process(samples.encode(tagged, "JPEG", quality=95, icc_profile=icc))
    for name in ("display", "thumb"):
        image = open_variant(processed, name)
        assert "icc_profile" not in image.info  # untagged = sRGB
        assert samples.close(image.getpixel((image.width // 2, image.height // 2)), wanted, 5)  # type: ignore[arg-type]


async def test_display_p3_heic_tagged_by_nclx_is_converted_to_srgb(processor: PhotoProcessor) -> None:
    """Android phones tag HEIC colour with an nclx box (primaries + transfer), not an ICC profile."""
    wanted = (40, 180, 60)
    srgb = ImageCms.createProfile("sRGB")
    p3 = ImageCms.ImageCmsProfile(io.BytesIO(samples.display_p3_icc()))  # the tests' own P3 (gamma 2.2)
    tagged = ImageCms.profileToProfile(Image.new("RGB", (300, 200), wanted), srgb, p3)
    assert tagged is not None
    assert not samples.close(tagged.getpixel((10, 10)), wanted, 12)  # type: ignore[arg-type]
    nclx = {
        "color_primaries": 12,
        "transfer_characteristics": 13,
        "matrix_coefficients": 6,
        "full_range_flag": 1,
    }
    processed = await processor.process(samples.encode(tagged, "HEIF", quality=95, nclx_profile=nclx))
    image = open_variant(processed, "display")
    assert samples.close(image.getpixel((150, 100)), wanted, 6)  # type: ignore[arg-type]


async def test_sixteen_bit_and_grey_photos_are_accepted(processor: PhotoProcessor) -> None:
    grey16 = Image.linear_gradient("L").resize((200, 100)).convert("I").point(lambda v: v * 256)
    grey16 = grey16.convert("I;16")
    for image in (grey16, Image.new("L", (50, 40), 128), Image.new("P", (50, 40), 3)):
        processed = await processor.process(samples.encode(image, "PNG"))
        assert open_variant(processed, "display").mode == "RGB"
    cmyk = samples.encode(Image.new("CMYK", (50, 40), (0, 255, 255, 0)), "JPEG")
    processed = await processor.process(cmyk)
    assert samples.close(open_variant(processed, "display").getpixel((25, 20)), (255, 0, 0), 20)  # type: ignore[arg-type]


async def test_variants_and_blurhash(processor: PhotoProcessor) -> None:
    processed = await processor.process(samples.phone_jpeg(size=(3000, 2000)))
    assert (processed.variants["display"].width, processed.variants["display"].height) == (1280, 853)
    assert (processed.variants["thumb"].width, processed.variants["thumb"].height) == (320, 213)
    assert len(processed.blurhash) == 28  # 4 x 3 components
    assert len(processed.sha256) == 64


# -- fuzzing: mutated JPEG/PNG/WebP bytes give a photo or a PhotoRejected, never anything else ---------------

SEEDS = samples.small_samples()


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    data = bytearray(SEEDS[draw(st.sampled_from(sorted(SEEDS)))])
    for _ in range(draw(st.integers(1, 8))):
        kind = draw(st.sampled_from(["flip", "truncate", "insert", "delete", "splice-int"]))
        at = draw(st.integers(0, max(0, len(data) - 1)))
        if kind == "flip" and data:
            data[at] = draw(st.integers(0, 255))
        elif kind == "truncate":
            del data[at:]
        elif kind == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=16))
        elif kind == "delete":
            del data[at : at + draw(st.integers(1, 64))]
        elif kind == "splice-int":  # big numbers where sizes and offsets live
            data[at : at + 4] = draw(st.sampled_from([b"\xff\xff\xff\xff", b"\x7f\xff\xff\xff", b"\0\0\0\0"]))
    return bytes(data)


@hsettings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_fuzzed_photos_give_a_photo_or_a_4xx(data: bytes) -> None:
    try:
        processed = pipeline.process_photo(data, Limits())
    except PhotoRejected as refused:
        assert refused.status in (413, 415, 422)
    else:
        for variant in processed.variants.values():
            assert_no_metadata(variant.data)


# -- content addressing and storage ------------------------------------------------------------------------


async def test_same_photo_twice_is_stored_once(processor: PhotoProcessor, storage: FileStorage) -> None:
    data = samples.phone_jpeg(size=(1600, 1200))
    first = await save_photo(storage, await processor.process(data))
    files = stored_files(storage)
    inodes = {p: p.stat().st_ino for p in files}
    second = await save_photo(storage, await processor.process(data))
    assert first == second
    assert len(files) == 2
    assert stored_files(storage) == files
    assert {p: p.stat().st_ino for p in files} == inodes  # not rewritten either
    assert set(first) == {"thumb", "display"}
    assert first["display"] == {
        "key": first["display"]["key"],
        "width": 1280,
        "height": 960,
        "type": "image/jpeg",
    }


async def test_keys_are_the_sha256_of_the_stored_bytes(
    processor: PhotoProcessor, storage: FileStorage
) -> None:
    import hashlib

    processed = await processor.process(samples.phone_jpeg())
    info = await save_photo(storage, processed)
    for name, variant in processed.variants.items():
        key = info[name]["key"]
        assert key == variant_key(variant)
        read = await storage.read(key)
        assert read == (variant.data, "image/jpeg")
        assert key == f"{key[:2]}/{hashlib.sha256(read[0]).hexdigest()}.jpg"


async def test_storage_refuses_keys_that_are_not_media_keys(storage: FileStorage) -> None:
    (storage.root).mkdir(parents=True)
    (storage.root.parent / "secret.txt").write_text("no")
    for key in ("../secret.txt", "/etc/passwd", "ab/../../secret.txt", "ab/" + "0" * 64 + ".html", ""):
        assert await storage.read(key) is None
        assert not await storage.exists(key)
        with pytest.raises(ValueError):
            await storage.write(key, b"x", "image/jpeg")
    assert await storage.read("ab/" + "a" * 64 + ".jpg") is None  # well-formed but absent


async def test_writes_are_atomic_and_leave_no_temp_files(storage: FileStorage) -> None:
    key = "ab/" + "b" * 64 + ".jpg"
    await storage.write(key, b"one", "image/jpeg")
    await storage.write(key, b"two", "image/jpeg")  # replace: readers see one or two, never a torn file
    assert await storage.read(key) == (b"two", "image/jpeg")
    assert [p.name for p in stored_files(storage)] == ["b" * 64 + ".jpg"]


def test_urls_honour_the_media_base_url(tmp_path: Path) -> None:
    key = "ab/" + "c" * 64 + ".jpg"
    assert make_storage(Settings(data_dir=tmp_path)).url(key) == f"/media/{key}"
    cdn = make_storage(Settings(data_dir=tmp_path, media_base_url="https://photos.example.org/"))
    assert cdn.url(key) == f"https://photos.example.org/{key}"
    assert isinstance(make_storage(Settings(data_dir=tmp_path)), FileStorage)


def test_s3_settings_pick_the_s3_backend_and_keep_keys_secret(tmp_path: Path) -> None:
    env = {
        "WARGA_S3_BUCKET": "warga-photos",
        "WARGA_S3_ENDPOINT_URL": "http://127.0.0.1:9000",
        "WARGA_S3_ACCESS_KEY": "AKIA-test",
        "WARGA_S3_SECRET_KEY": "very-secret",
    }
    settings = Settings.from_env(env)
    assert isinstance(settings.s3_secret_key, Secret)
    assert "very-secret" not in repr(settings)
    backend: Storage = make_storage(settings)
    assert type(backend).__name__ == "S3Storage"
    assert backend.url("ab/" + "d" * 64 + ".jpg").startswith("/media/ab/")


def test_media_headers() -> None:
    assert MEDIA_HEADERS["X-Content-Type-Options"] == "nosniff"
    assert MEDIA_HEADERS["Content-Security-Policy"] == "sandbox"
    # Photos follow their post: public but briefly cached, never `immutable` (docs/photos.md).
    assert MEDIA_HEADERS["Cache-Control"] == "public, max-age=300, s-maxage=60, proxy-revalidate"
    assert "immutable" not in MEDIA_HEADERS["Cache-Control"]
    assert media_headers("image/jpeg")["Content-Type"] == "image/jpeg"


# -- the pool: crashes, timeouts, and an event loop that keeps answering -----------------------------------


async def test_a_photo_that_kills_its_worker_is_refused_and_the_pool_recovers(flaky: PhotoProcessor) -> None:
    good = samples.phone_jpeg()
    crash, bystander = await asyncio.gather(
        flaky.process(b"CRASH"), flaky.process(good), return_exceptions=True
    )
    assert isinstance(crash, PhotoRejected)
    assert (crash.status, crash.code) == (422, "photo_failed")
    assert isinstance(bystander, ProcessedPhoto)  # retried on the fresh pool if it was caught in the crash
    assert flaky.replacements >= 1
    processed = await flaky.process(good)
    assert processed.variants["display"].width == 400


async def test_workers_killed_from_outside_are_replaced(flaky: PhotoProcessor) -> None:
    await flaky.process(samples.phone_jpeg())
    pids = flaky.worker_pids()
    assert pids
    for pid in pids:
        os.kill(pid, signal.SIGKILL)  # as the OOM killer would
    processed = await flaky.process(samples.phone_jpeg())
    assert processed.variants["display"].width == 400
    assert not set(flaky.worker_pids()) & set(pids)


async def test_a_photo_that_hangs_times_out_and_its_worker_is_killed(flaky: PhotoProcessor) -> None:
    await flaky.process(samples.phone_jpeg())
    old = flaky.worker_pids()
    with pytest.raises(PhotoRejected) as refused:
        await flaky.process(b"HANG")
    assert (refused.value.status, refused.value.code) == (422, "photo_timeout")
    for pid in old:  # killed and reaped, not left decoding forever
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
    processed = await flaky.process(samples.phone_jpeg())
    assert processed.variants["display"].width == 400


async def test_stop_does_not_wait_for_a_hung_worker(tmp_path: Path) -> None:
    photos = PhotoProcessor(Settings(data_dir=tmp_path, photo_timeout_s=600), work=samples.flaky_work)
    photos.start()
    hanging = asyncio.ensure_future(photos.process(b"HANG"))
    await until(lambda: photos.in_flight == 1)
    pids = photos.worker_pids()
    photos.stop()
    with pytest.raises(PhotoRejected) as refused:
        await hanging  # the killed pool fails it; its retry finds the processor stopped
    assert (refused.value.status, refused.value.code) == (503, "photo_unavailable")
    for pid in pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


async def test_api_keeps_answering_while_workers_are_busy(client: httpx.AsyncClient, tmp_path: Path) -> None:
    """Photos held in both workers (a gate file) while /healthz keeps round-tripping; then they complete."""
    photos = PhotoProcessor(Settings(data_dir=tmp_path, photo_workers=2), work=samples.flaky_work)
    photos.start()
    try:
        gate = tmp_path / "gate"
        big = samples.phone_jpeg(size=(4000, 3000))
        jobs = [asyncio.ensure_future(photos.process(f"GATE:{gate}|".encode() + big)) for _ in range(4)]
        await until(lambda: photos.in_flight == 2)  # both workers hold a photo, two more wait their turn
        for _ in range(30):
            response = await client.get("/healthz")
            assert response.status_code == 200
            await asyncio.sleep(0)  # in-process HTTP never waits on a socket; yield as a server would
        assert photos.in_flight == 2
        assert not any(job.done() for job in jobs)  # the photos are really still in progress
        gate.touch()
        done = await asyncio.gather(*jobs)
        assert all(p.variants["display"].width == 1280 for p in done)
    finally:
        photos.stop()


async def test_api_answers_while_large_photos_are_processed(
    client: httpx.AsyncClient, runtime: object
) -> None:
    """The runtime's own pool on real 12 MP photos: /healthz answers before the photos are done."""
    from warga.runtime import Runtime

    assert isinstance(runtime, Runtime)
    big = samples.phone_jpeg(size=(4000, 3000))
    jobs = [asyncio.ensure_future(runtime.photos.process(big)) for _ in range(6)]
    answered_while_busy = 0
    while not all(job.done() for job in jobs):
        response = await client.get("/healthz")
        assert response.status_code == 200
        answered_while_busy += runtime.photos.in_flight > 0
        await asyncio.sleep(0.001)  # in-process HTTP never waits on a socket; yield as a server would
    assert answered_while_busy >= 1
    assert all(job.result().variants["display"].width == 1280 for job in jobs)


# -- location from the photo (read before stripping, without decoding pixels) ------------------------------


async def test_locate_reads_gps_from_the_header(processor: PhotoProcessor) -> None:
    assert await processor.locate(samples.phone_jpeg(8, size=(2400, 1800))) == pytest.approx(
        samples.JAKARTA, abs=1e-5
    )
    assert await processor.locate(samples.phone_jpeg(gps=None)) is None
    heic = samples.encode(samples.pattern(), "HEIF", exif=samples.exif_bytes(1, (-6.3, 106.9)))
    assert await processor.locate(heic) == pytest.approx((-6.3, 106.9), abs=1e-5)
    for name in ("GIF", "0 bytes", "PNG claiming 50,000 x 50,000"):
        data, status = samples.bad_inputs()[name]
        with pytest.raises(PhotoRejected) as refused:
            await processor.locate(data)
        assert refused.value.status == status


# -- the S3 backend, against an S3-protocol server in its own process (moto's standalone server; no MinIO
# on this machine). aiobotocore does real HTTP and SigV4 signing against it.


@pytest.fixture(scope="module")
def s3_url() -> Iterator[str]:
    from tests.services import free_port

    port = free_port()
    server = subprocess.Popen(  # noqa: S603 - fixed arguments
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(3000):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
                break
            except OSError:
                if server.poll() is not None:
                    raise RuntimeError("the S3 test server exited") from None
                time.sleep(0.01)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.kill()
        server.wait()


async def test_s3_storage_round_trip(s3_url: str, processor: PhotoProcessor, tmp_path: Path) -> None:
    from aiobotocore.session import get_session

    settings = Settings(
        data_dir=tmp_path,
        s3_bucket="warga-photos",
        s3_endpoint_url=s3_url,
        s3_region="us-east-1",
        s3_access_key=Secret("test-key"),
        s3_secret_key=Secret("test-secret"),
    )
    async with get_session().create_client(
        "s3",
        endpoint_url=s3_url,
        region_name="us-east-1",
        aws_access_key_id="test-key",
        aws_secret_access_key="test-secret",
    ) as admin:
        await admin.create_bucket(Bucket="warga-photos")
        storage = make_storage(settings)
        try:
            processed = await processor.process(samples.phone_jpeg())
            info = await save_photo(storage, processed)
            for name, variant in processed.variants.items():
                key = info[name]["key"]
                assert await storage.exists(key)
                assert await storage.read(key) == (variant.data, "image/jpeg")
                head = await admin.head_object(Bucket="warga-photos", Key=key)
                assert head["ContentType"] == "image/jpeg"
                assert head["CacheControl"] == MEDIA_HEADERS["Cache-Control"]
            listed = await admin.list_objects_v2(Bucket="warga-photos")
            assert listed["KeyCount"] == 2
            assert await save_photo(storage, processed) == info  # stored once
            assert (await admin.list_objects_v2(Bucket="warga-photos"))["KeyCount"] == 2
            absent = "ab/" + "e" * 64 + ".jpg"
            assert await storage.read(absent) is None
            assert not await storage.exists(absent)
            assert await storage.read("../x") is None
        finally:
            await storage.close()

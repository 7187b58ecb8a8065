"""Photo pipeline benchmark: a 12 MP phone-like JPEG through the whole pipeline (PhotoProcessor, worker
process, both variants, blurhash, hashes) against a bare Pillow draft + thumbnail + save of the same file,
in the same run, interleaved so machine load hits both alike. Also compares JPEG and WebP at display size.

    python bench/photos.py [--runs 25] [--workers 2] [--compare real.jpg ...]

Last line: photo_p50_ms=… bare_pillow_p50_ms=… ratio=… photos_per_s=… worker_peak_mib=…
"""

from __future__ import annotations

import argparse
import asyncio
import io
import math
import random
import statistics
import tempfile
import time
from pathlib import Path

from PIL import ExifTags, Image, ImageChops, ImageStat

from kernel.settings import Settings
from media.demo_photos import demo_photo
from media.processor import PhotoProcessor

DISPLAY = 1280
QUALITY = 80  # the display variant's JPEG quality (media.photo.Limits.display_quality)


def phone_photo(seed: int = 7) -> bytes:
    """A 4000x3000 JPEG at quality 92 like a phone writes: a street scene with real-looking texture (mid and
    fine grain, so it does not compress like a flat drawing), EXIF with GPS and orientation 6 (portrait)."""
    rng = random.Random(seed)
    w, h = 4000, 3000
    scene = Image.open(io.BytesIO(demo_photo("flood", seed))).convert("RGB")
    base = scene.resize((w, h), Image.Resampling.BICUBIC)
    mid = Image.frombytes("L", (w // 8, h // 8), rng.randbytes(w * h // 64))
    mid = mid.resize((w, h), Image.Resampling.BICUBIC).convert("RGB")
    fine = Image.frombytes("RGB", (w, h), rng.randbytes(w * h * 3))
    image = Image.blend(Image.blend(base, mid, 0.18), fine, 0.07)
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "Bench"
    exif[ExifTags.Base.Model] = "Phone 12MP"
    exif[ExifTags.Base.Orientation] = 6
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps.update({1: "S", 2: (6.0, 12.0, 31.68), 3: "E", 4: (106.0, 50.0, 44.16)})
    out = io.BytesIO()
    image.save(out, "JPEG", quality=92, exif=exif.tobytes())
    return out.getvalue()


def bare_pillow(data: bytes) -> bytes:
    """What the simplest resize code does: reduced-scale decode, thumbnail, save. No safety, no privacy."""
    image = Image.open(io.BytesIO(data))
    image.draft("RGB", (DISPLAY, DISPLAY * 3 // 4))
    image.thumbnail((DISPLAY, DISPLAY))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=QUALITY)
    return out.getvalue()


def peak_mib(pids: list[int]) -> float:
    """The largest peak resident size (VmHWM) among the worker processes."""
    peak = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peak = max(peak, int(line.split()[1]))
        except OSError:
            continue
    return peak / 1024


def psnr(a: Image.Image, b: Image.Image) -> float:
    rms = ImageStat.Stat(ImageChops.difference(a.convert("RGB"), b.convert("RGB"))).rms
    mse = sum(r * r for r in rms) / len(rms)
    return math.inf if mse == 0 else 20 * math.log10(255 / math.sqrt(mse))


def encode(image: Image.Image, fmt: str, **params: object) -> tuple[bytes, float]:
    start = time.perf_counter()
    out = io.BytesIO()
    image.save(out, fmt, **params)
    return out.getvalue(), (time.perf_counter() - start) * 1000


def compare_formats(name: str, reference: Image.Image) -> None:
    """Size, PSNR and encode time of JPEG and WebP renditions of one display-size image."""
    print(f"\n{name}: {reference.width}x{reference.height}")
    print(f"{'format':28s} {'bytes':>9s} {'PSNR dB':>8s} {'encode ms':>10s}")
    options: list[tuple[str, str, dict[str, object]]] = []
    for q in (70, 75, 80, 85, 90):
        options.append((f"JPEG q{q}", "JPEG", {"quality": q}))
        options.append((f"JPEG q{q} optimize", "JPEG", {"quality": q, "optimize": True}))
        options.append(
            (f"JPEG q{q} optimize+progr.", "JPEG", {"quality": q, "optimize": True, "progressive": True})
        )
    for q in (60, 70, 75, 80, 85):
        options.append((f"WebP q{q} method 4", "WEBP", {"quality": q, "method": 4}))
        options.append((f"WebP q{q} method 0", "WEBP", {"quality": q, "method": 0}))
    for label, fmt, params in options:
        data, _ = encode(reference, fmt, **params)
        ms = statistics.median(encode(reference, fmt, **params)[1] for _ in range(5))
        decoded = Image.open(io.BytesIO(data))
        print(f"{label:28s} {len(data):9d} {psnr(reference, decoded):8.2f} {ms:10.1f}")


async def pipeline_run(photos: PhotoProcessor, data: bytes) -> float:
    start = time.perf_counter()
    await photos.process(data)
    return (time.perf_counter() - start) * 1000


async def main(runs: int, workers: int, compare: list[Path]) -> None:
    data = phone_photo()
    print(f"photo: 4000x3000 JPEG, {len(data) / 1e6:.2f} MB, EXIF orientation 6 + GPS")
    with tempfile.TemporaryDirectory() as tmp:
        photos = PhotoProcessor(Settings(data_dir=Path(tmp), photo_workers=workers))
        photos.start()
        try:
            for _ in range(workers * 2):  # warm: forked workers, imported codecs
                await photos.process(data)
                bare_pillow(data)
            pipe_ms, bare_ms = [], []
            for _ in range(runs):  # interleaved, one photo at a time: latency
                pipe_ms.append(await pipeline_run(photos, data))
                start = time.perf_counter()
                bare_pillow(data)
                bare_ms.append((time.perf_counter() - start) * 1000)
            batch = workers * 8  # throughput: all workers busy
            start = time.perf_counter()
            done = await asyncio.gather(*(photos.process(data) for _ in range(batch)))
            per_s = len(done) / (time.perf_counter() - start)
            worker_peak = peak_mib(photos.worker_pids())
            sample = done[0]
        finally:
            photos.stop()

    display = sample.variants["display"]
    thumb = sample.variants["thumb"]
    print(
        f"display {display.width}x{display.height} {len(display.data)} B, thumb {thumb.width}x{thumb.height} "
    )
    print(f"{len(thumb.data)} B, blurhash {sample.blurhash}, gps {sample.gps}")
    p50, p90 = statistics.median(pipe_ms), statistics.quantiles(pipe_ms, n=10)[-1]
    b50 = statistics.median(bare_ms)
    print(f"pipeline p50 {p50:.1f} ms p90 {p90:.1f} ms; bare Pillow p50 {b50:.1f} ms ({runs} runs each)")

    # Format choice for the display variant, on the same photo (upright, display size) and any real photos.
    reference = Image.open(io.BytesIO(data))
    reference.draft("RGB", (DISPLAY, DISPLAY * 3 // 4))
    reference.thumbnail((DISPLAY, DISPLAY))
    compare_formats("synthetic 12 MP phone photo at display size", reference.convert("RGB"))
    for path in compare:
        real = Image.open(path)
        real.thumbnail((DISPLAY, DISPLAY))
        compare_formats(str(path), real.convert("RGB"))

    print(
        f"photo_p50_ms={p50:.1f} bare_pillow_p50_ms={b50:.1f} ratio={p50 / b50:.2f} "
        f"photos_per_s={per_s:.1f} worker_peak_mib={worker_peak:.0f}"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=25)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--compare", type=Path, nargs="*", default=[], help="real photos for the format table"
    )
    args = parser.parse_args()
    asyncio.run(main(args.runs, args.workers, args.compare))

// A blurhash decoder (the algorithm of https://blurha.sh, written here so nothing is vendored for it):
// a photo's placeholder is painted from ~30 characters before the thumbnail arrives.

const CHARS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz#$%*+,-.:;=?@[]^_{|}~";

function decode83(str, from, to) {
  let value = 0;
  for (let i = from; i < to; i++) {
    const digit = CHARS.indexOf(str[i]);
    if (digit < 0) throw new Error("blurhash: bad character");
    value = value * 83 + digit;
  }
  return value;
}

function toLinear(v) {
  const x = v / 255;
  return x <= 0.04045 ? x / 12.92 : Math.pow((x + 0.055) / 1.055, 2.4);
}

function toSRGB(v) {
  const x = Math.max(0, Math.min(1, v));
  return x <= 0.0031308 ? Math.round(x * 12.92 * 255 + 0.5) : Math.round((1.055 * Math.pow(x, 1 / 2.4) - 0.055) * 255 + 0.5);
}

function signPow(v, exp) {
  return Math.sign(v) * Math.pow(Math.abs(v), exp);
}

/** RGBA pixels (Uint8ClampedArray, width*height*4) for a blurhash; throws on a malformed hash. */
export function decode(hash, width, height, punch = 1) {
  if (typeof hash !== "string" || hash.length < 6) throw new Error("blurhash: too short");
  const size = decode83(hash, 0, 1);
  const numY = Math.floor(size / 9) + 1;
  const numX = (size % 9) + 1;
  if (hash.length !== 4 + 2 * numX * numY) throw new Error("blurhash: wrong length");
  const maxValue = (decode83(hash, 1, 2) + 1) / 166;
  const colors = new Array(numX * numY);
  const dc = decode83(hash, 2, 6);
  colors[0] = [toLinear(dc >> 16), toLinear((dc >> 8) & 255), toLinear(dc & 255)];
  for (let i = 1; i < colors.length; i++) {
    const v = decode83(hash, 4 + i * 2, 6 + i * 2);
    const q = [Math.floor(v / 361), Math.floor(v / 19) % 19, v % 19];
    colors[i] = q.map((c) => signPow((c - 9) / 9, 2) * maxValue * punch);
  }
  const pixels = new Uint8ClampedArray(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let r = 0;
      let g = 0;
      let b = 0;
      for (let j = 0; j < numY; j++) {
        const cy = Math.cos((Math.PI * y * j) / height);
        for (let i = 0; i < numX; i++) {
          const basis = Math.cos((Math.PI * x * i) / width) * cy;
          const c = colors[i + j * numX];
          r += c[0] * basis;
          g += c[1] * basis;
          b += c[2] * basis;
        }
      }
      const p = 4 * (x + y * width);
      pixels[p] = toSRGB(r);
      pixels[p + 1] = toSRGB(g);
      pixels[p + 2] = toSRGB(b);
      pixels[p + 3] = 255;
    }
  }
  return pixels;
}

/** A small canvas painted with the hash (CSS stretches it); null when the hash is missing or broken. */
export function placeholder(hash, width = 32, height = 32) {
  if (!hash) return null;
  try {
    const pixels = decode(hash, width, height);
    const canvas = document.createElement("canvas");
    canvas.width = width;
    canvas.height = height;
    const ctx = canvas.getContext("2d");
    ctx.putImageData(new ImageData(pixels, width, height), 0, 0);
    canvas.setAttribute("aria-hidden", "true");
    return canvas;
  } catch {
    return null;
  }
}

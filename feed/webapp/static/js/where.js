// Where the reader is. The page never prompts on load (a prompt before anything is on screen is hostile
// and slow): it asks only when the location was already granted, or when the user presses a button.

const TIMEOUT_MS = 8000;

function position(timeout) {
  return new Promise((resolve) => {
    if (!navigator.geolocation) {
      resolve(null);
      return;
    }
    navigator.geolocation.getCurrentPosition(
      (p) => resolve({ lat: p.coords.latitude, lon: p.coords.longitude }),
      () => resolve(null),
      { enableHighAccuracy: false, timeout, maximumAge: 60_000 },
    );
  });
}

async function granted() {
  try {
    const status = await navigator.permissions.query({ name: "geolocation" });
    return status.state === "granted";
  } catch {
    return false;
  }
}

/** The position, or null when denied/unavailable. prompt=false: only if permission was already given. */
export async function locate({ prompt = false } = {}) {
  if (!prompt && !(await granted())) return null;
  return position(TIMEOUT_MS);
}

// Site-wide enhancements. Everything here is optional: pages work without it.

// Pre-fill empty or default timezone inputs with the browser's own zone (sign-up, profile).
for (const input of document.querySelectorAll("input[data-detect-timezone]")) {
  try {
    const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (zone && (!input.value || input.value === "UTC")) input.value = zone;
  } catch {
    /* old browsers keep the server's default */
  }
}

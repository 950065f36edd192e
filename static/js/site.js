// Site-wide enhancements. Everything here is optional: pages work without it.

// Sign-up: pre-fill the time zone with the browser's own zone, but only on a fresh form
// (after a rejected submit the field keeps exactly what the member sent).
for (const input of document.querySelectorAll("input[data-detect-timezone]")) {
  const submitted = input.form?.querySelector("[aria-invalid='true'], .form-errors");
  if (submitted || (input.value && input.value !== "UTC")) continue;
  try {
    const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (zone) input.value = zone;
  } catch {
    /* old browsers keep the server's default */
  }
}

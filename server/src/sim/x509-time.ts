// Simulated time on the calendar, for X.509 validity fields. The simulator
// counts microseconds from 0; a certificate needs dates, so simulated time 0
// is the fixed epoch below (never the wall clock: the same file and seed give
// the same dates). X.509 times have one-second resolution, so the exact
// window [T, T + valid) stays in the simulator's own record and the
// certificate carries it widened outward to whole seconds:
//   notBefore = T rounded down to the second,
//   notAfter  = T + valid rounded up to the second.
// OpenSSL refuses a certificate at its notAfter second (X509_cmp_time), so
// `openssl verify -attime S` accepts at second S exactly when the simulator
// accepts at some instant within [S, S + 1 s). (RFC 5280 reads notAfter as
// inclusive; such a reader also accepts the one instant notAfter itself.)

/** Simulated time 0: 2026-01-01T00:00:00Z, in ms since the Unix epoch. */
export const X509_EPOCH_MS = Date.UTC(2026, 0, 1);
/** The latest X.509 time (99991231235959Z: "no well-defined expiration", RFC 5280 §4.1.2.5). */
export const X509_MAX_MS = Date.UTC(9999, 11, 31, 23, 59, 59);

const US_PER_S = 1_000_000;

/** The date of a whole second of simulated time (clamped to what X.509 can say). */
function secondToDate(s: number): Date {
  return new Date(Math.min(X509_EPOCH_MS + Math.max(0, s) * 1000, X509_MAX_MS));
}

/** The whole seconds of simulated time a window [issuedUs, issuedUs + validUs) touches, as X.509 dates. */
export function x509Window(issuedUs: number, validUs: number): { notBefore: Date; notAfter: Date } {
  const first = Math.floor(issuedUs / US_PER_S);
  // validUs >= 1 (the language's limit), so the end is always after notBefore.
  const end = Math.max(first + 1, Math.ceil((issuedUs + validUs) / US_PER_S));
  return { notBefore: secondToDate(first), notAfter: secondToDate(end) };
}

/** The Unix time (seconds) of a simulated time, for `openssl verify -attime`. */
export function unixSecondsAt(simUs: number): number {
  return Math.floor(X509_EPOCH_MS / 1000 + simUs / US_PER_S);
}

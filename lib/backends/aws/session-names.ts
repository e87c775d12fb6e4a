// Names that STS puts into CloudTrail for a portal-issued session. Pure: no I/O.
// RoleSessionName and SourceIdentity both allow 2 to 64 characters of [\w+=,.@-], with ASCII \w.

import { createHash } from "node:crypto";

export const MAX_STS_NAME_LENGTH = 64;

const DISALLOWED_RUN = /[^\w+=,.@-]+/g;
const COMBINING_MARKS = /[\u0300-\u036f]/g;
const HASH_SUFFIX_LENGTH = 8;

/**
 * Reduces text to the STS name characters: accents are dropped (`Jürgen` → `Jurgen`), every other
 * run of disallowed characters becomes one `-`, and `-` at either end is removed.
 */
export function sanitizeStsName(text: string): string {
  return text
    .normalize("NFKD")
    .replace(COMBINING_MARKS, "")
    .replace(DISALLOWED_RUN, "-")
    .replace(/^-+|-+$/g, "");
}

function shortHash(text: string): string {
  return createHash("sha256").update(text).digest("hex").slice(0, HASH_SUFFIX_LENGTH);
}

/**
 * Builds the RoleSessionName of a session for a grant and its holder: `vap-<grantId>-<email>`,
 * sanitized and cut to 64 characters. The grant id comes first, so it survives the cut and the name
 * stays unique per grant. CloudTrail shows it in the assumed-role ARN.
 */
export function roleSessionNameFor(grantId: string, userEmail: string): string {
  const name = sanitizeStsName(`vap-${grantId}-${userEmail}`).slice(0, MAX_STS_NAME_LENGTH);

  return name.replace(/-+$/, "");
}

/**
 * Builds the SourceIdentity naming the user, which STS keeps through role chaining and CloudTrail
 * records on every call. It is the email when that is already valid. Otherwise it is the sanitized
 * email, cut to fit, plus `-` and 8 hex characters of the email's SHA-256, so that two users do not
 * share one value.
 */
export function sourceIdentityFor(user: { id: string; email: string }): string {
  const sanitized = sanitizeStsName(user.email);
  if (sanitized === user.email && sanitized.length >= 2 && sanitized.length <= MAX_STS_NAME_LENGTH) return sanitized;

  const base = sanitized.length >= 2 ? sanitized : sanitizeStsName(`user-${user.id}`);
  const head = base.slice(0, MAX_STS_NAME_LENGTH - HASH_SUFFIX_LENGTH - 1).replace(/-+$/, "");

  return `${head}-${shortHash(user.email)}`;
}

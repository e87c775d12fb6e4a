import { createHash } from "node:crypto";

import { AppError } from "@/lib/errors";

/** Prefix of every login role the portal creates. Operations reject role names without it. */
export const LOGIN_ROLE_PREFIX = "vap_g_";

const MAX_IDENTIFIER_BYTES = 63;
const MAX_PLAIN_ID_LENGTH = MAX_IDENTIFIER_BYTES - LOGIN_ROLE_PREFIX.length;
const PLAIN_GRANT_ID = /^[a-z0-9]+$/;
const LOGIN_ROLE_NAME = /^vap_g_[a-z0-9_]{1,57}$/;

/**
 * Derives the login role name of a grant. Lower-case alphanumeric ids such as cuids are used as
 * they are (`vap_g_<id>`). Any other id (upper case, punctuation, too long) becomes
 * `vap_g__<first 40 hex digits of its SHA-256>`. The double underscore cannot occur in the first
 * form, so two different grants never share a role.
 */
export function loginRoleName(grantId: string): string {
  if (grantId.length === 0) {
    throw new AppError("INVALID_INPUT", "Grant id is empty; a login role name needs the grant's id.");
  }
  if (PLAIN_GRANT_ID.test(grantId) && grantId.length <= MAX_PLAIN_ID_LENGTH) {
    return `${LOGIN_ROLE_PREFIX}${grantId}`;
  }
  const digest = createHash("sha256").update(grantId, "utf8").digest("hex").slice(0, 40);

  return `${LOGIN_ROLE_PREFIX}_${digest}`;
}

export function isLoginRoleName(roleName: string): boolean {
  return LOGIN_ROLE_NAME.test(roleName);
}

/**
 * Rejects any role name that loginRoleName() cannot produce. This keeps a wrong argument from
 * altering or dropping the group role, the management role or another application's role.
 */
export function assertLoginRoleName(roleName: string): void {
  if (!isLoginRoleName(roleName)) {
    throw new AppError(
      "INVALID_INPUT",
      `Role "${roleName}" is not a portal login role; login role names start with ${LOGIN_ROLE_PREFIX} followed by lower-case letters, digits or underscores.`,
    );
  }
}

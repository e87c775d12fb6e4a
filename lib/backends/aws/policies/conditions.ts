// Building blocks shared by the policy renderers: IAM time values, window and session-tag
// conditions, input checks and statement ids. Pure: no I/O.

import { AppError } from "@/lib/errors";

import { SESSION_TAG_GRANT, type PolicyStatement } from "./types";

export type PolicyCondition = NonNullable<PolicyStatement["Condition"]>;

/** The grant's session tag as policies read it on a session: `aws:PrincipalTag/vap-grant`. */
export const PRINCIPAL_TAG_GRANT_KEY = `aws:PrincipalTag/${SESSION_TAG_GRANT}`;

/** The grant's session tag as trust policies read it on the AssumeRole request: `aws:RequestTag/vap-grant`. */
export const REQUEST_TAG_GRANT_KEY = `aws:RequestTag/${SESSION_TAG_GRANT}`;

// Windows are half-open [start, end), so the start is inclusive and the end exclusive.
const WINDOW_START_OPERATOR = "DateGreaterThanEquals";
const WINDOW_END_OPERATOR = "DateLessThan";

// Grant ids become session tag values and statement ids. This set is valid in a tag value and has no
// character that IAM reads specially in a policy (`*`, `?`, `${`).
const GRANT_ID = /^[A-Za-z0-9_.:=+@-]{1,128}$/;

// Characters that are wildcards in ARNs and StringLike, or start a policy variable.
const POLICY_SPECIAL_CHARACTERS = /[*?$]/;

export function assertValidGrantId(grantId: string): void {
  if (!GRANT_ID.test(grantId)) {
    throw new AppError(
      "MISCONFIGURED",
      `Grant id "${grantId}" cannot be used in an IAM policy: it must be 1 to 128 letters, digits or _.:=+@- characters.`,
    );
  }
}

/** Rejects a value that IAM would read as a wildcard or a policy variable inside an ARN or condition. */
export function assertLiteralPolicyValue(value: string, label: string): void {
  if (value.length === 0 || POLICY_SPECIAL_CHARACTERS.test(value)) {
    throw new AppError(
      "MISCONFIGURED",
      `${label} "${value}" cannot be used in an IAM policy: it is empty or contains *, ? or $, which IAM reads as a wildcard or a policy variable.`,
    );
  }
}

export function assertValidWindow(grantId: string, startsAt: Date, endsAt: Date): void {
  if (Number.isNaN(startsAt.getTime()) || Number.isNaN(endsAt.getTime()) || endsAt <= startsAt) {
    throw new AppError("MISCONFIGURED", `Grant ${grantId} has no valid window: its end must be a time after its start.`);
  }
}

/**
 * Formats a time as `2026-03-01T09:00:00Z`, the ISO 8601 UTC form AWS uses in its date-condition
 * examples. Whole seconds only: the start is rounded up and the end down, so a rendered window is
 * never wider than the grant's own window.
 */
export function formatIamTime(time: Date, rounding: "up" | "down"): string {
  const milliseconds = time.getTime();
  const seconds = rounding === "up" ? Math.ceil(milliseconds / 1000) : Math.floor(milliseconds / 1000);

  return new Date(seconds * 1000).toISOString().replace(".000Z", "Z");
}

/** Condition that holds only while `aws:CurrentTime` is inside [startsAt, endsAt). */
export function windowCondition(startsAt: Date, endsAt: Date): PolicyCondition {
  return {
    [WINDOW_START_OPERATOR]: { "aws:CurrentTime": formatIamTime(startsAt, "up") },
    [WINDOW_END_OPERATOR]: { "aws:CurrentTime": formatIamTime(endsAt, "down") },
  };
}

/**
 * Merges condition blocks into one. Keys under the same operator are ANDed by IAM, exactly like
 * separate operators, so merging changes only the layout. A key repeated under one operator is a bug.
 */
export function mergeConditions(...blocks: PolicyCondition[]): PolicyCondition {
  const merged: PolicyCondition = {};

  for (const block of blocks) {
    for (const [operator, entries] of Object.entries(block)) {
      const target = (merged[operator] ??= {});

      for (const [key, value] of Object.entries(entries)) {
        if (key in target) {
          throw new Error(`Condition key ${key} appears twice under ${operator}.`);
        }
        target[key] = value;
      }
    }
  }

  return merged;
}

/** Reduces a grant id to [A-Za-z0-9], the only characters a statement id (Sid) may contain. */
export function statementIdPrefix(grantId: string): string {
  assertValidGrantId(grantId);

  const prefix = grantId.replace(/[^A-Za-z0-9]/g, "");
  if (prefix.length === 0) {
    throw new AppError("MISCONFIGURED", `Grant id "${grantId}" has no letters or digits to build a statement id from.`);
  }

  return prefix;
}

/**
 * Throws when two statements share a Sid. IAM requires Sids to be unique within a policy, and two grant
 * ids can collide once reduced to letters and digits (`g-1` and `g_1`).
 */
export function assertUniqueStatementIds(statements: readonly PolicyStatement[]): void {
  const seen = new Set<string>();

  for (const statement of statements) {
    if (statement.Sid === undefined) continue;

    if (seen.has(statement.Sid)) {
      throw new AppError(
        "MISCONFIGURED",
        `Two statements would have the statement id ${statement.Sid}: two grant ids are the same once reduced to letters and digits. Give grants ids that differ in their letters or digits.`,
      );
    }
    seen.add(statement.Sid);
  }
}

// Policy sizes as IAM counts them, and the checks against the role's limits. Pure: no I/O.

import type { PolicyDocument, PolicyLimits, PolicySizeProblem } from "./types";

const formatCount = (value: number) => value.toLocaleString("en-US");

/**
 * Counts a policy's characters as IAM does for its size limits: the JSON without whitespace between
 * tokens (IAM does not count white space). Counts code points, so a non-ASCII character counts once.
 */
export function measurePolicy(document: PolicyDocument): number {
  return [...JSON.stringify(document)].length;
}

function sizeProblem(
  policy: PolicySizeProblem["policy"],
  limit: PolicySizeProblem["limit"],
  chars: number,
  maxChars: number,
  describe: (chars: string, overBy: string, maxChars: string) => string,
): PolicySizeProblem | undefined {
  if (chars <= maxChars) return undefined;

  const overBy = chars - maxChars;

  return {
    policy,
    limit,
    chars,
    maxChars,
    overBy,
    message: describe(formatCount(chars), formatCount(overBy), formatCount(maxChars)),
  };
}

/**
 * Checks a role's trust policy and its inline permission policy (null when the role has none)
 * against the limits. Returns one problem per policy over its limit, empty when both fit.
 */
export function checkRolePolicySizes(
  policies: { trust: PolicyDocument; permission: PolicyDocument | null },
  limits: PolicyLimits,
): PolicySizeProblem[] {
  const trust = sizeProblem(
    "trust",
    "trustPolicyMaxChars",
    measurePolicy(policies.trust),
    limits.trustPolicyMaxChars,
    (chars, overBy, maxChars) =>
      `The trust policy would be ${chars} characters, ${overBy} over the limit of ${maxChars}. Ask AWS to raise the role trust policy quota and set trustPolicyMaxChars to match, or end or revoke another of this vendor's grants first.`,
  );

  // The role has one inline policy, so its size is the total that the inline limit applies to.
  const permission = sizeProblem(
    "permission",
    "inlinePoliciesMaxChars",
    policies.permission ? measurePolicy(policies.permission) : 0,
    limits.inlinePoliciesMaxChars,
    (chars, overBy, maxChars) =>
      `The permission policy would be ${chars} characters, ${overBy} over the limit of ${maxChars} for all inline policies of a role, which AWS does not raise. End or revoke another of this vendor's grants first, or wait until recently revoked grants no longer need their explicit deny.`,
  );

  return [trust, permission].filter((problem) => problem !== undefined);
}

/** Checks a session policy against the AssumeRole limit. Returns one problem when it is over, else none. */
export function checkSessionPolicySize(session: PolicyDocument, grantId: string, limits: PolicyLimits): PolicySizeProblem[] {
  const problem = sizeProblem(
    "session",
    "sessionPolicyMaxChars",
    measurePolicy(session),
    limits.sessionPolicyMaxChars,
    (chars, overBy, maxChars) =>
      `The session policy for grant ${grantId} would be ${chars} characters, ${overBy} over the AssumeRole limit of ${maxChars}. Shorten the resource's bucket name, prefix or KMS key ARN.`,
  );

  return problem ? [problem] : [];
}

import { describe, expect, test } from "vitest";

import { checkRolePolicySizes, checkSessionPolicySize, measurePolicy } from "./size";
import { DEFAULT_POLICY_LIMITS, type PolicyDocument } from "./types";

/** Builds a policy of exactly `chars` characters once minified. */
function policyOfSize(chars: number): PolicyDocument {
  const empty: PolicyDocument = { Version: "2012-10-17", Statement: [{ Sid: "", Effect: "Allow", Action: "s3:ListBucket" }] };
  const padding = chars - measurePolicy(empty);

  return { Version: "2012-10-17", Statement: [{ Sid: "x".repeat(padding), Effect: "Allow", Action: "s3:ListBucket" }] };
}

describe("measurePolicy", () => {
  test("counts minified JSON", () => {
    const policy: PolicyDocument = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "s3:ListBucket", Resource: "*" }] };

    expect(measurePolicy(policy)).toBe(
      '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListBucket","Resource":"*"}]}'.length,
    );
  });

  test("counts a non-ASCII character once", () => {
    const ascii = policyOfSize(200);
    const accented = structuredClone(ascii);
    accented.Statement[0]!.Sid = `${ascii.Statement[0]!.Sid!.slice(1)}é`;

    expect(measurePolicy(accented)).toBe(200);
  });

  test("policyOfSize is exact", () => {
    expect(measurePolicy(policyOfSize(2048))).toBe(2048);
  });
});

describe("checkRolePolicySizes", () => {
  test("no problems at the limits", () => {
    const problems = checkRolePolicySizes({ trust: policyOfSize(2048), permission: policyOfSize(10_240) }, DEFAULT_POLICY_LIMITS);

    expect(problems).toEqual([]);
  });

  test("no problems without permission policy", () => {
    expect(checkRolePolicySizes({ trust: policyOfSize(500), permission: null }, DEFAULT_POLICY_LIMITS)).toEqual([]);
  });

  test("trust policy over its limit", () => {
    const problems = checkRolePolicySizes({ trust: policyOfSize(2311), permission: policyOfSize(500) }, DEFAULT_POLICY_LIMITS);

    expect(problems).toEqual([
      {
        policy: "trust",
        limit: "trustPolicyMaxChars",
        chars: 2311,
        maxChars: 2048,
        overBy: 263,
        message:
          "The trust policy would be 2,311 characters, 263 over the limit of 2,048. Ask AWS to raise the role trust policy quota and set trustPolicyMaxChars to match, or end or revoke another of this vendor's grants first.",
      },
    ]);
  });

  test("permission policy over its limit", () => {
    const problems = checkRolePolicySizes({ trust: policyOfSize(500), permission: policyOfSize(10_241) }, DEFAULT_POLICY_LIMITS);

    expect(problems).toHaveLength(1);
    expect(problems[0]!.limit).toBe("inlinePoliciesMaxChars");
    expect(problems[0]!.overBy).toBe(1);
    expect(problems[0]!.message).toMatch(/^The permission policy would be 10,241 characters, 1 over the limit of 10,240 /);
  });

  test("both over their limits", () => {
    const problems = checkRolePolicySizes({ trust: policyOfSize(3000), permission: policyOfSize(12_000) }, DEFAULT_POLICY_LIMITS);

    expect(problems.map((problem) => problem.policy)).toEqual(["trust", "permission"]);
  });

  test("raised trust quota", () => {
    const limits = { ...DEFAULT_POLICY_LIMITS, trustPolicyMaxChars: 4096 };

    expect(checkRolePolicySizes({ trust: policyOfSize(3000), permission: null }, limits)).toEqual([]);
  });
});

describe("checkSessionPolicySize", () => {
  test("fits at the limit", () => {
    expect(checkSessionPolicySize(policyOfSize(2048), "g1", DEFAULT_POLICY_LIMITS)).toEqual([]);
  });

  test("over the limit names the grant", () => {
    const [problem] = checkSessionPolicySize(policyOfSize(2100), "g1", DEFAULT_POLICY_LIMITS);

    expect(problem!.message).toBe(
      "The session policy for grant g1 would be 2,100 characters, 52 over the AssumeRole limit of 2,048. Shorten the resource's bucket name, prefix or KMS key ARN.",
    );
  });
});

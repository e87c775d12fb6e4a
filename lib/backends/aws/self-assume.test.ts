import { describe, expect, test, vi } from "vitest";

import { AppError } from "@/lib/errors";

import { describeSelfAssume, type SelfAssumeInput } from "./self-assume";
import { EXTERNAL_ID, S3_CONFIG, VENDOR_ACCOUNT_ID } from "./testing/fixtures";

vi.mock("@/lib/env", () => ({ env: { LOG_LEVEL: "silent" } }));

const NOW = new Date("2026-03-01T12:00:00.000Z");
const MINUTE = 60 * 1000;
const HOUR = 60 * MINUTE;

function input(remainingMs: number, awsAccountId: string | null = VENDOR_ACCOUNT_ID): SelfAssumeInput {
  return {
    grant: { id: "cm7grant0000abcdefghijklm", startsAt: new Date(NOW.getTime() - HOUR), endsAt: new Date(NOW.getTime() + remainingMs), accessLevel: "read" },
    user: { id: "cm7user00000abcdefghijklm", email: "alex@acme-logistics.example" },
    vendor: { slug: "acme", externalId: EXTERNAL_ID, awsAccountId },
    resource: { slug: "exchange", kind: "S3_PREFIX", config: S3_CONFIG },
    now: NOW,
  };
}

describe("describeSelfAssume", () => {
  test("gives the exact assume-role command", () => {
    const result = describeSelfAssume(input(40 * MINUTE));

    expect(result.roleArn).toBe("arn:aws:iam::111111111111:role/vendor-access/vap-acme");
    expect(result.externalId).toBe(EXTERNAL_ID);
    expect(result.durationSeconds).toBe(2400);
    expect(result.command).toBe(
      [
        "aws sts assume-role",
        "  --role-arn arn:aws:iam::111111111111:role/vendor-access/vap-acme",
        "  --role-session-name vap-cm7grant0000abcdefghijklm-alex@acme-logistics.example",
        `  --external-id ${EXTERNAL_ID}`,
        "  --tags Key=vap-grant,Value=cm7grant0000abcdefghijklm",
        "  --duration-seconds 2400",
      ].join(" \\\n"),
    );
    expect(result.tags).toEqual([{ Key: "vap-grant", Value: "cm7grant0000abcdefghijklm" }]);
  });

  test("caps the duration at the role maximum", () => {
    expect(describeSelfAssume(input(5 * HOUR)).durationSeconds).toBe(3600);
  });

  test("lists the caller's own permissions", () => {
    expect(describeSelfAssume(input(HOUR)).callerPolicy.Statement).toEqual([
      { Effect: "Allow", Action: ["sts:AssumeRole", "sts:TagSession"], Resource: "arn:aws:iam::111111111111:role/vendor-access/vap-acme" },
    ]);
  });

  test("quotes an ExternalId with shell characters", () => {
    const value = input(HOUR);
    value.vendor.externalId = "abc def'x";

    expect(describeSelfAssume(value).command).toContain(`--external-id 'abc def'\\''x'`);
  });

  test("rejects a vendor without an AWS account", () => {
    expect(() => describeSelfAssume(input(HOUR, null))).toThrow(AppError);
    expect(() => describeSelfAssume(input(HOUR, null))).toThrow("no AWS account on record");
  });

  test("rejects 14:59 left", () => {
    expect(() => describeSelfAssume(input(14 * MINUTE + 59_000))).toThrow("Less than 15 minutes remain");
  });
});

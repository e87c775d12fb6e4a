import { AssumeRoleCommand, PackedPolicyTooLargeException, STSServiceException } from "@aws-sdk/client-sts";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, test, vi } from "vitest";

import { AppError } from "@/lib/errors";

import { DEFAULT_POLICY_LIMITS, renderSessionPolicy } from "./policies";
import { parseAwsResourceConfig, toRoleGrant } from "./role";
import { computeSessionDuration, computeSigningSessionDuration, issueSessionCredentials, issueSigningSession, type IssueSessionInput } from "./sts";
import { clientsWithStubbedSts, RDS_CONFIG, S3_CONFIG } from "./testing/fixtures";

vi.mock("@/lib/env", () => ({ env: { LOG_LEVEL: "silent" } }));

const NOW = new Date("2026-03-01T12:00:00.000Z");
const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const at = (offsetMs: number) => new Date(NOW.getTime() + offsetMs);

const clients = clientsWithStubbedSts();
const sts = mockClient(clients.sts);

function grantEndingIn(remainingMs: number, startedMsAgo = HOUR) {
  return { id: "cm7grant0000abcdefghijklm", startsAt: at(-startedMsAgo), endsAt: at(remainingMs), accessLevel: "read-write" };
}

function input(remainingMs: number, overrides: Partial<IssueSessionInput> = {}): IssueSessionInput {
  return {
    grant: grantEndingIn(remainingMs),
    user: { id: "cm7user00000abcdefghijklm", email: "alex@acme-logistics.example" },
    vendor: { slug: "acme" },
    resource: { slug: "exchange", kind: "S3_PREFIX", config: S3_CONFIG },
    now: NOW,
    clients,
    ...overrides,
  };
}

function stsCredentials(durationSeconds: number) {
  return {
    Credentials: {
      AccessKeyId: "ASIATESTTEST",
      SecretAccessKey: "session-secret",
      SessionToken: "session-token",
      Expiration: at(durationSeconds * SECOND),
    },
    AssumedRoleUser: { Arn: "arn:aws:sts::111111111111:assumed-role/vap-acme/session", AssumedRoleId: "AROA:session" },
  };
}

async function catchAppError(promise: Promise<unknown>): Promise<AppError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!(error instanceof AppError)) throw new Error(`expected an AppError, got ${String(error)}`);

  return error;
}

beforeEach(() => {
  sts.reset();
  sts.on(AssumeRoleCommand).callsFake((request: { DurationSeconds: number }) => stsCredentials(request.DurationSeconds));
});

describe("computeSessionDuration", () => {
  test.each([
    ["exactly 15 minutes left", 15 * MINUTE, 900],
    ["15 minutes and 999 ms left", 15 * MINUTE + 999, 900],
    ["50 minutes left", 50 * MINUTE, 3000],
    ["exactly the role maximum left", HOUR, 3600],
    ["more than the role maximum left", 5 * HOUR, 3600],
  ])("lasts the time left when %s", (_case, remainingMs, expected) => {
    expect(computeSessionDuration({ grant: grantEndingIn(remainingMs), now: NOW, maxSessionSeconds: 3600 })).toBe(expected);
  });

  test("uses a larger role maximum", () => {
    expect(computeSessionDuration({ grant: grantEndingIn(20 * HOUR), now: NOW, maxSessionSeconds: 43_200 })).toBe(43_200);
  });

  test.each([
    ["14:59 left", 14 * MINUTE + 59 * SECOND, "Less than 15 minutes remain in this grant (899 seconds)"],
    ["1 ms under 15 minutes", 15 * MINUTE - 1, "Less than 15 minutes remain in this grant (899 seconds)"],
    ["1 second left", SECOND, "Less than 15 minutes remain"],
    ["no time left", 0, "This grant has ended"],
    ["a grant that ended", -MINUTE, "This grant has ended"],
  ])("rejects %s", (_case, remainingMs, message) => {
    let caught: unknown;
    try {
      computeSessionDuration({ grant: grantEndingIn(remainingMs), now: NOW, maxSessionSeconds: 3600 });
    } catch (error) {
      caught = error;
    }

    expect(caught).toBeInstanceOf(AppError);
    expect((caught as AppError).code).toBe("INVALID_STATE");
    expect((caught as AppError).message).toContain(message);
  });

  test("says presigned URLs still work", () => {
    expect(() => computeSessionDuration({ grant: grantEndingIn(10 * MINUTE), now: NOW, maxSessionSeconds: 3600 })).toThrow(
      "Presigned URLs still work until the end of the grant.",
    );
  });

  test("rejects a grant that has not started", () => {
    const grant = { ...grantEndingIn(2 * HOUR), startsAt: at(MINUTE) };

    expect(() => computeSessionDuration({ grant, now: NOW, maxSessionSeconds: 3600 })).toThrow("starts at 2026-03-01T12:01:00.000Z");
  });
});

describe("computeSigningSessionDuration", () => {
  test.each([
    ["10 minutes left", 10 * MINUTE, 900],
    ["1 second left", SECOND, 900],
    ["50 minutes left", 50 * MINUTE, 3000],
    ["5 hours left", 5 * HOUR, 3600],
  ])("lasts at least 15 minutes with %s", (_case, remainingMs, expected) => {
    expect(computeSigningSessionDuration({ grant: grantEndingIn(remainingMs), now: NOW, maxSessionSeconds: 3600 })).toBe(expected);
  });

  test("rejects an ended grant", () => {
    expect(() => computeSigningSessionDuration({ grant: grantEndingIn(999), now: NOW, maxSessionSeconds: 3600 })).toThrow("has ended");
  });
});

describe("issueSessionCredentials", () => {
  test("assumes the vendor role with tags, identity and session policy", async () => {
    const request = input(2 * HOUR);

    const session = await issueSessionCredentials(request);

    const calls = sts.commandCalls(AssumeRoleCommand);
    expect(calls).toHaveLength(1);
    const sent = calls[0]!.args[0].input;
    const expectedPolicy = renderSessionPolicy(toRoleGrant(request.grant, parseAwsResourceConfig(request.resource), "acme"));
    expect(sent).toEqual({
      RoleArn: "arn:aws:iam::111111111111:role/vendor-access/vap-acme",
      RoleSessionName: "vap-cm7grant0000abcdefghijklm-alex@acme-logistics.example",
      DurationSeconds: 3600,
      SourceIdentity: "alex@acme-logistics.example",
      Tags: [
        { Key: "vap-grant", Value: "cm7grant0000abcdefghijklm" },
        { Key: "vap-user", Value: "cm7user00000abcdefghijklm" },
      ],
      TransitiveTagKeys: ["vap-grant", "vap-user"],
      Policy: JSON.stringify(expectedPolicy),
    });
    expect(session.credentials).toEqual({
      accessKeyId: "ASIATESTTEST",
      secretAccessKey: "session-secret",
      sessionToken: "session-token",
      expiration: at(3600 * SECOND),
    });
    expect(session.region).toBe("eu-west-1");
    expect(session.assumedRoleArn).toBe("arn:aws:sts::111111111111:assumed-role/vap-acme/session");
  });

  test("never outlives the grant", async () => {
    const session = await issueSessionCredentials(input(20 * MINUTE + 500));

    expect(sts.commandCalls(AssumeRoleCommand)[0]!.args[0].input.DurationSeconds).toBe(1200);
    expect(session.credentials.expiration.getTime()).toBeLessThanOrEqual(at(20 * MINUTE + 500).getTime());
  });

  test("reports the grant end when STS expires later", async () => {
    // STS handled the call 2 seconds after `now`, so its Expiration is 2 seconds past the grant end.
    sts.on(AssumeRoleCommand).callsFake((request: { DurationSeconds: number }) => stsCredentials(request.DurationSeconds + 2));

    const session = await issueSessionCredentials(input(20 * MINUTE));

    expect(session.credentials.expiration).toEqual(at(20 * MINUTE));
  });

  test("refuses with 14:59 left without calling STS", async () => {
    const error = await catchAppError(issueSessionCredentials(input(14 * MINUTE + 59 * SECOND)));

    expect(error.code).toBe("INVALID_STATE");
    expect(error.message).toContain("AWS sessions last at least 15 minutes");
    expect(sts.commandCalls(AssumeRoleCommand)).toHaveLength(0);
  });

  test("signs with a 15-minute session when less remains", async () => {
    await issueSigningSession(input(5 * MINUTE));

    expect(sts.commandCalls(AssumeRoleCommand)[0]!.args[0].input.DurationSeconds).toBe(900);
  });

  test("works for RDS grants", async () => {
    const session = await issueSessionCredentials(input(2 * HOUR, { resource: { slug: "replica", kind: "RDS_IAM", config: RDS_CONFIG } }));

    const policy = JSON.parse(sts.commandCalls(AssumeRoleCommand)[0]!.args[0].input.Policy ?? "{}") as { Statement: { Action: string }[] };
    expect(policy.Statement.map((statement) => statement.Action)).toEqual(["rds-db:connect"]);
    expect(session.roleArn).toBe("arn:aws:iam::111111111111:role/vendor-access/vap-acme");
  });

  test("rejects an oversized session policy before STS", async () => {
    const error = await catchAppError(issueSessionCredentials(input(2 * HOUR, { limits: { ...DEFAULT_POLICY_LIMITS, sessionPolicyMaxChars: 200 } })));

    expect(error.code).toBe("MISCONFIGURED");
    expect(error.message).toContain("over the AssumeRole limit of 200");
    expect(sts.commandCalls(AssumeRoleCommand)).toHaveLength(0);
  });

  test("rejects an access level S3 does not know", async () => {
    const error = await catchAppError(issueSessionCredentials(input(2 * HOUR, { grant: { ...grantEndingIn(2 * HOUR), accessLevel: "admin" } })));

    expect(error.code).toBe("MISCONFIGURED");
    expect(error.message).toContain('"admin"');
  });
});

describe("issueSessionCredentials errors", () => {
  test("explains a denied AssumeRole", async () => {
    sts.on(AssumeRoleCommand).rejects(new STSServiceException({ name: "AccessDenied", $fault: "client", $metadata: { httpStatusCode: 403 }, message: "not authorized" }));

    const error = await catchAppError(issueSessionCredentials(input(2 * HOUR)));

    expect(error.code).toBe("PROVISIONING_FAILED");
    expect(error.message).toContain("The portal may not assume role arn:aws:iam::111111111111:role/vendor-access/vap-acme");
    expect(error.message).toContain("IAM applies trust policy changes with a delay");
  });

  test("explains a duration over the role maximum", async () => {
    sts.on(AssumeRoleCommand).rejects(
      new STSServiceException({
        name: "ValidationError",
        $fault: "client",
        $metadata: { httpStatusCode: 400 },
        message: "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.",
      }),
    );

    const error = await catchAppError(issueSessionCredentials(input(2 * HOUR)));

    expect(error.code).toBe("MISCONFIGURED");
    expect(error.message).toContain("STS rejected a session of 3600 seconds for role vap-acme");
    expect(error.message).toContain("role chaining limits sessions to 1 hour");
  });

  test("explains a packed policy that is too large", async () => {
    sts.on(AssumeRoleCommand).rejects(new PackedPolicyTooLargeException({ $metadata: { httpStatusCode: 400 }, message: "Packed policy consumes 104% of allotted space" }));

    const error = await catchAppError(issueSessionCredentials(input(2 * HOUR)));

    expect(error.message).toContain("session policy and session tags are too large: Packed policy consumes 104%");
  });

  test("reports throttling", async () => {
    sts.on(AssumeRoleCommand).rejects(
      new STSServiceException({ name: "Throttling", $fault: "client", $metadata: { httpStatusCode: 400, attempts: 3 }, message: "Rate exceeded" }),
    );

    const error = await catchAppError(issueSessionCredentials(input(2 * HOUR)));

    expect(error.message).toBe("sts:AssumeRole on role vap-acme failed with a temporary error (Throttling) after 3 attempts. Try again in a minute.");
  });

  test("reports missing credentials as a set-up error", async () => {
    const missing = new Error("Could not load credentials from any providers");
    missing.name = "CredentialsProviderError";
    sts.on(AssumeRoleCommand).rejects(missing);

    const error = await catchAppError(issueSessionCredentials(input(2 * HOUR)));

    expect(error.code).toBe("MISCONFIGURED");
    expect(error.message).toContain("found no AWS credentials");
  });
});

import { AssumeRoleCommand } from "@aws-sdk/client-sts";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";

import { AppError } from "@/lib/errors";

import { ZRdsIamConfig } from "./config";
import { caBundleFileName, createRdsAuthToken, issueGrantRdsToken } from "./rds-token";
import { clientsWithStubbedSts, RDS_CONFIG, S3_CONFIG } from "./testing/fixtures";

vi.mock("@/lib/env", () => ({ env: { LOG_LEVEL: "silent" } }));

const NOW = new Date("2026-03-01T12:00:00.000Z");
const MINUTE = 60 * 1000;
const HOUR = 60 * MINUTE;
const at = (offsetMs: number) => new Date(NOW.getTime() + offsetMs);

const clients = clientsWithStubbedSts();
const sts = mockClient(clients.sts);
const config = ZRdsIamConfig.parse(RDS_CONFIG);

function grant(remainingMs: number) {
  return { id: "cm7grant0000abcdefghijklm", startsAt: at(-HOUR), endsAt: at(remainingMs), accessLevel: "read" };
}

function credentials(expiresInMs = HOUR) {
  return { accessKeyId: "ASIATESTTEST", secretAccessKey: "session-secret", sessionToken: "session/token+=", expiration: at(expiresInMs) };
}

function tokenQuery(token: string): URLSearchParams {
  return new URLSearchParams(token.slice(token.indexOf("?") + 1));
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
  // The RDS signer reads the clock itself, so the test fixes it.
  vi.useFakeTimers({ toFake: ["Date"] });
  vi.setSystemTime(NOW);
  sts.reset();
});

afterEach(() => {
  vi.useRealTimers();
});

describe("createRdsAuthToken", () => {
  test("signs a connect token for the database user", async () => {
    const result = await createRdsAuthToken({ config, grant: grant(2 * HOUR), credentials: credentials(), now: NOW, clients });
    const params = tokenQuery(result.token);

    expect(result.token.startsWith(`${RDS_CONFIG.endpoint}:5432/?`)).toBe(true);
    expect(params.get("Action")).toBe("connect");
    expect(params.get("DBUser")).toBe("vendor_readonly");
    expect(params.get("X-Amz-Expires")).toBe("900");
    expect(params.get("X-Amz-Security-Token")).toBe("session/token+=");
    expect(params.get("X-Amz-Credential")).toBe("ASIATESTTEST/20260301/eu-west-1/rds-db/aws4_request");
  });

  test("is valid for 15 minutes", async () => {
    const result = await createRdsAuthToken({ config, grant: grant(2 * HOUR), credentials: credentials(), now: NOW, clients });

    expect(result.expiresAt).toEqual(at(15 * MINUTE));
    expect(result.usableUntil).toEqual(at(15 * MINUTE));
  });

  test("is usable only until the grant end", async () => {
    const result = await createRdsAuthToken({ config, grant: grant(5 * MINUTE), credentials: credentials(15 * MINUTE), now: NOW, clients });

    expect(result.expiresAt).toEqual(at(15 * MINUTE));
    expect(result.usableUntil).toEqual(at(5 * MINUTE));
  });

  test("expires with a session that ends sooner", async () => {
    const result = await createRdsAuthToken({ config, grant: grant(2 * HOUR), credentials: credentials(10 * MINUTE), now: NOW, clients });

    expect(result.expiresAt).toEqual(at(10 * MINUTE));
  });

  test("builds psql and URI with verify-full", async () => {
    const result = await createRdsAuthToken({ config, grant: grant(2 * HOUR), credentials: credentials(), now: NOW, clients });

    expect(result.caBundleFile).toBe("global-bundle.pem");
    expect(result.downloadCaBundleCommand).toBe("curl -fsS -o 'global-bundle.pem' 'https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem'");
    expect(result.psqlCommand).toBe(
      `PGPASSWORD='${result.token}' psql 'host=${RDS_CONFIG.endpoint} port=5432 dbname=warehouse user=vendor_readonly sslmode=verify-full sslrootcert=global-bundle.pem'`,
    );
    const uri = new URL(result.uri);
    expect(uri.protocol).toBe("postgresql:");
    expect(uri.username).toBe("vendor_readonly");
    expect(decodeURIComponent(uri.password)).toBe(result.token);
    expect(uri.pathname).toBe("/warehouse");
    expect(uri.searchParams.get("sslmode")).toBe("verify-full");
    expect(uri.searchParams.get("sslrootcert")).toBe("global-bundle.pem");
  });

  test("quotes a database name with a space", async () => {
    const result = await createRdsAuthToken({ config: { ...config, database: "ware house" }, grant: grant(HOUR), credentials: credentials(), now: NOW, clients });

    expect(result.psqlCommand).toContain(`dbname='\\''ware house'\\'' user=`);
    expect(new URL(result.uri).pathname).toBe("/ware%20house");
  });

  test.each([
    ["has not started", { ...grant(HOUR), startsAt: at(MINUTE) }, "starts at"],
    ["has ended", grant(0), "has ended"],
  ])("rejects a grant that %s", async (_case, value, message) => {
    const error = await catchAppError(createRdsAuthToken({ config, grant: value, credentials: credentials(), now: NOW, clients }));

    expect(error.code).toBe("INVALID_STATE");
    expect(error.message).toContain(message);
  });

  test("rejects an expired session", async () => {
    const error = await catchAppError(createRdsAuthToken({ config, grant: grant(HOUR), credentials: credentials(0), now: NOW, clients }));

    expect(error.code).toBe("INVALID_STATE");
  });
});

describe("caBundleFileName", () => {
  test.each([
    ["https://truststore.pki.rds.amazonaws.com/eu-west-1/eu-west-1-bundle.pem", "eu-west-1-bundle.pem"],
    ["https://example.com/", "rds-ca-bundle.pem"],
    ["https://example.com/.hidden", "rds-ca-bundle.pem"],
    ["https://example.com/a%20b;rm.pem", "a20brm.pem"],
  ])("names %s", (url, expected) => {
    expect(caBundleFileName(url)).toBe(expected);
  });
});

describe("issueGrantRdsToken", () => {
  const input = (remainingMs: number, resource: { slug: string; kind: string; config: unknown } = { slug: "replica", kind: "RDS_IAM", config: RDS_CONFIG }) => ({
    grant: grant(remainingMs),
    user: { id: "cm7user00000abcdefghijklm", email: "alex@acme-logistics.example" },
    vendor: { slug: "acme" },
    resource,
    now: NOW,
    clients,
  });

  test("signs with a fresh role session", async () => {
    sts.on(AssumeRoleCommand).resolves({
      Credentials: { AccessKeyId: "ASIAFROMSTS", SecretAccessKey: "s", SessionToken: "t", Expiration: at(HOUR) },
    });

    const result = await issueGrantRdsToken(input(2 * HOUR));

    expect(tokenQuery(result.token).get("X-Amz-Credential")).toMatch(/^ASIAFROMSTS\//);
    expect(sts.commandCalls(AssumeRoleCommand)[0]!.args[0].input.DurationSeconds).toBe(3600);
  });

  test("rejects an S3 grant before STS", async () => {
    const error = await catchAppError(issueGrantRdsToken(input(HOUR, { slug: "exchange", kind: "S3_PREFIX", config: S3_CONFIG })));

    expect(error.message).toBe("This grant is not for an RDS database.");
    expect(sts.commandCalls(AssumeRoleCommand)).toHaveLength(0);
  });
});

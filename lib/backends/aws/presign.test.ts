import { AssumeRoleCommand } from "@aws-sdk/client-sts";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, test, vi } from "vitest";

import { AppError } from "@/lib/errors";

import { ZS3PrefixConfig } from "./config";
import { presignAwsDownload, presignAwsUpload, presignGrantDownload, presignGrantUpload } from "./presign";
import { clientsWithStubbedSts, KMS_KEY_ARN, RDS_CONFIG, S3_CONFIG, S3_KMS_CONFIG } from "./testing/fixtures";

vi.mock("@/lib/env", () => ({ env: { LOG_LEVEL: "silent" } }));

const NOW = new Date("2026-03-01T12:00:00.250Z");
const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const at = (offsetMs: number) => new Date(NOW.getTime() + offsetMs);

const clients = clientsWithStubbedSts();
const sts = mockClient(clients.sts);
const config = ZS3PrefixConfig.parse(S3_CONFIG);
const kmsConfig = ZS3PrefixConfig.parse(S3_KMS_CONFIG);

function session(expiresInMs: number) {
  return { accessKeyId: "ASIATESTTEST", secretAccessKey: "session-secret", sessionToken: "session-token", expiration: at(expiresInMs) };
}

function grant(remainingMs: number, accessLevel = "read-write") {
  return { id: "cm7grant0000abcdefghijklm", startsAt: at(-HOUR), endsAt: at(remainingMs), accessLevel };
}

function base(options: { remainingMs?: number; sessionMs?: number; urlTtlSeconds?: number; accessLevel?: string } = {}) {
  return {
    config,
    vendorSlug: "acme",
    grant: grant(options.remainingMs ?? 2 * HOUR, options.accessLevel),
    credentials: session(options.sessionMs ?? HOUR),
    now: NOW,
    urlTtlSeconds: options.urlTtlSeconds,
    clients,
  };
}

function query(url: string): URLSearchParams {
  return new URL(url).searchParams;
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
});

describe("presignAwsDownload", () => {
  test("signs with the session token", async () => {
    const download = await presignAwsDownload({ ...base(), key: "vendor-uploads/acme/report.csv" });
    const params = query(download.url);

    expect(download.method).toBe("GET");
    expect(new URL(download.url).hostname).toBe("vendor-exchange.s3.eu-west-1.amazonaws.com");
    expect(new URL(download.url).pathname).toBe("/vendor-uploads/acme/report.csv");
    expect(params.get("X-Amz-Security-Token")).toBe("session-token");
    expect(params.get("X-Amz-Credential")).toMatch(/^ASIATESTTEST\/20260301\/eu-west-1\/s3\/aws4_request$/);
    expect(params.get("response-content-disposition")).toBe(`attachment; filename="report.csv"; filename*=UTF-8''report.csv`);
  });

  test.each([
    ["the lifetime is shortest", { remainingMs: 2 * HOUR, sessionMs: HOUR }, 900],
    ["the grant ends first", { remainingMs: 5 * MINUTE + 500, sessionMs: 15 * MINUTE }, 300],
    ["the session expires before the grant", { remainingMs: 2 * HOUR, sessionMs: 10 * MINUTE, urlTtlSeconds: 3600 }, 600],
    ["the session and the grant end together", { remainingMs: 20 * MINUTE, sessionMs: 20 * MINUTE, urlTtlSeconds: 3600 }, 1200],
    ["the lifetime is 7 days", { remainingMs: 30 * DAY, sessionMs: 8 * DAY, urlTtlSeconds: 7 * 24 * 3600 }, 7 * 24 * 3600],
  ])("expires when %s", async (_case, options, expiresInSeconds) => {
    const download = await presignAwsDownload({ ...base(options), key: "vendor-uploads/acme/report.csv" });

    expect(query(download.url).get("X-Amz-Expires")).toBe(String(expiresInSeconds));
    expect(download.expiresAt).toEqual(new Date(Date.parse("2026-03-01T12:00:00.000Z") + expiresInSeconds * SECOND));
    expect(download.expiresAt.getTime()).toBeLessThanOrEqual(at(options.remainingMs).getTime());
    expect(download.expiresAt.getTime()).toBeLessThanOrEqual(at(options.sessionMs).getTime());
  });

  test("rejects an expired session", async () => {
    const error = await catchAppError(presignAwsDownload({ ...base({ sessionMs: 500 }), key: "vendor-uploads/acme/report.csv" }));

    expect(error.code).toBe("INVALID_STATE");
    expect(error.message).toContain("session used to sign this URL has expired");
  });

  test.each([
    ["another vendor's key", "vendor-uploads/globex/report.csv", "FORBIDDEN"],
    ["a vendor whose slug starts the same", "vendor-uploads/acme-corp/report.csv", "FORBIDDEN"],
    ["traversal out of the prefix", "vendor-uploads/acme/../globex/report.csv", "INVALID_INPUT"],
  ])("rejects %s", async (_case, key, code) => {
    const error = await catchAppError(presignAwsDownload({ ...base(), key }));

    expect(error.code).toBe(code);
  });

  test("forbids an upload-only grant", async () => {
    const error = await catchAppError(presignAwsDownload({ ...base({ accessLevel: "upload" }), key: "vendor-uploads/acme/report.csv" }));

    expect(error.code).toBe("FORBIDDEN");
  });
});

describe("presignAwsUpload", () => {
  test("signs the AES256 header in", async () => {
    const upload = await presignAwsUpload({ ...base(), fileName: "in/report.csv" });
    const params = query(upload.url);

    expect(upload.method).toBe("PUT");
    expect(upload.key).toBe("vendor-uploads/acme/in/report.csv");
    expect(upload.headers).toEqual({ "x-amz-server-side-encryption": "AES256" });
    expect(params.get("X-Amz-SignedHeaders")?.split(";")).toContain("x-amz-server-side-encryption");
    expect(params.has("x-amz-server-side-encryption")).toBe(false);
    expect([...params.keys()].filter((name) => name.toLowerCase().includes("checksum"))).toEqual([]);
  });

  test("signs the KMS key in", async () => {
    const upload = await presignAwsUpload({ ...base(), config: kmsConfig, fileName: "report.csv" });
    const signed = query(upload.url).get("X-Amz-SignedHeaders")?.split(";");

    expect(upload.headers).toEqual({ "x-amz-server-side-encryption": "aws:kms", "x-amz-server-side-encryption-aws-kms-key-id": KMS_KEY_ARN });
    expect(signed).toContain("x-amz-server-side-encryption");
    expect(signed).toContain("x-amz-server-side-encryption-aws-kms-key-id");
  });

  test("signs a content length", async () => {
    const upload = await presignAwsUpload({ ...base(), fileName: "report.csv", contentLength: 42 });

    expect(upload.headers["content-length"]).toBe("42");
    expect(query(upload.url).get("X-Amz-SignedHeaders")?.split(";")).toContain("content-length");
  });

  test("forbids a read-only grant", async () => {
    const error = await catchAppError(presignAwsUpload({ ...base({ accessLevel: "read" }), fileName: "report.csv" }));

    expect(error.code).toBe("FORBIDDEN");
  });

  test("rejects a name that leaves the prefix", async () => {
    const error = await catchAppError(presignAwsUpload({ ...base(), fileName: "../globex/report.csv" }));

    expect(error.code).toBe("INVALID_INPUT");
    expect(error.fieldErrors?.fileName).toBeDefined();
  });
});

describe("presignGrantUpload", () => {
  const grantInput = (remainingMs: number) => ({
    grant: grant(remainingMs),
    user: { id: "cm7user00000abcdefghijklm", email: "alex@acme-logistics.example" },
    vendor: { slug: "acme" },
    resource: { slug: "exchange", kind: "S3_PREFIX", config: S3_CONFIG },
    now: NOW,
    clients,
  });

  beforeEach(() => {
    sts.on(AssumeRoleCommand).callsFake((request: { DurationSeconds: number }) => ({
      Credentials: { AccessKeyId: "ASIATESTTEST", SecretAccessKey: "s", SessionToken: "t", Expiration: at(request.DurationSeconds * SECOND) },
    }));
  });

  test("works with 5 minutes left and expires at the grant end", async () => {
    const upload = await presignGrantUpload({ ...grantInput(5 * MINUTE + 700), fileName: "report.csv" });

    expect(sts.commandCalls(AssumeRoleCommand)[0]!.args[0].input.DurationSeconds).toBe(900);
    expect(query(upload.url).get("X-Amz-Expires")).toBe("300");
    expect(upload.expiresAt.getTime()).toBeLessThanOrEqual(at(5 * MINUTE + 700).getTime());
  });

  test("checks the file name before assuming the role", async () => {
    const error = await catchAppError(presignGrantUpload({ ...grantInput(HOUR), fileName: "/etc/passwd" }));

    expect(error.code).toBe("INVALID_INPUT");
    expect(sts.commandCalls(AssumeRoleCommand)).toHaveLength(0);
  });

  test("checks the key before assuming the role", async () => {
    const error = await catchAppError(presignGrantDownload({ ...grantInput(HOUR), key: "vendor-uploads/globex/x.csv" }));

    expect(error.code).toBe("FORBIDDEN");
    expect(sts.commandCalls(AssumeRoleCommand)).toHaveLength(0);
  });

  test("rejects an RDS grant", async () => {
    const error = await catchAppError(
      presignGrantDownload({ ...grantInput(HOUR), resource: { slug: "db", kind: "RDS_IAM", config: RDS_CONFIG }, key: "x" }),
    );

    expect(error.code).toBe("INVALID_STATE");
    expect(error.message).toBe("This grant is not for S3 files.");
  });
});

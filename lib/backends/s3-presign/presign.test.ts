import { describe, expect, test, vi } from "vitest";

import { AppError } from "@/lib/errors";

import { ZS3PresignConfig } from "./config";
import { presignDownload, presignUpload } from "./presign";
import { createS3CompatClient } from "./settings";

// The default client reads lib/env; these tests pass their own client, so no settings are needed.
vi.mock("@/lib/env", () => ({ env: { LOG_LEVEL: "silent" } }));

const NOW = new Date("2026-03-01T12:00:00.250Z");
const SIGNED_AT = "20260301T120000Z";
const at = (offsetMs: number) => new Date(NOW.getTime() + offsetMs);
const HOUR = 60 * 60 * 1000;

const client = createS3CompatClient({
  endpoint: "http://127.0.0.1:4568",
  region: "us-east-1",
  accessKeyId: "unit-access-key",
  secretAccessKey: "unit-secret-key",
  forcePathStyle: true,
});
const config = ZS3PresignConfig.parse({ bucket: "vendor-exchange", prefixTemplate: "vendor-uploads/{vendor}/", maxUploadBytes: 1000 });
const kmsConfig = ZS3PresignConfig.parse({ ...config, serverSideEncryption: "aws:kms", kmsKeyId: "alias/vendor-exchange" });

function queryOf(url: string): URLSearchParams {
  return new URL(url).searchParams;
}

async function catchAppError(run: () => Promise<unknown>): Promise<AppError> {
  try {
    await run();
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  throw new Error("expected an AppError, but nothing was thrown");
}

describe("presignUpload", () => {
  test("signs the encryption header into the URL", async () => {
    const upload = await presignUpload({ config, vendorSlug: "acme", fileName: "in/report.csv", grantEndsAt: at(HOUR), now: NOW, client });
    const query = queryOf(upload.url);

    expect(upload.method).toBe("PUT");
    expect(upload.key).toBe("vendor-uploads/acme/in/report.csv");
    expect(new URL(upload.url).pathname).toBe("/vendor-exchange/vendor-uploads/acme/in/report.csv");
    expect(upload.headers).toEqual({ "x-amz-server-side-encryption": "AES256" });
    expect(query.get("X-Amz-SignedHeaders")?.split(";")).toContain("x-amz-server-side-encryption");
    expect(query.has("x-amz-server-side-encryption")).toBe(false);
  });

  test("adds no checksum parameters", async () => {
    const upload = await presignUpload({ config, vendorSlug: "acme", fileName: "report.csv", grantEndsAt: at(HOUR), now: NOW, client });
    const names = [...queryOf(upload.url).keys()].map((name) => name.toLowerCase());

    expect(names.filter((name) => name.includes("checksum"))).toEqual([]);
  });

  test("uses the configured lifetime", async () => {
    const upload = await presignUpload({ config, vendorSlug: "acme", fileName: "report.csv", grantEndsAt: at(HOUR), now: NOW, client });
    const query = queryOf(upload.url);

    expect(query.get("X-Amz-Date")).toBe(SIGNED_AT);
    expect(query.get("X-Amz-Expires")).toBe("900");
    expect(upload.expiresAt).toEqual(new Date("2026-03-01T12:15:00.000Z"));
  });

  test("never expires after the grant end", async () => {
    const grantEndsAt = at(120_500);
    const upload = await presignUpload({ config, vendorSlug: "acme", fileName: "report.csv", grantEndsAt, now: NOW, client });

    expect(queryOf(upload.url).get("X-Amz-Expires")).toBe("120");
    expect(upload.expiresAt).toEqual(new Date("2026-03-01T12:02:00.000Z"));
    expect(upload.expiresAt.getTime()).toBeLessThanOrEqual(grantEndsAt.getTime());
  });

  test("signs the KMS key id", async () => {
    const upload = await presignUpload({ config: kmsConfig, vendorSlug: "acme", fileName: "report.csv", grantEndsAt: at(HOUR), now: NOW, client });
    const signedHeaders = queryOf(upload.url).get("X-Amz-SignedHeaders")?.split(";");

    expect(upload.headers).toEqual({
      "x-amz-server-side-encryption": "aws:kms",
      "x-amz-server-side-encryption-aws-kms-key-id": "alias/vendor-exchange",
    });
    expect(signedHeaders).toContain("x-amz-server-side-encryption");
    expect(signedHeaders).toContain("x-amz-server-side-encryption-aws-kms-key-id");
  });

  test.each([0, 1, 1000])("signs a content length of %i bytes", async (contentLength) => {
    const upload = await presignUpload({ config, vendorSlug: "acme", fileName: "report.csv", grantEndsAt: at(HOUR), now: NOW, contentLength, client });

    expect(upload.headers["content-length"]).toBe(String(contentLength));
    expect(queryOf(upload.url).get("X-Amz-SignedHeaders")?.split(";")).toContain("content-length");
  });

  test.each([
    ["over the limit", 1001, "upload limit of 1000 bytes"],
    ["negative", -1, "is invalid"],
    ["fractional", 1.5, "is invalid"],
  ])("rejects a content length %s", async (_case, contentLength, messagePart) => {
    const error = await catchAppError(() =>
      presignUpload({ config, vendorSlug: "acme", fileName: "report.csv", grantEndsAt: at(HOUR), now: NOW, contentLength, client }),
    );

    expect(error.code).toBe("INVALID_INPUT");
    expect(error.message).toContain(messagePart);
    expect(error.fieldErrors?.contentLength).toEqual([error.message]);
  });

  test.each([
    ["traversal into another vendor", "../globex/report.csv"],
    ["an absolute key", "/vendor-uploads/globex/report.csv"],
    ["a backslash traversal", "..\\globex\\report.csv"],
  ])("rejects %s", async (_case, fileName) => {
    const error = await catchAppError(() => presignUpload({ config, vendorSlug: "acme", fileName, grantEndsAt: at(HOUR), now: NOW, client }));

    expect(error.code).toBe("INVALID_INPUT");
    expect(error.fieldErrors?.fileName).toEqual([error.message]);
  });

  test.each([
    ["has ended", at(-1)],
    ["ends now", NOW],
    ["ends in 999 ms", at(999)],
  ])("rejects a grant that %s", async (_case, grantEndsAt) => {
    const error = await catchAppError(() => presignUpload({ config, vendorSlug: "acme", fileName: "report.csv", grantEndsAt, now: NOW, client }));

    expect(error.code).toBe("INVALID_STATE");
    expect(error.message).toContain("grant has ended");
  });
});

describe("presignDownload", () => {
  test("presigns a GET that downloads as an attachment", async () => {
    const download = await presignDownload({ config, vendorSlug: "acme", key: "vendor-uploads/acme/in/отчёт (1).csv", grantEndsAt: at(HOUR), now: NOW, client });

    expect(download.method).toBe("GET");
    expect(download.headers).toEqual({});
    expect(download.expiresAt).toEqual(new Date("2026-03-01T12:15:00.000Z"));
    expect(queryOf(download.url).get("response-content-disposition")).toBe(
      "attachment; filename=\"_____ (1).csv\"; filename*=UTF-8''%D0%BE%D1%82%D1%87%D1%91%D1%82%20%281%29.csv",
    );
  });

  test("never expires after the grant end", async () => {
    const grantEndsAt = at(5_900);
    const download = await presignDownload({ config, vendorSlug: "acme", key: "vendor-uploads/acme/report.csv", grantEndsAt, now: NOW, client });

    expect(queryOf(download.url).get("X-Amz-Expires")).toBe("6");
    expect(download.expiresAt.getTime()).toBeLessThanOrEqual(grantEndsAt.getTime());
  });

  test.each([
    ["another vendor's key", "vendor-uploads/globex/report.csv"],
    ["a vendor whose slug starts the same", "vendor-uploads/acme-corp/report.csv"],
    ["a key outside every prefix", "other/report.csv"],
  ])("forbids %s", async (_case, key) => {
    const error = await catchAppError(() => presignDownload({ config, vendorSlug: "acme", key, grantEndsAt: at(HOUR), now: NOW, client }));

    expect(error.code).toBe("FORBIDDEN");
  });

  test("rejects traversal out of the prefix", async () => {
    const error = await catchAppError(() =>
      presignDownload({ config, vendorSlug: "acme", key: "vendor-uploads/acme/../globex/report.csv", grantEndsAt: at(HOUR), now: NOW, client }),
    );

    expect(error.code).toBe("INVALID_INPUT");
  });

  test("rejects an ended grant", async () => {
    const error = await catchAppError(() =>
      presignDownload({ config, vendorSlug: "acme", key: "vendor-uploads/acme/report.csv", grantEndsAt: NOW, now: NOW, client }),
    );

    expect(error.code).toBe("INVALID_STATE");
  });
});

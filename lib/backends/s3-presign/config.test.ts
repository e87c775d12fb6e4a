import { describe, expect, test } from "vitest";

import { AppError } from "@/lib/errors";

import { MAX_PRESIGNED_URL_TTL_SECONDS, MAX_SINGLE_PUT_BYTES, parseS3PresignConfig, ZS3PresignConfig } from "./config";

const MINIMAL = { bucket: "vendor-exchange", prefixTemplate: "vendor-uploads/{vendor}/" };

describe("ZS3PresignConfig", () => {
  test("fills in defaults", () => {
    expect(ZS3PresignConfig.parse(MINIMAL)).toEqual({
      ...MINIMAL,
      serverSideEncryption: "AES256",
      maxUploadBytes: 5 * 1024 ** 3,
      urlTtlSeconds: 900,
    });
  });

  test.each([
    ["KMS with a key", { serverSideEncryption: "aws:kms", kmsKeyId: "alias/vendor-exchange" }],
    ["the longest lifetime", { urlTtlSeconds: MAX_PRESIGNED_URL_TTL_SECONDS }],
    ["a 1-second lifetime", { urlTtlSeconds: 1 }],
    ["the largest upload", { maxUploadBytes: MAX_SINGLE_PUT_BYTES }],
    ["a bucket with dots", { bucket: "exchange.example.com" }],
  ])("accepts %s", (_case, override) => {
    expect(ZS3PresignConfig.safeParse({ ...MINIMAL, ...override }).success).toBe(true);
  });

  test.each([
    ["KMS without a key", { serverSideEncryption: "aws:kms" }, "kmsKeyId"],
    ["a KMS key with AES256", { kmsKeyId: "alias/x" }, "kmsKeyId"],
    ["an unknown encryption", { serverSideEncryption: "none" }, "serverSideEncryption"],
    ["a lifetime over 7 days", { urlTtlSeconds: MAX_PRESIGNED_URL_TTL_SECONDS + 1 }, "urlTtlSeconds"],
    ["a zero lifetime", { urlTtlSeconds: 0 }, "urlTtlSeconds"],
    ["an upload limit over 5 GiB", { maxUploadBytes: MAX_SINGLE_PUT_BYTES + 1 }, "maxUploadBytes"],
    ["a zero upload limit", { maxUploadBytes: 0 }, "maxUploadBytes"],
    ["an upper-case bucket", { bucket: "Vendor-Exchange" }, "bucket"],
    ["a short bucket", { bucket: "ab" }, "bucket"],
    ["a bucket with two dots", { bucket: "a..b" }, "bucket"],
    ["a template without {vendor}", { prefixTemplate: "vendor-uploads/" }, "prefixTemplate"],
    ["a template without trailing slash", { prefixTemplate: "vendor-uploads/{vendor}" }, "prefixTemplate"],
    ["an unknown field", { urlTTLSeconds: 60 }, ""],
  ])("rejects %s", (_case, override, path) => {
    const result = ZS3PresignConfig.safeParse({ ...MINIMAL, ...override });

    expect(result.success).toBe(false);
    expect(result.error?.issues.map((issue) => issue.path.join("."))).toContain(path);
  });
});

describe("parseS3PresignConfig", () => {
  test("returns the parsed config", () => {
    expect(parseS3PresignConfig(MINIMAL).urlTtlSeconds).toBe(900);
  });

  test("names every invalid field", () => {
    let caught: unknown;
    try {
      parseS3PresignConfig({ bucket: "X", prefixTemplate: "uploads/" });
    } catch (error) {
      caught = error;
    }

    expect(caught).toBeInstanceOf(AppError);
    expect((caught as AppError).code).toBe("MISCONFIGURED");
    expect((caught as AppError).message).toContain("bucket:");
    expect((caught as AppError).message).toContain("prefixTemplate:");
  });
});

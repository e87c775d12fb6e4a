import { describe, expect, test } from "vitest";

import { AppError } from "@/lib/errors";

import { readS3CompatSettings, type S3CompatSettingSource } from "./settings";

const COMPLETE: S3CompatSettingSource = {
  S3_COMPAT_ENDPOINT: "http://127.0.0.1:4568",
  S3_COMPAT_REGION: "us-east-1",
  S3_COMPAT_ACCESS_KEY_ID: "access-key",
  S3_COMPAT_SECRET_ACCESS_KEY: "secret-key",
  S3_COMPAT_FORCE_PATH_STYLE: true,
};

describe("readS3CompatSettings", () => {
  test("returns complete settings", () => {
    expect(readS3CompatSettings(COMPLETE)).toEqual({
      endpoint: "http://127.0.0.1:4568",
      region: "us-east-1",
      accessKeyId: "access-key",
      secretAccessKey: "secret-key",
      forcePathStyle: true,
    });
  });

  test.each([
    ["the endpoint", { S3_COMPAT_ENDPOINT: undefined }, ["S3_COMPAT_ENDPOINT"]],
    ["the access key id", { S3_COMPAT_ACCESS_KEY_ID: undefined }, ["S3_COMPAT_ACCESS_KEY_ID"]],
    ["the secret access key", { S3_COMPAT_SECRET_ACCESS_KEY: undefined }, ["S3_COMPAT_SECRET_ACCESS_KEY"]],
    [
      "everything",
      { S3_COMPAT_ENDPOINT: undefined, S3_COMPAT_ACCESS_KEY_ID: undefined, S3_COMPAT_SECRET_ACCESS_KEY: undefined },
      ["S3_COMPAT_ENDPOINT", "S3_COMPAT_ACCESS_KEY_ID", "S3_COMPAT_SECRET_ACCESS_KEY"],
    ],
  ])("names missing %s", (_case, override, missing) => {
    let caught: unknown;
    try {
      readS3CompatSettings({ ...COMPLETE, ...override });
    } catch (error) {
      caught = error;
    }

    expect(caught).toBeInstanceOf(AppError);
    expect((caught as AppError).code).toBe("MISCONFIGURED");
    for (const name of missing) {
      expect((caught as AppError).message).toContain(name);
    }
    expect((caught as AppError).message).not.toContain("secret-key");
  });
});

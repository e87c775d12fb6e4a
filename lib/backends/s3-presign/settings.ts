import "server-only";

import { S3Client } from "@aws-sdk/client-s3";

import { AppError } from "@/lib/errors";

/** The S3_COMPAT_* settings, as lib/env.ts parses them. */
export type S3CompatSettingSource = {
  S3_COMPAT_ENDPOINT?: string;
  S3_COMPAT_REGION: string;
  S3_COMPAT_ACCESS_KEY_ID?: string;
  S3_COMPAT_SECRET_ACCESS_KEY?: string;
  S3_COMPAT_FORCE_PATH_STYLE: boolean;
};

export type S3CompatSettings = {
  endpoint: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  forcePathStyle: boolean;
};

/** Checks that the S3-compatible endpoint and its static keys are set. Throws AppError MISCONFIGURED naming each missing setting. */
export function readS3CompatSettings(source: S3CompatSettingSource): S3CompatSettings {
  const endpoint = source.S3_COMPAT_ENDPOINT;
  const accessKeyId = source.S3_COMPAT_ACCESS_KEY_ID;
  const secretAccessKey = source.S3_COMPAT_SECRET_ACCESS_KEY;

  if (!endpoint || !accessKeyId || !secretAccessKey) {
    const missing = [
      endpoint ? undefined : "S3_COMPAT_ENDPOINT",
      accessKeyId ? undefined : "S3_COMPAT_ACCESS_KEY_ID",
      secretAccessKey ? undefined : "S3_COMPAT_SECRET_ACCESS_KEY",
    ].filter((name) => name !== undefined);

    throw new AppError(
      "MISCONFIGURED",
      `S3-compatible storage is not configured: ${missing.join(", ")} ${missing.length === 1 ? "is" : "are"} missing. Set ${missing.length === 1 ? "it" : "them"} in the environment (see .env.example).`,
    );
  }

  return { endpoint, region: source.S3_COMPAT_REGION, accessKeyId, secretAccessKey, forcePathStyle: source.S3_COMPAT_FORCE_PATH_STYLE };
}

export function createS3CompatClient(settings: S3CompatSettings): S3Client {
  return new S3Client({
    endpoint: settings.endpoint,
    region: settings.region,
    forcePathStyle: settings.forcePathStyle,
    credentials: { accessKeyId: settings.accessKeyId, secretAccessKey: settings.secretAccessKey },
    // By default the SDK signs a CRC32 checksum of an empty body into presigned PUT URLs, so S3 would
    // reject any non-empty upload through them. Some S3-compatible servers also lack these checksums.
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
  });
}

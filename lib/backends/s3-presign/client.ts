import "server-only";

import type { S3Client } from "@aws-sdk/client-s3";

import { env } from "@/lib/env";

import { createS3CompatClient, readS3CompatSettings } from "./settings";

let client: S3Client | undefined;

/** Returns the process-wide client for the S3_COMPAT_* endpoint, created on first use. */
export function getS3CompatClient(): S3Client {
  client ??= createS3CompatClient(readS3CompatSettings(env));

  return client;
}

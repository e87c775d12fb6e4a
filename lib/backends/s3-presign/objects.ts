import "server-only";

import {
  CreateBucketCommand,
  HeadBucketCommand,
  ListObjectsV2Command,
  S3ServiceException,
  type BucketLocationConstraint,
  type S3Client,
} from "@aws-sdk/client-s3";

import { renderPrefix } from "@/lib/domain/object-key";
import { AppError } from "@/lib/errors";
import { log } from "@/lib/log";

import { getS3CompatClient } from "./client";
import type { S3PresignConfig } from "./config";

/** ListObjectsV2 returns at most 1,000 keys per page. */
const MAX_KEYS_PER_PAGE = 1000;

export const DEFAULT_LIST_LIMIT = 1000;

export type ListedObject = {
  key: string;
  /** Key relative to the vendor's prefix. */
  name: string;
  size: number;
  lastModified: Date;
};

export type ObjectListing = {
  objects: ListedObject[];
  /** True when more objects exist under the prefix than `limit` allowed. */
  truncated: boolean;
};

function wrapStorageError(error: unknown, action: string, bucket: string): AppError {
  if (error instanceof S3ServiceException && error.name === "NoSuchBucket") {
    return new AppError("MISCONFIGURED", `The bucket "${bucket}" does not exist. Create it or correct the resource's bucket.`, { cause: error });
  }

  return new AppError("PROVISIONING_FAILED", `${action} in bucket "${bucket}" failed. Try again, and if it keeps failing, ask an administrator to check the S3 endpoint.`, {
    cause: error,
  });
}

/** Lists the objects under the vendor's prefix in key order, following pages up to `limit` objects. */
export async function listObjects(input: {
  config: S3PresignConfig;
  vendorSlug: string;
  limit?: number;
  client?: S3Client;
}): Promise<ObjectListing> {
  const { config } = input;
  const limit = input.limit ?? DEFAULT_LIST_LIMIT;
  if (!Number.isSafeInteger(limit) || limit < 1) {
    throw new AppError("INVALID_INPUT", `List limit ${limit} is invalid. Give a whole number of at least 1.`);
  }

  const prefix = renderPrefix(config.prefixTemplate, input.vendorSlug);
  const client = input.client ?? getS3CompatClient();
  const objects: ListedObject[] = [];
  let continuationToken: string | undefined;

  do {
    const command = new ListObjectsV2Command({
      Bucket: config.bucket,
      Prefix: prefix,
      MaxKeys: Math.min(MAX_KEYS_PER_PAGE, limit - objects.length),
      ContinuationToken: continuationToken,
    });
    const page = await client.send(command).catch((error: unknown) => {
      throw wrapStorageError(error, "Listing files", config.bucket);
    });

    for (const entry of page.Contents ?? []) {
      // A key equal to the prefix is a folder marker, not a file.
      if (!entry.Key || entry.Key === prefix) continue;

      objects.push({
        key: entry.Key,
        name: entry.Key.slice(prefix.length),
        size: entry.Size ?? 0,
        lastModified: entry.LastModified ?? new Date(0),
      });
    }

    continuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (continuationToken && objects.length < limit);

  return { objects, truncated: continuationToken !== undefined };
}

/** Creates the resource's bucket unless it exists. For development set-up; production buckets are managed outside the portal. */
export async function ensureBucket(config: S3PresignConfig, client: S3Client = getS3CompatClient()): Promise<{ created: boolean }> {
  try {
    await client.send(new HeadBucketCommand({ Bucket: config.bucket }));

    return { created: false };
  } catch (error) {
    if (!(error instanceof S3ServiceException && error.$metadata.httpStatusCode === 404)) {
      throw wrapStorageError(error, "Checking the bucket", config.bucket);
    }
  }

  const region = await client.config.region();
  try {
    // us-east-1 is the default location and S3 rejects it as an explicit LocationConstraint. The
    // cast admits region names of S3-compatible servers that the SDK's list of AWS regions lacks.
    const location = region === "us-east-1" ? undefined : { LocationConstraint: region as BucketLocationConstraint };
    await client.send(new CreateBucketCommand({ Bucket: config.bucket, CreateBucketConfiguration: location }));
  } catch (error) {
    if (error instanceof S3ServiceException && error.name === "BucketAlreadyOwnedByYou") {
      return { created: false };
    }

    throw wrapStorageError(error, "Creating the bucket", config.bucket);
  }

  log.info({ bucket: config.bucket }, "bucket created");

  return { created: true };
}

import {
  BucketAlreadyOwnedByYou,
  CreateBucketCommand,
  HeadBucketCommand,
  ListObjectsV2Command,
  NoSuchBucket,
  NotFound,
  S3Client,
  S3ServiceException,
} from "@aws-sdk/client-s3";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, test, vi } from "vitest";

import { AppError } from "@/lib/errors";

import { ZS3PresignConfig } from "./config";
import { ensureBucket, listObjects } from "./objects";

vi.mock("@/lib/env", () => ({ env: { LOG_LEVEL: "silent" } }));

const PREFIX = "vendor-uploads/acme/";
const config = ZS3PresignConfig.parse({ bucket: "vendor-exchange", prefixTemplate: "vendor-uploads/{vendor}/" });
const LAST_MODIFIED = new Date("2026-03-01T12:00:00.000Z");

function createClient(region = "us-east-1"): S3Client {
  return new S3Client({ region, credentials: { accessKeyId: "unit", secretAccessKey: "unit" } });
}

function entries(names: string[]) {
  return names.map((name) => ({ Key: PREFIX + name, Size: name.length, LastModified: LAST_MODIFIED }));
}

function names(count: number, from = 0): string[] {
  return Array.from({ length: count }, (_value, index) => `file-${String(from + index).padStart(5, "0")}.txt`);
}

function forbidden(): S3ServiceException {
  return new S3ServiceException({ name: "AccessDenied", $fault: "client", $metadata: { httpStatusCode: 403 }, message: "Access Denied" });
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

describe("listObjects", () => {
  const client = createClient();
  const s3 = mockClient(client);

  beforeEach(() => {
    s3.reset();
  });

  test("follows continuation tokens", async () => {
    s3.on(ListObjectsV2Command, { ContinuationToken: undefined }).resolves({ Contents: entries(names(1000)), IsTruncated: true, NextContinuationToken: "page-2" });
    s3.on(ListObjectsV2Command, { ContinuationToken: "page-2" }).resolves({ Contents: entries(names(5, 1000)), IsTruncated: false });

    const listing = await listObjects({ config, vendorSlug: "acme", limit: 2000, client });
    const calls = s3.commandCalls(ListObjectsV2Command).map((call) => call.args[0].input);

    expect(listing.objects).toHaveLength(1005);
    expect(listing.truncated).toBe(false);
    expect(listing.objects[1004]).toEqual({ key: `${PREFIX}file-01004.txt`, name: "file-01004.txt", size: 14, lastModified: LAST_MODIFIED });
    expect(calls).toEqual([
      { Bucket: "vendor-exchange", Prefix: PREFIX, MaxKeys: 1000, ContinuationToken: undefined },
      { Bucket: "vendor-exchange", Prefix: PREFIX, MaxKeys: 1000, ContinuationToken: "page-2" },
    ]);
  });

  test("stops at the limit and reports truncation", async () => {
    s3.on(ListObjectsV2Command, { ContinuationToken: undefined }).resolves({ Contents: entries(names(1000)), IsTruncated: true, NextContinuationToken: "page-2" });
    s3.on(ListObjectsV2Command, { ContinuationToken: "page-2" }).resolves({ Contents: entries(names(2, 1000)), IsTruncated: true, NextContinuationToken: "page-3" });

    const listing = await listObjects({ config, vendorSlug: "acme", limit: 1002, client });
    const calls = s3.commandCalls(ListObjectsV2Command).map((call) => call.args[0].input.MaxKeys);

    expect(listing.objects).toHaveLength(1002);
    expect(listing.truncated).toBe(true);
    expect(calls).toEqual([1000, 2]);
  });

  test("reports no truncation at an exact limit", async () => {
    s3.on(ListObjectsV2Command).resolves({ Contents: entries(names(3)), IsTruncated: false });

    expect(await listObjects({ config, vendorSlug: "acme", limit: 3, client })).toMatchObject({ truncated: false });
  });

  test("skips the folder marker", async () => {
    s3.on(ListObjectsV2Command).resolves({ Contents: [{ Key: PREFIX, Size: 0, LastModified: LAST_MODIFIED }, ...entries(["a.txt"])], IsTruncated: false });

    const listing = await listObjects({ config, vendorSlug: "acme", client });

    expect(listing.objects.map((object) => object.name)).toEqual(["a.txt"]);
  });

  test("reports a missing bucket as misconfigured", async () => {
    s3.on(ListObjectsV2Command).rejects(new NoSuchBucket({ message: "The specified bucket does not exist", $metadata: { httpStatusCode: 404 } }));

    const error = await catchAppError(() => listObjects({ config, vendorSlug: "acme", client }));

    expect(error.code).toBe("MISCONFIGURED");
    expect(error.message).toContain("vendor-exchange");
  });

  test("wraps other storage errors", async () => {
    const cause = forbidden();
    s3.on(ListObjectsV2Command).rejects(cause);

    const error = await catchAppError(() => listObjects({ config, vendorSlug: "acme", client }));

    expect(error.code).toBe("PROVISIONING_FAILED");
    expect(error.cause).toBe(cause);
  });

  test.each([0, -1, 1.5])("rejects a limit of %s", async (limit) => {
    const error = await catchAppError(() => listObjects({ config, vendorSlug: "acme", limit, client }));

    expect(error.code).toBe("INVALID_INPUT");
  });
});

describe("ensureBucket", () => {
  test("leaves an existing bucket", async () => {
    const client = createClient();
    const s3 = mockClient(client);
    s3.on(HeadBucketCommand).resolves({});

    expect(await ensureBucket(config, client)).toEqual({ created: false });
    expect(s3.commandCalls(CreateBucketCommand)).toHaveLength(0);
  });

  test.each([
    ["us-east-1", undefined],
    ["eu-west-1", { LocationConstraint: "eu-west-1" }],
  ])("creates a missing bucket in %s", async (region, location) => {
    const client = createClient(region);
    const s3 = mockClient(client);
    s3.on(HeadBucketCommand).rejects(new NotFound({ message: "Not Found", $metadata: { httpStatusCode: 404 } }));
    s3.on(CreateBucketCommand).resolves({});

    expect(await ensureBucket(config, client)).toEqual({ created: true });
    expect(s3.commandCalls(CreateBucketCommand)[0]?.args[0].input).toEqual({ Bucket: "vendor-exchange", CreateBucketConfiguration: location });
  });

  test("accepts a bucket created concurrently", async () => {
    const client = createClient();
    const s3 = mockClient(client);
    s3.on(HeadBucketCommand).rejects(new NotFound({ message: "Not Found", $metadata: { httpStatusCode: 404 } }));
    s3.on(CreateBucketCommand).rejects(new BucketAlreadyOwnedByYou({ message: "Already owned", $metadata: { httpStatusCode: 409 } }));

    expect(await ensureBucket(config, client)).toEqual({ created: false });
  });

  test("wraps a forbidden bucket", async () => {
    const client = createClient();
    const s3 = mockClient(client);
    s3.on(HeadBucketCommand).rejects(forbidden());

    const error = await catchAppError(() => ensureBucket(config, client));

    expect(error.code).toBe("PROVISIONING_FAILED");
    expect(s3.commandCalls(CreateBucketCommand)).toHaveLength(0);
  });
});

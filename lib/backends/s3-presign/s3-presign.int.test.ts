import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";

import type { S3Client } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, test } from "vitest";

import { startS3Server, type S3Server } from "@/scripts/lib/s3-server";

import { ZS3PresignConfig, type S3PresignConfig } from "./config";
import { ensureBucket, listObjects } from "./objects";
import { presignDownload, presignUpload } from "./presign";
import { createS3CompatClient } from "./settings";

const ACCESS_KEY_ID = "presign-int-access-key";
const SECRET_ACCESS_KEY = "presign-int-secret-key";
const HOUR = 60 * 60 * 1000;

let dataDir: string;
let server: S3Server;
let client: S3Client;
let config: S3PresignConfig;

function errorCodeOf(body: string): string | undefined {
  return /<Code>([^<]*)<\/Code>/.exec(body)?.[1];
}

/** Returns every byte value, so a round trip shows any text decoding or truncation. */
function sampleBytes(): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(512);
  bytes.forEach((_value, index) => {
    bytes[index] = index % 256;
  });

  return bytes;
}

async function uploadThroughPresignedUrl(vendorSlug: string, fileName: string, body: string): Promise<string> {
  const upload = await presignUpload({ config, vendorSlug, fileName, grantEndsAt: new Date(Date.now() + HOUR), client });
  const response = await fetch(upload.url, { method: upload.method, headers: upload.headers, body });
  if (!response.ok) {
    throw new Error(`presigned PUT of ${upload.key} failed with HTTP ${response.status}: ${await response.text()}`);
  }

  return upload.key;
}

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), "s3-presign-test-"));
  // The server starts with another bucket, so ensureBucket has to create the exchange bucket.
  server = await startS3Server({ dataDir, port: 0, bucket: "bootstrap", accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET_ACCESS_KEY });
  client = createS3CompatClient({
    endpoint: server.endpoint,
    region: "us-east-1",
    accessKeyId: ACCESS_KEY_ID,
    secretAccessKey: SECRET_ACCESS_KEY,
    forcePathStyle: true,
  });
  config = ZS3PresignConfig.parse({ bucket: "vendor-exchange", prefixTemplate: "vendor-uploads/{vendor}/" });
});

afterAll(async () => {
  client?.destroy();
  await server?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe("ensureBucket", () => {
  test("creates a missing bucket once", async () => {
    expect(await ensureBucket(config, client)).toEqual({ created: true });
    expect(await ensureBucket(config, client)).toEqual({ created: false });
  });
});

describe("presigned upload and download", () => {
  test("round-trips bytes through PUT and GET", async () => {
    const bytes = sampleBytes();
    const upload = await presignUpload({ config, vendorSlug: "acme", fileName: "in/отчёт (1).bin", grantEndsAt: new Date(Date.now() + HOUR), client });

    const putResponse = await fetch(upload.url, { method: "PUT", headers: upload.headers, body: bytes });
    expect(putResponse.status).toBe(200);

    const download = await presignDownload({ config, vendorSlug: "acme", key: upload.key, grantEndsAt: new Date(Date.now() + HOUR), client });
    const getResponse = await fetch(download.url);

    expect(getResponse.status).toBe(200);
    expect(new Uint8Array(await getResponse.arrayBuffer())).toEqual(bytes);
    expect(getResponse.headers.get("content-disposition")).toMatch(/^attachment; /);
  });

  test("rejects an upload without the encryption header", async () => {
    const upload = await presignUpload({ config, vendorSlug: "acme", fileName: "no-sse.txt", grantEndsAt: new Date(Date.now() + HOUR), client });

    const response = await fetch(upload.url, { method: "PUT", body: "unencrypted" });
    const listing = await listObjects({ config, vendorSlug: "acme", client });

    expect(response.status).toBe(403);
    expect(errorCodeOf(await response.text())).toBe("SignatureDoesNotMatch");
    expect(listing.objects.map((object) => object.key)).not.toContain(upload.key);
  });

  test("rejects an upload with another encryption value", async () => {
    const upload = await presignUpload({ config, vendorSlug: "acme", fileName: "kms-swap.txt", grantEndsAt: new Date(Date.now() + HOUR), client });

    const response = await fetch(upload.url, { method: "PUT", headers: { "x-amz-server-side-encryption": "aws:kms" }, body: "x" });

    expect(response.status).toBe(403);
    expect(errorCodeOf(await response.text())).toBe("SignatureDoesNotMatch");
  });

  test("rejects a body of another size than signed", async () => {
    const upload = await presignUpload({ config, vendorSlug: "acme", fileName: "sized.txt", grantEndsAt: new Date(Date.now() + HOUR), contentLength: 10, client });
    // fetch sets Content-Length from the body itself, so the signed header is left out here.
    const otherHeaders = Object.fromEntries(Object.entries(upload.headers).filter(([name]) => name !== "content-length"));

    const tooLong = await fetch(upload.url, { method: "PUT", headers: otherHeaders, body: "0123456789ABCDEF" });
    const exact = await fetch(upload.url, { method: "PUT", headers: otherHeaders, body: "0123456789" });

    expect(tooLong.status).toBe(403);
    expect(exact.status).toBe(200);
  });

  test("rejects a URL with its key changed to another vendor", async () => {
    const upload = await presignUpload({ config, vendorSlug: "acme", fileName: "redirect.txt", grantEndsAt: new Date(Date.now() + HOUR), client });
    const tampered = upload.url.replace("/vendor-uploads/acme/", "/vendor-uploads/globex/");

    const response = await fetch(tampered, { method: "PUT", headers: upload.headers, body: "x" });

    expect(response.status).toBe(403);
    expect(errorCodeOf(await response.text())).toBe("SignatureDoesNotMatch");
  });

  test("builds no URL for another vendor's prefix", async () => {
    const grantEndsAt = new Date(Date.now() + HOUR);

    await expect(presignDownload({ config, vendorSlug: "acme", key: "vendor-uploads/globex/secret.csv", grantEndsAt, client })).rejects.toMatchObject({
      code: "FORBIDDEN",
    });
    await expect(presignUpload({ config, vendorSlug: "acme", fileName: "../globex/secret.csv", grantEndsAt, client })).rejects.toMatchObject({
      code: "INVALID_INPUT",
    });
  });

  test("rejects a URL after expiry", async () => {
    const shortConfig = ZS3PresignConfig.parse({ ...config, urlTtlSeconds: 2 });
    const key = await uploadThroughPresignedUrl("acme", "short-lived.txt", "short-lived");
    const download = await presignDownload({ config: shortConfig, vendorSlug: "acme", key, grantEndsAt: new Date(Date.now() + HOUR), client });

    expect(download.expiresAt.getTime() - Date.now()).toBeLessThanOrEqual(2000);
    expect((await fetch(download.url)).status).toBe(200);

    let lastStatus = 0;
    let lastBody = "";
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      const response = await fetch(download.url);
      lastStatus = response.status;
      lastBody = await response.text();
      if (lastStatus !== 200) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }

    expect(lastStatus).toBe(403);
    expect(lastBody).toContain("Request has expired");
    expect(Date.now()).toBeGreaterThanOrEqual(download.expiresAt.getTime());
  });
});

// NOTE: paging is covered by objects.test.ts with a mocked client, because s3rver 3.7.1 fails with
// InternalError on any truncated ListObjectsV2 page under Node 17 or later.
describe("listObjects", () => {
  test("lists only the vendor's objects", async () => {
    const acmeKey = await uploadThroughPresignedUrl("acme", "listing/a.txt", "acme data");
    const globexKey = await uploadThroughPresignedUrl("globex", "listing/a.txt", "globex");

    const listing = await listObjects({ config, vendorSlug: "acme", client });
    const listed = listing.objects.find((object) => object.key === acmeKey);

    expect(listing.truncated).toBe(false);
    expect(listed).toMatchObject({ key: acmeKey, name: "listing/a.txt", size: 9 });
    expect(listed?.lastModified).toBeInstanceOf(Date);
    expect(listing.objects.every((object) => object.key.startsWith("vendor-uploads/acme/"))).toBe(true);
    expect(listing.objects.map((object) => object.key)).not.toContain(globexKey);
  });

  test("lists nothing for a vendor without objects", async () => {
    expect(await listObjects({ config, vendorSlug: "initech", client })).toEqual({ objects: [], truncated: false });
  });
});

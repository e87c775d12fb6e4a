import type { IncomingHttpHeaders } from "node:http";

import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { describe, expect, test } from "vitest";

import { verifySignatureV4, type SigV4Credentials } from "./s3-server";

const ENDPOINT = "http://127.0.0.1:4568";
const HOST = "127.0.0.1:4568";
const CREDENTIALS: SigV4Credentials = { accessKeyId: "test-access-key", secretAccessKey: "test-secret-key", region: "us-east-1" };
const SIGNED_AT = new Date("2026-03-01T12:00:00.000Z");
const EXPIRES_IN = 300;

function createClient(overrides: Partial<SigV4Credentials> = {}): S3Client {
  const credentials = { ...CREDENTIALS, ...overrides };

  return new S3Client({
    endpoint: ENDPOINT,
    region: credentials.region,
    forcePathStyle: true,
    credentials: { accessKeyId: credentials.accessKeyId, secretAccessKey: credentials.secretAccessKey },
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
  });
}

function pathAndQuery(url: string): string {
  const parsed = new URL(url);

  return parsed.pathname + parsed.search;
}

async function presignPut(key = "vendor-uploads/acme/report.csv", client = createClient()): Promise<string> {
  const command = new PutObjectCommand({ Bucket: "exchange", Key: key, ServerSideEncryption: "AES256" });

  return pathAndQuery(await getSignedUrl(client, command, { expiresIn: EXPIRES_IN, signingDate: SIGNED_AT }));
}

const SSE_HEADERS: IncomingHttpHeaders = { host: HOST, "x-amz-server-side-encryption": "AES256" };

function verifyAt(url: string, headers: IncomingHttpHeaders, offsetMs: number, method = "PUT") {
  return verifySignatureV4({ method, url, headers }, CREDENTIALS, new Date(SIGNED_AT.getTime() + offsetMs));
}

describe("verifySignatureV4 with presigned URLs", () => {
  test("accepts a PUT with the signed headers", async () => {
    expect(verifyAt(await presignPut(), SSE_HEADERS, 1000)).toEqual({ ok: true });
  });

  test("accepts a GET", async () => {
    const command = new GetObjectCommand({ Bucket: "exchange", Key: "vendor-uploads/acme/report.csv", ResponseContentDisposition: 'attachment; filename="report.csv"' });
    const url = pathAndQuery(await getSignedUrl(createClient(), command, { expiresIn: EXPIRES_IN, signingDate: SIGNED_AT }));

    expect(verifyAt(url, { host: HOST }, 1000, "GET")).toEqual({ ok: true });
  });

  test.each([
    ["unicode", "vendor-uploads/acme/отчёт 😀.txt"],
    ["reserved characters", "vendor-uploads/acme/Q1 (final)!*'~+=&,;@$.csv"],
    ["percent sign", "vendor-uploads/acme/100%.txt"],
  ])("accepts a key with %s", async (_case, key) => {
    expect(verifyAt(await presignPut(key), SSE_HEADERS, 1000)).toEqual({ ok: true });
  });

  test("accepts a request just before expiry", async () => {
    expect(verifyAt(await presignPut(), SSE_HEADERS, EXPIRES_IN * 1000 - 1)).toEqual({ ok: true });
  });

  test("rejects a request at expiry", async () => {
    expect(verifyAt(await presignPut(), SSE_HEADERS, EXPIRES_IN * 1000)).toMatchObject({ ok: false, status: 403, code: "AccessDenied", message: "Request has expired." });
  });

  test("rejects a URL dated in the future", async () => {
    expect(verifyAt(await presignPut(), SSE_HEADERS, -16 * 60_000)).toMatchObject({ ok: false, code: "AccessDenied" });
  });

  test("rejects a PUT without the encryption header", async () => {
    const result = verifyAt(await presignPut(), { host: HOST }, 1000);

    expect(result).toMatchObject({ ok: false, status: 403, code: "SignatureDoesNotMatch" });
    expect(result.ok || result.message).toContain("x-amz-server-side-encryption");
  });

  test("rejects a PUT with another encryption value", async () => {
    const result = verifyAt(await presignPut(), { host: HOST, "x-amz-server-side-encryption": "aws:kms" }, 1000);

    expect(result).toMatchObject({ ok: false, status: 403, code: "SignatureDoesNotMatch" });
  });

  test("rejects an unsigned x-amz header", async () => {
    const result = verifyAt(await presignPut(), { ...SSE_HEADERS, "x-amz-acl": "public-read" }, 1000);

    expect(result).toMatchObject({ ok: false, status: 403, code: "AccessDenied" });
    expect(result.ok || result.message).toContain("x-amz-acl");
  });

  test("rejects another method", async () => {
    expect(verifyAt(await presignPut(), SSE_HEADERS, 1000, "DELETE")).toMatchObject({ ok: false, code: "SignatureDoesNotMatch" });
  });

  test.each([
    ["another key", (url: string) => url.replace("/acme/", "/globex/")],
    ["a longer lifetime", (url: string) => url.replace(`X-Amz-Expires=${EXPIRES_IN}`, "X-Amz-Expires=600")],
    ["a changed signature", (url: string) => url.replace(/X-Amz-Signature=[0-9a-f]/, "X-Amz-Signature=x")],
    ["an added parameter", (url: string) => `${url}&x-id=DeleteObject`],
  ])("rejects a URL changed to %s", async (_case, change) => {
    expect(verifyAt(change(await presignPut()), SSE_HEADERS, 1000)).toMatchObject({ ok: false, status: 403, code: "SignatureDoesNotMatch" });
  });

  test("rejects a lifetime over 7 days", async () => {
    const url = (await presignPut()).replace(`X-Amz-Expires=${EXPIRES_IN}`, "X-Amz-Expires=604801");

    expect(verifyAt(url, SSE_HEADERS, 1000)).toMatchObject({ ok: false, status: 400, code: "AuthorizationQueryParametersError" });
  });

  test("rejects another secret key", async () => {
    const url = await presignPut(undefined, createClient({ secretAccessKey: "another-secret" }));

    expect(verifyAt(url, SSE_HEADERS, 1000)).toMatchObject({ ok: false, code: "SignatureDoesNotMatch" });
  });

  test.each([
    ["s3rver's built-in key", "S3RVER"],
    ["an unknown key", "unknown-key"],
  ])("rejects %s", async (_case, accessKeyId) => {
    const url = await presignPut(undefined, createClient({ accessKeyId, secretAccessKey: accessKeyId }));

    expect(verifyAt(url, SSE_HEADERS, 1000)).toMatchObject({ ok: false, status: 403, code: "InvalidAccessKeyId" });
  });

  test("rejects another region", async () => {
    const url = await presignPut(undefined, createClient({ region: "eu-west-1" }));

    expect(verifyAt(url, SSE_HEADERS, 1000)).toMatchObject({ ok: false, status: 400, code: "AuthorizationHeaderMalformed" });
  });

  test("rejects a request to another host", async () => {
    expect(verifyAt(await presignPut(), { ...SSE_HEADERS, host: "127.0.0.1:9999" }, 1000)).toMatchObject({ ok: false, code: "SignatureDoesNotMatch" });
  });
  test("rejects invalid percent-encoding", async () => {
    const url = (await presignPut()).replace("report.csv", "%E0%A4%A");

    expect(verifyAt(url, SSE_HEADERS, 1000)).toMatchObject({ ok: false, status: 400, code: "InvalidURI" });
  });
});

describe("verifySignatureV4 without a Signature Version 4", () => {
  test("rejects an anonymous request", () => {
    expect(verifyAt("/exchange/vendor-uploads/acme/report.csv", { host: HOST }, 0, "GET")).toMatchObject({ ok: false, status: 403, code: "AccessDenied" });
  });

  test("rejects a Signature Version 2 URL", () => {
    const url = "/exchange/report.csv?AWSAccessKeyId=S3RVER&Expires=1900000000&Signature=abc";

    expect(verifyAt(url, { host: HOST }, 0, "GET")).toMatchObject({ ok: false, status: 400, code: "InvalidArgument" });
  });

  test("rejects a Signature Version 2 header", () => {
    const result = verifyAt("/exchange/report.csv", { host: HOST, authorization: "AWS S3RVER:abc" }, 0, "GET");

    expect(result).toMatchObject({ ok: false, status: 400, code: "InvalidArgument" });
  });

  test("rejects a header and a query signature together", async () => {
    const result = verifyAt(await presignPut(), { ...SSE_HEADERS, authorization: "AWS4-HMAC-SHA256 Credential=x" }, 1000);

    expect(result).toMatchObject({ ok: false, status: 400, code: "InvalidArgument" });
  });
});

type CapturedRequest = { method: string; url: string; headers: IncomingHttpHeaders };

/** Signs a ListObjectsV2 request with the SDK and returns it instead of sending it. */
async function captureSignedList(client: S3Client): Promise<CapturedRequest> {
  let captured: CapturedRequest | undefined;
  client.middlewareStack.add(
    () => async (args) => {
      const request = args.request as { method: string; path: string; query: Record<string, string>; headers: Record<string, string> };
      const query = new URLSearchParams(request.query).toString().replace(/\+/g, "%20");
      const headers = Object.fromEntries(Object.entries(request.headers).map(([name, value]) => [name.toLowerCase(), value]));
      captured = { method: request.method, url: `${request.path}?${query}`, headers };

      throw new Error("request captured");
    },
    { step: "finalizeRequest", priority: "low", name: "captureRequest" },
  );

  await expect(client.send(new ListObjectsV2Command({ Bucket: "exchange", Prefix: "vendor-uploads/acme/" }))).rejects.toThrow("request captured");

  return captured!;
}

describe("verifySignatureV4 with the Authorization header", () => {
  test("accepts an SDK request", async () => {
    const request = await captureSignedList(createClient());

    expect(request.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 /);
    expect(verifySignatureV4(request, CREDENTIALS)).toEqual({ ok: true });
  });

  test("rejects another secret key", async () => {
    const request = await captureSignedList(createClient({ secretAccessKey: "another-secret" }));

    expect(verifySignatureV4(request, CREDENTIALS)).toMatchObject({ ok: false, code: "SignatureDoesNotMatch" });
  });

  test("rejects a changed query", async () => {
    const request = await captureSignedList(createClient());
    request.url = request.url.replace("acme", "globex");

    expect(verifySignatureV4(request, CREDENTIALS)).toMatchObject({ ok: false, code: "SignatureDoesNotMatch" });
  });

  test("rejects a request older than 15 minutes", async () => {
    const request = await captureSignedList(createClient());
    const later = new Date(Date.now() + 16 * 60_000);

    expect(verifySignatureV4(request, CREDENTIALS, later)).toMatchObject({ ok: false, status: 403, code: "RequestTimeTooSkewed" });
  });

  test("rejects a streaming payload", async () => {
    const request = await captureSignedList(createClient());
    request.headers["x-amz-content-sha256"] = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD";

    expect(verifySignatureV4(request, CREDENTIALS)).toMatchObject({ ok: false, status: 501, code: "NotImplemented" });
  });
});

import { mkdtemp, rm } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";

import { GetObjectCommand, HeadBucketCommand, PutObjectCommand, S3Client, S3ServiceException } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, test } from "vitest";

import { startS3Server, type S3Server } from "./s3-server";

const BUCKET = "exchange";
const ACCESS_KEY_ID = "int-test-access-key";
const SECRET_ACCESS_KEY = "int-test-secret-key";

function createClient(endpoint: string, accessKeyId = ACCESS_KEY_ID, secretAccessKey = SECRET_ACCESS_KEY): S3Client {
  return new S3Client({
    endpoint,
    region: "us-east-1",
    forcePathStyle: true,
    credentials: { accessKeyId, secretAccessKey },
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
    maxAttempts: 1,
  });
}

async function catchS3Error(promise: Promise<unknown>): Promise<S3ServiceException> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof S3ServiceException) return error;
    throw error;
  }
  throw new Error("expected the S3 request to fail, but it succeeded");
}

let dataDir: string;
let server: S3Server;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), "s3-server-test-"));
  server = await startS3Server({ dataDir, port: 0, bucket: BUCKET, accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET_ACCESS_KEY });
});

afterAll(async () => {
  await server?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe("startS3Server", () => {
  test("listens on 127.0.0.1 with a free port", () => {
    expect(server.port).toBeGreaterThan(0);
    expect(server.endpoint).toBe(`http://127.0.0.1:${server.port}`);
  });

  test("creates the bucket", async () => {
    await expect(createClient(server.endpoint).send(new HeadBucketCommand({ Bucket: BUCKET }))).resolves.toBeDefined();
  });

  test("stores and returns an object for signed SDK requests", async () => {
    const client = createClient(server.endpoint);
    await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: "sdk/hello.txt", Body: "hello from the SDK", ServerSideEncryption: "AES256" }));

    const object = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: "sdk/hello.txt" }));

    expect(await object.Body?.transformToString()).toBe("hello from the SDK");
  });

  test("rejects a wrong secret key", async () => {
    const client = createClient(server.endpoint, ACCESS_KEY_ID, "wrong-secret");

    const headError = await catchS3Error(client.send(new HeadBucketCommand({ Bucket: BUCKET })));
    const getError = await catchS3Error(client.send(new GetObjectCommand({ Bucket: BUCKET, Key: "sdk/hello.txt" })));

    expect(headError.$metadata.httpStatusCode).toBe(403);
    expect(getError.name).toBe("SignatureDoesNotMatch");
  });

  test("rejects s3rver's built-in key", async () => {
    const client = createClient(server.endpoint, "S3RVER", "S3RVER");

    const error = await catchS3Error(client.send(new GetObjectCommand({ Bucket: BUCKET, Key: "sdk/hello.txt" })));

    expect(error.name).toBe("InvalidAccessKeyId");
  });

  test("rejects an anonymous GET", async () => {
    const response = await fetch(`${server.endpoint}/${BUCKET}/sdk/hello.txt`);

    expect(response.status).toBe(403);
    expect(await response.text()).toContain("<Code>AccessDenied</Code>");
  });

  test("rejects an anonymous PUT and stores nothing", async () => {
    const response = await fetch(`${server.endpoint}/${BUCKET}/sdk/anonymous.txt`, { method: "PUT", body: "anonymous" });

    const error = await catchS3Error(createClient(server.endpoint).send(new GetObjectCommand({ Bucket: BUCKET, Key: "sdk/anonymous.txt" })));

    expect(response.status).toBe(403);
    expect(error.name).toBe("NoSuchKey");
  });

  test("fails to start on a port in use", async () => {
    await expect(
      startS3Server({ dataDir, port: server.port, bucket: BUCKET, accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET_ACCESS_KEY }),
    ).rejects.toThrow(/EADDRINUSE/);
  });

  test.each([
    ["a negative port", { port: -1 }, /port -1 is invalid/],
    ["an invalid bucket", { bucket: "Exchange_Bucket" }, /bucket "Exchange_Bucket" is invalid/],
    ["an empty secret", { secretAccessKey: "" }, /must not be empty/],
  ])("rejects %s", async (_case, override, message) => {
    const options = { dataDir, port: 0, bucket: BUCKET, accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET_ACCESS_KEY, ...override };

    await expect(startS3Server(options)).rejects.toThrow(message);
  });
});

describe("startS3Server with CORS origins", () => {
  const origin = "http://127.0.0.1:3000";
  let corsDir: string;
  let corsServer: S3Server;

  beforeAll(async () => {
    corsDir = await mkdtemp(path.join(os.tmpdir(), "s3-server-cors-"));
    corsServer = await startS3Server({
      dataDir: corsDir,
      port: 0,
      bucket: BUCKET,
      accessKeyId: ACCESS_KEY_ID,
      secretAccessKey: SECRET_ACCESS_KEY,
      corsOrigins: [origin],
    });
  });

  afterAll(async () => {
    await corsServer?.close();
    if (corsDir) await rm(corsDir, { recursive: true, force: true });
  });

  function preflight(requestOrigin: string): Promise<Response> {
    return fetch(`${corsServer.endpoint}/${BUCKET}/vendor-uploads/acme/report.csv`, {
      method: "OPTIONS",
      headers: {
        origin: requestOrigin,
        "access-control-request-method": "PUT",
        "access-control-request-headers": "content-type,x-amz-server-side-encryption",
      },
    });
  }

  test("allows a preflight from a listed origin", async () => {
    const response = await preflight(origin);

    expect(response.status).toBe(200);
    expect(response.headers.get("access-control-allow-methods")).toContain("PUT");
    expect(response.headers.get("access-control-allow-headers")).toContain("x-amz-server-side-encryption");
  });

  test("rejects a preflight from another origin", async () => {
    expect((await preflight("http://127.0.0.1:9999")).status).toBe(403);
  });

  test("still rejects an unsigned request from a listed origin", async () => {
    const response = await fetch(`${corsServer.endpoint}/${BUCKET}/report.csv`, { headers: { origin } });

    expect(response.status).toBe(403);
  });

  test("rejects an origin with a path", async () => {
    const options = { dataDir: corsDir, port: 0, bucket: BUCKET, accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET_ACCESS_KEY };

    await expect(startS3Server({ ...options, corsOrigins: ["http://127.0.0.1:3000/app"] })).rejects.toThrow(/CORS origin/);
  });
});

describe("startS3Server restart", () => {
  test("keeps objects in the data folder", async () => {
    const restartDir = await mkdtemp(path.join(os.tmpdir(), "s3-server-restart-"));
    try {
      const first = await startS3Server({ dataDir: restartDir, port: 0, bucket: BUCKET, accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET_ACCESS_KEY });
      await createClient(first.endpoint).send(new PutObjectCommand({ Bucket: BUCKET, Key: "kept.txt", Body: "kept" }));
      await first.close();
      await first.close();

      const second = await startS3Server({ dataDir: restartDir, port: 0, bucket: BUCKET, accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET_ACCESS_KEY });
      try {
        const object = await createClient(second.endpoint).send(new GetObjectCommand({ Bucket: BUCKET, Key: "kept.txt" }));

        expect(await object.Body?.transformToString()).toBe("kept");
      } finally {
        await second.close();
      }
    } finally {
      await rm(restartDir, { recursive: true, force: true });
    }
  });

  test("frees the port on close", async () => {
    const restartDir = await mkdtemp(path.join(os.tmpdir(), "s3-server-close-"));
    try {
      const started = await startS3Server({ dataDir: restartDir, port: 0, bucket: BUCKET, accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET_ACCESS_KEY });
      await createClient(started.endpoint).send(new HeadBucketCommand({ Bucket: BUCKET }));
      await started.close();

      const probe = net.createServer();
      await new Promise<void>((resolve, reject) => {
        probe.once("error", reject);
        probe.listen({ port: started.port, host: "127.0.0.1" }, resolve);
      });
      await new Promise<void>((resolve) => probe.close(() => resolve()));
    } finally {
      await rm(restartDir, { recursive: true, force: true });
    }
  });
});

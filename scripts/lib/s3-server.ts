// Local S3-compatible server for development and integration tests: s3rver behind a Signature
// Version 4 check. s3rver 3.7.1 verifies only Signature Version 2. For Signature Version 4 it checks
// that the access key id exists but never computes the signature, so this module does that itself.
// NOTE: s3rver 3.7.1 encrypts ListObjectsV2 continuation tokens with DES, which OpenSSL 3 (Node 17
// and later) disables, so any listing with more keys than max-keys fails with InternalError.

import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import { mkdir } from "node:fs/promises";
import http, { type IncomingHttpHeaders, type RequestListener, type ServerResponse } from "node:http";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import path from "node:path";

type S3rverOptions = {
  silent: boolean;
  directory: string;
  configureBuckets: { name: string; configs: string[] }[];
  vhostBuckets: boolean;
  allowMismatchedSignatures: boolean;
};

type S3rverInstance = {
  callback(): RequestListener;
  configureBuckets(): Promise<unknown>;
  logger: { close(): void };
};

type S3rverAccountModule = {
  DUMMY_ACCOUNT: { createKeyPair(accessKeyId: string, secretAccessKey: string): void };
};

// s3rver is CommonJS without type declarations, so these types cover the parts used here.
const require = createRequire(import.meta.url);
const S3rver = require("s3rver") as new (options: S3rverOptions) => S3rverInstance;
const { DUMMY_ACCOUNT } = require("s3rver/lib/models/account") as S3rverAccountModule;

const ALGORITHM = "AWS4-HMAC-SHA256";
const MAX_CLOCK_SKEW_MS = 15 * 60_000;
const MAX_PRESIGNED_EXPIRES_SECONDS = 7 * 24 * 60 * 60;
const AMZ_DATE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;
const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const LOOPBACK_HOST = "127.0.0.1";

export type SigV4Credentials = { accessKeyId: string; secretAccessKey: string; region: string };

export type SignatureCheck = { ok: true } | { ok: false; status: number; code: string; message: string };

type SignedRequest = { method: string; url: string; headers: IncomingHttpHeaders };

class SignatureRejection extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

function rejectRequest(status: number, code: string, message: string): never {
  throw new SignatureRejection(status, code, message);
}

function decodeComponent(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return rejectRequest(400, "InvalidURI", "The request URI contains invalid percent-encoding.");
  }
}

function encodeRfc3986(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (character) => `%${character.charCodeAt(0).toString(16).toUpperCase()}`);
}

function parseQuery(rawQuery: string): [string, string][] {
  return rawQuery
    .split("&")
    .filter((part) => part !== "")
    .map((part) => {
      const separator = part.indexOf("=");
      const name = separator === -1 ? part : part.slice(0, separator);
      const value = separator === -1 ? "" : part.slice(separator + 1);

      return [decodeComponent(name), decodeComponent(value)];
    });
}

function compareCodeUnits(left: string, right: string): number {
  if (left === right) return 0;

  return left < right ? -1 : 1;
}

function buildCanonicalQuery(parameters: [string, string][]): string {
  return parameters
    .map(([name, value]) => [encodeRfc3986(name), encodeRfc3986(value)] as const)
    .sort(([leftName, leftValue], [rightName, rightValue]) => compareCodeUnits(leftName, rightName) || compareCodeUnits(leftValue, rightValue))
    .map(([name, value]) => `${name}=${value}`)
    .join("&");
}

// S3 encodes each path segment once and does not normalize `.` or `..` segments.
function buildCanonicalUri(rawPath: string): string {
  return rawPath
    .split("/")
    .map((segment) => encodeRfc3986(decodeComponent(segment)))
    .join("/");
}

function readHeader(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  if (value === undefined) return undefined;

  return (Array.isArray(value) ? value.join(",") : value).trim().replace(/\s+/g, " ");
}

function parseAmzDate(amzDate: string): Date {
  const match = AMZ_DATE.exec(amzDate);
  if (!match) {
    return rejectRequest(400, "AuthorizationHeaderMalformed", `The date "${amzDate}" is invalid. It must have the form yyyyMMddTHHmmssZ.`);
  }

  const [, year, month, day, hour, minute, second] = match.map(Number) as number[];

  return new Date(Date.UTC(year!, month! - 1, day!, hour!, minute!, second!));
}

function hmac(key: Buffer | string, data: string): Buffer {
  return createHmac("sha256", key).update(data, "utf8").digest();
}

type AuthorizationParts = {
  credential: string;
  signedHeaders: string;
  signature: string;
  amzDate: string;
  payloadHash: string;
  canonicalQuery: string;
};

function readHeaderAuthorization(request: SignedRequest, authorization: string, query: [string, string][], now: Date): AuthorizationParts {
  if (!authorization.startsWith(`${ALGORITHM} `)) {
    return rejectRequest(400, "InvalidArgument", `Only Signature Version 4 (${ALGORITHM}) is supported; sign the request with it.`);
  }

  const fields = new Map(
    authorization
      .slice(ALGORITHM.length + 1)
      .split(",")
      .map((part) => {
        const trimmed = part.trim();
        const separator = trimmed.indexOf("=");

        return [trimmed.slice(0, separator), trimmed.slice(separator + 1)] as const;
      }),
  );
  const credential = fields.get("Credential");
  const signedHeaders = fields.get("SignedHeaders");
  const signature = fields.get("Signature");
  if (!credential || !signedHeaders || !signature) {
    return rejectRequest(400, "AuthorizationHeaderMalformed", "The Authorization header must contain Credential, SignedHeaders and Signature.");
  }

  const amzDate = readHeader(request.headers, "x-amz-date");
  if (!amzDate) {
    return rejectRequest(403, "AccessDenied", "Signature Version 4 requests need an x-amz-date header.");
  }

  const payloadHash = readHeader(request.headers, "x-amz-content-sha256");
  if (!payloadHash) {
    return rejectRequest(400, "InvalidRequest", "Missing required header for this request: x-amz-content-sha256.");
  }

  if (Math.abs(now.getTime() - parseAmzDate(amzDate).getTime()) > MAX_CLOCK_SKEW_MS) {
    return rejectRequest(403, "RequestTimeTooSkewed", "The difference between the request time and the server time is more than 15 minutes.");
  }

  return { credential, signedHeaders, signature, amzDate, payloadHash, canonicalQuery: buildCanonicalQuery(query) };
}

function readQueryAuthorization(query: [string, string][], now: Date): AuthorizationParts {
  const parameters = new Map(query);

  if (parameters.get("X-Amz-Algorithm") !== ALGORITHM) {
    return rejectRequest(400, "AuthorizationQueryParametersError", `X-Amz-Algorithm must be ${ALGORITHM}.`);
  }

  const credential = parameters.get("X-Amz-Credential");
  const signedHeaders = parameters.get("X-Amz-SignedHeaders");
  const signature = parameters.get("X-Amz-Signature");
  const amzDate = parameters.get("X-Amz-Date");
  const expires = parameters.get("X-Amz-Expires");
  if (!credential || !signedHeaders || !signature || !amzDate || !expires) {
    return rejectRequest(
      400,
      "AuthorizationQueryParametersError",
      "A presigned URL needs the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders and X-Amz-Expires parameters.",
    );
  }

  const expiresSeconds = /^\d+$/.test(expires) ? Number(expires) : Number.NaN;
  if (!(expiresSeconds >= 1 && expiresSeconds <= MAX_PRESIGNED_EXPIRES_SECONDS)) {
    return rejectRequest(400, "AuthorizationQueryParametersError", `X-Amz-Expires must be a whole number of seconds from 1 to ${MAX_PRESIGNED_EXPIRES_SECONDS}.`);
  }

  const signedAt = parseAmzDate(amzDate).getTime();
  if (signedAt - now.getTime() > MAX_CLOCK_SKEW_MS) {
    return rejectRequest(403, "AccessDenied", "Request is not valid yet: X-Amz-Date is more than 15 minutes in the future.");
  }

  if (now.getTime() >= signedAt + expiresSeconds * 1000) {
    return rejectRequest(403, "AccessDenied", "Request has expired.");
  }

  return {
    credential,
    signedHeaders,
    signature,
    amzDate,
    payloadHash: parameters.get("X-Amz-Content-Sha256") ?? "UNSIGNED-PAYLOAD",
    canonicalQuery: buildCanonicalQuery(query.filter(([name]) => name !== "X-Amz-Signature")),
  };
}

function checkSignature(request: SignedRequest, rawPath: string, parts: AuthorizationParts, credentials: SigV4Credentials): void {
  const scope = parts.credential.split("/");
  const [accessKeyId, scopeDate, region, service, terminator] = scope;
  if (scope.length !== 5 || service !== "s3" || terminator !== "aws4_request") {
    return rejectRequest(400, "AuthorizationHeaderMalformed", "The credential must have the form <access key id>/<yyyyMMdd>/<region>/s3/aws4_request.");
  }

  if (accessKeyId !== credentials.accessKeyId) {
    return rejectRequest(403, "InvalidAccessKeyId", "The access key id in the request is not known to this server.");
  }

  if (region !== credentials.region) {
    return rejectRequest(400, "AuthorizationHeaderMalformed", `The region "${region}" is wrong; this server expects "${credentials.region}".`);
  }

  if (scopeDate !== parts.amzDate.slice(0, 8)) {
    return rejectRequest(400, "AuthorizationHeaderMalformed", "The date in the credential scope does not match the request date.");
  }

  // NOTE: the payload hash is signed but never compared with the body, and aws-chunked streaming
  // uploads are rejected because their chunk signatures would go unchecked.
  if (parts.payloadHash.startsWith("STREAMING-")) {
    return rejectRequest(501, "NotImplemented", "Streaming (aws-chunked) uploads are not supported; send the body in one piece.");
  }

  const signedHeaderNames = parts.signedHeaders.split(";");
  if (!signedHeaderNames.includes("host")) {
    return rejectRequest(400, "AuthorizationHeaderMalformed", "The signed headers must include host.");
  }

  const unsignedAmzHeader = Object.keys(request.headers).find((name) => name.startsWith("x-amz-") && !signedHeaderNames.includes(name));
  if (unsignedAmzHeader) {
    return rejectRequest(403, "AccessDenied", `There were headers present in the request which were not signed: ${unsignedAmzHeader}.`);
  }

  const canonicalHeaderLines = signedHeaderNames.map((name) => {
    const value = readHeader(request.headers, name);
    if (value === undefined) {
      return rejectRequest(403, "SignatureDoesNotMatch", `The signed header ${name} is missing from the request. Send every header that was signed, with the same value.`);
    }

    return `${name}:${value}\n`;
  });

  const canonicalRequest = [
    request.method,
    buildCanonicalUri(rawPath),
    parts.canonicalQuery,
    canonicalHeaderLines.join(""),
    parts.signedHeaders,
    parts.payloadHash,
  ].join("\n");
  const credentialScope = `${scopeDate}/${region}/s3/aws4_request`;
  const stringToSign = [ALGORITHM, parts.amzDate, credentialScope, createHash("sha256").update(canonicalRequest, "utf8").digest("hex")].join("\n");
  const signingKey = hmac(hmac(hmac(hmac(`AWS4${credentials.secretAccessKey}`, scopeDate!), region), "s3"), "aws4_request");
  const expected = hmac(signingKey, stringToSign);

  const provided = /^[0-9a-f]{64}$/.test(parts.signature) ? Buffer.from(parts.signature, "hex") : Buffer.alloc(0);
  if (provided.length !== expected.length || !timingSafeEqual(provided, expected)) {
    return rejectRequest(403, "SignatureDoesNotMatch", "The request signature does not match. Check the secret access key, and send the URL and signed headers unchanged.");
  }
}

/**
 * Verifies an AWS Signature Version 4 request, signed either in the Authorization header or in a
 * presigned URL's query, against one set of static credentials. Checks presigned expiry, clock
 * skew, the credential scope, that every x-amz-* header is signed, and the signature itself.
 * Anonymous and Signature Version 2 requests are rejected.
 */
export function verifySignatureV4(request: SignedRequest, credentials: SigV4Credentials, now: Date = new Date()): SignatureCheck {
  try {
    const queryStart = request.url.indexOf("?");
    const rawPath = queryStart === -1 ? request.url : request.url.slice(0, queryStart);
    const query = queryStart === -1 ? [] : parseQuery(request.url.slice(queryStart + 1));

    const authorization = request.headers.authorization;
    const isPresigned = query.some(([name]) => name === "X-Amz-Algorithm");
    if (authorization && isPresigned) {
      return rejectRequest(400, "InvalidArgument", "Sign the request either in the Authorization header or in the query, not both.");
    }

    if (!authorization && !isPresigned) {
      const isSignatureV2 = query.some(([name]) => name === "Signature");

      return rejectRequest(
        isSignatureV2 ? 400 : 403,
        isSignatureV2 ? "InvalidArgument" : "AccessDenied",
        isSignatureV2 ? "Only Signature Version 4 is supported; presign the URL with it." : "Anonymous requests are not allowed. Sign the request with Signature Version 4.",
      );
    }

    const parts = authorization ? readHeaderAuthorization(request, authorization, query, now) : readQueryAuthorization(query, now);
    checkSignature(request, rawPath, parts, credentials);

    return { ok: true };
  } catch (error) {
    if (error instanceof SignatureRejection) {
      return { ok: false, status: error.status, code: error.code, message: error.message };
    }
    throw error;
  }
}

/** Logger with pino's call signature. The default logger discards everything. */
export type S3ServerLogger = {
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  debug(fields: Record<string, unknown>, message: string): void;
};

const silentLogger: S3ServerLogger = { info() {}, warn() {}, debug() {} };

export type S3ServerOptions = {
  /** Folder for buckets and objects, created when missing and kept after close. */
  dataDir: string;
  /** TCP port on 127.0.0.1, or 0 for a free port. */
  port: number;
  /** Bucket created at start unless it exists. */
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** Region that clients must sign for. Defaults to us-east-1. */
  region?: string;
  /** Browser origins, such as http://127.0.0.1:3000, allowed to GET, HEAD and PUT through presigned URLs. */
  corsOrigins?: string[];
  logger?: S3ServerLogger;
};

export type S3Server = {
  /** Base URL for path-style requests, such as http://127.0.0.1:4568. */
  endpoint: string;
  port: number;
  close(): Promise<void>;
};

function escapeXml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

function sendRejection(response: ServerResponse, check: Extract<SignatureCheck, { ok: false }>, isHead: boolean): void {
  const body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${check.code}</Code><Message>${escapeXml(check.message)}</Message></Error>`;

  response.writeHead(check.status, { "Content-Type": "application/xml", "Content-Length": Buffer.byteLength(body) });
  response.end(isHead ? undefined : body);
}

/** Builds the bucket's CORS rules, so a page on one of the origins can upload and download directly. */
function buildCorsConfiguration(origins: string[]): string {
  const allowedOrigins = origins.map((origin) => `<AllowedOrigin>${escapeXml(origin)}</AllowedOrigin>`).join("");

  return [
    "<CORSConfiguration><CORSRule>",
    allowedOrigins,
    "<AllowedMethod>GET</AllowedMethod><AllowedMethod>HEAD</AllowedMethod><AllowedMethod>PUT</AllowedMethod>",
    "<AllowedHeader>*</AllowedHeader><ExposeHeader>ETag</ExposeHeader><MaxAgeSeconds>3000</MaxAgeSeconds>",
    "</CORSRule></CORSConfiguration>",
  ].join("");
}

function validateOptions(options: S3ServerOptions): void {
  if (!Number.isInteger(options.port) || options.port < 0 || options.port > 65_535) {
    throw new Error(`S3 server port ${options.port} is invalid. Use 0 for a free port or a number from 1 to 65535.`);
  }

  if (!BUCKET_NAME.test(options.bucket)) {
    throw new Error(`S3 server bucket "${options.bucket}" is invalid. Use 3 to 63 lower-case letters, digits, dots and hyphens.`);
  }

  if (options.accessKeyId === "" || options.secretAccessKey === "") {
    throw new Error("S3 server access key id and secret access key must not be empty.");
  }

  if (options.dataDir === "") {
    throw new Error("S3 server data folder must not be empty.");
  }

  for (const origin of options.corsOrigins ?? []) {
    if (!URL.canParse(origin) || new URL(origin).origin !== origin) {
      throw new Error(`S3 server CORS origin "${origin}" is invalid. Give scheme, host and port only, such as http://127.0.0.1:3000.`);
    }
  }
}

function listen(server: http.Server, port: number): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen({ port, host: LOOPBACK_HOST }, () => {
      server.off("error", reject);
      resolve(server.address() as AddressInfo);
    });
  });
}

/**
 * Starts s3rver on 127.0.0.1 with one bucket and its objects stored in `dataDir`. Every request
 * except a CORS preflight (OPTIONS) must carry a valid Signature Version 4 signature for the given keys.
 */
export async function startS3Server(options: S3ServerOptions): Promise<S3Server> {
  validateOptions(options);

  const logger = options.logger ?? silentLogger;
  const dataDir = path.resolve(options.dataDir);
  const credentials: SigV4Credentials = {
    accessKeyId: options.accessKeyId,
    secretAccessKey: options.secretAccessKey,
    region: options.region ?? "us-east-1",
  };

  await mkdir(dataDir, { recursive: true });

  // s3rver keeps keys in a process-wide registry and rejects unknown ones with InvalidAccessKeyId, so
  // the key is added there too. Its built-in S3RVER key stays registered, but verifySignatureV4 rejects it.
  DUMMY_ACCOUNT.createKeyPair(credentials.accessKeyId, credentials.secretAccessKey);

  const s3rver = new S3rver({
    silent: true,
    directory: dataDir,
    // An empty CORS list leaves any earlier CORS rules of the bucket in place.
    configureBuckets: [{ name: options.bucket, configs: options.corsOrigins?.length ? [buildCorsConfiguration(options.corsOrigins)] : [] }],
    vhostBuckets: false,
    allowMismatchedSignatures: false,
  });
  await s3rver.configureBuckets();
  const handleS3Request = s3rver.callback();

  const server = http.createServer((request, response) => {
    const method = request.method ?? "GET";
    const url = request.url ?? "/";
    // Never log the query: a presigned URL's query contains its signature.
    const requestPath = url.split("?", 1)[0];

    const check: SignatureCheck = method === "OPTIONS" ? { ok: true } : verifySignatureV4({ method, url, headers: request.headers }, credentials);
    if (!check.ok) {
      logger.warn({ method, path: requestPath, status: check.status, code: check.code }, "s3 request rejected");
      request.resume();
      sendRejection(response, check, method === "HEAD");

      return;
    }

    response.once("finish", () => logger.debug({ method, path: requestPath, status: response.statusCode }, "s3 request handled"));
    handleS3Request(request, response);
  });

  const address = await listen(server, options.port);
  const endpoint = `http://${LOOPBACK_HOST}:${address.port}`;
  logger.info({ endpoint, bucket: options.bucket, dataDir }, "s3 server started");

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= new Promise<void>((resolve, reject) => {
      server.close((error) => (error ? reject(error) : resolve()));
      server.closeIdleConnections();
    }).then(() => {
      s3rver.logger.close();
      logger.info({ endpoint }, "s3 server stopped");
    });

    return closing;
  };

  return { endpoint, port: address.port, close };
}

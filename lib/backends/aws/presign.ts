import "server-only";

import { GetObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";

import { computePresignExpiry, DEFAULT_PRESIGNED_URL_TTL_SECONDS, MAX_SINGLE_PUT_BYTES, type PresignedRequest } from "@/lib/backends/s3-presign";
import { buildObjectKey, validateVendorObjectKey } from "@/lib/domain/object-key";
import { AppError } from "@/lib/errors";

import { getAwsClients, type AwsClients, type SessionCredentials } from "./clients";
import type { S3PrefixConfig } from "./config";
import { parseAwsResourceConfig, renderVendorPrefix } from "./role";
import { issueSigningSession, type IssueSessionInput, type SessionGrant } from "./sts";

const READ_LEVELS: readonly string[] = ["read", "read-write"];
const UPLOAD_LEVELS: readonly string[] = ["upload", "read-write"];

type PresignBase = {
  config: S3PrefixConfig;
  vendorSlug: string;
  grant: SessionGrant;
  /** Role session credentials to sign with; the URL stops working when they expire. */
  credentials: SessionCredentials;
  now: Date;
  /** Maximum lifetime of the URL, in seconds. Defaults to 900. */
  urlTtlSeconds?: number;
  clients?: AwsClients;
};

export type PresignAwsUploadInput = PresignBase & {
  /** Relative key under the vendor's prefix, such as `reports/2026-03.csv`. */
  fileName: string;
  /** Exact upload size in bytes. When given, it is signed into the URL. */
  contentLength?: number;
};

export type PresignAwsDownloadInput = PresignBase & {
  /** Full object key, which must lie under the vendor's prefix. */
  key: string;
};

function assertLevel(grant: SessionGrant, allowed: readonly string[], what: string): void {
  if (!allowed.includes(grant.accessLevel)) {
    throw new AppError("FORBIDDEN", `The "${grant.accessLevel}" access level does not allow ${what}.`);
  }
}

/**
 * Computes the URL expiry: the earliest of the grant end, the session's expiration, 7 days (the
 * SigV4 maximum) and the lifetime. A URL signed with a session is rejected once the session expires,
 * so a later expiry would only mislead.
 */
function expiryFor(input: PresignBase) {
  if (input.credentials.expiration.getTime() - input.now.getTime() < 1000) {
    throw new AppError("INVALID_STATE", "The AWS session used to sign this URL has expired. Request the URL again.");
  }
  const signingEnd = Math.min(input.grant.endsAt.getTime(), input.credentials.expiration.getTime());

  return computePresignExpiry({
    now: input.now,
    grantEndsAt: new Date(signingEnd),
    urlTtlSeconds: input.urlTtlSeconds ?? DEFAULT_PRESIGNED_URL_TTL_SECONDS,
  });
}

function encryptionHeaders(config: S3PrefixConfig): Record<string, string> {
  if (config.encryption.type === "aws:kms") {
    return {
      "x-amz-server-side-encryption": "aws:kms",
      "x-amz-server-side-encryption-aws-kms-key-id": config.encryption.kmsKeyArn,
    };
  }

  return { "x-amz-server-side-encryption": "AES256" };
}

function checkContentLength(contentLength: number | undefined): void {
  if (contentLength === undefined) return;

  if (!Number.isSafeInteger(contentLength) || contentLength < 0) {
    const message = `File size ${contentLength} is invalid. Give the size in bytes as a whole number.`;
    throw new AppError("INVALID_INPUT", message, { fieldErrors: { contentLength: [message] } });
  }
  if (contentLength > MAX_SINGLE_PUT_BYTES) {
    const message = `File size ${contentLength} bytes is over the S3 limit of ${MAX_SINGLE_PUT_BYTES} bytes for one upload. Split the file.`;
    throw new AppError("INVALID_INPUT", message, { fieldErrors: { contentLength: [message] } });
  }
}

/**
 * Presigns a PUT under the vendor's prefix with the role session. The server-side encryption
 * headers are signed in, so the upload must send them with exactly these values, as the role's
 * deny statements also require.
 */
export async function presignAwsUpload(input: PresignAwsUploadInput): Promise<PresignedRequest> {
  const { config } = input;
  assertLevel(input.grant, UPLOAD_LEVELS, "uploads");
  checkContentLength(input.contentLength);

  const key = buildObjectKey(renderVendorPrefix(config, input.vendorSlug), input.fileName);
  const expiry = expiryFor(input);
  const signedHeaders = encryptionHeaders(config);
  const command = new PutObjectCommand({
    Bucket: config.bucket,
    Key: key,
    ServerSideEncryption: config.encryption.type,
    SSEKMSKeyId: config.encryption.type === "aws:kms" ? config.encryption.kmsKeyArn : undefined,
    ContentLength: input.contentLength,
  });
  const client = (input.clients ?? getAwsClients()).createSessionS3Client({ region: config.region, credentials: input.credentials });
  const url = await getSignedUrl(client, command, {
    expiresIn: expiry.expiresInSeconds,
    signingDate: expiry.signingDate,
    // Kept as signed headers instead of query parameters, so a client cannot leave them out.
    unhoistableHeaders: new Set(Object.keys(signedHeaders)),
  });

  const headers = { ...signedHeaders };
  if (input.contentLength !== undefined) headers["content-length"] = String(input.contentLength);

  return { method: "PUT", url, headers, key, expiresAt: expiry.expiresAt };
}

/** Presigns a GET of one object under the vendor's prefix with the role session. */
export async function presignAwsDownload(input: PresignAwsDownloadInput): Promise<PresignedRequest> {
  const { config, key } = input;
  assertLevel(input.grant, READ_LEVELS, "downloads");

  validateVendorObjectKey(renderVendorPrefix(config, input.vendorSlug), key);
  const expiry = expiryFor(input);
  const command = new GetObjectCommand({ Bucket: config.bucket, Key: key, ResponseContentDisposition: attachmentDisposition(key) });
  const client = (input.clients ?? getAwsClients()).createSessionS3Client({ region: config.region, credentials: input.credentials });
  const url = await getSignedUrl(client, command, { expiresIn: expiry.expiresInSeconds, signingDate: expiry.signingDate });

  return { method: "GET", url, headers: {}, key, expiresAt: expiry.expiresAt };
}

/**
 * Builds a Content-Disposition that makes browsers save the file instead of rendering it, with an
 * ASCII fallback name and the exact name in RFC 5987 encoding.
 */
function attachmentDisposition(key: string): string {
  const baseName = key.slice(key.lastIndexOf("/") + 1);
  const asciiName = baseName.replace(/[^\x20-\x7E]|["\\%]/g, "_");
  const encodedName = encodeURIComponent(baseName).replace(/['()*]/g, (character) => `%${character.charCodeAt(0).toString(16).toUpperCase()}`);

  return `attachment; filename="${asciiName}"; filename*=UTF-8''${encodedName}`;
}

type GrantPresignInput = IssueSessionInput & { urlTtlSeconds?: number };

function s3ConfigOf(input: IssueSessionInput): S3PrefixConfig {
  const parsed = parseAwsResourceConfig(input.resource);
  if (parsed.kind !== "S3_PREFIX") throw new AppError("INVALID_STATE", "This grant is not for S3 files.");

  return parsed.config;
}

/** Issues a signing session for the grant and presigns an upload with it. */
export async function presignGrantUpload(input: GrantPresignInput & { fileName: string; contentLength?: number }): Promise<PresignedRequest> {
  const config = s3ConfigOf(input);
  assertLevel(input.grant, UPLOAD_LEVELS, "uploads");
  // Bad input fails before the AssumeRole call.
  buildObjectKey(renderVendorPrefix(config, input.vendor.slug), input.fileName);
  checkContentLength(input.contentLength);
  const session = await issueSigningSession(input);

  return presignAwsUpload({ ...input, config, vendorSlug: input.vendor.slug, credentials: session.credentials });
}

/** Issues a signing session for the grant and presigns a download with it. */
export async function presignGrantDownload(input: GrantPresignInput & { key: string }): Promise<PresignedRequest> {
  const config = s3ConfigOf(input);
  assertLevel(input.grant, READ_LEVELS, "downloads");
  validateVendorObjectKey(renderVendorPrefix(config, input.vendor.slug), input.key);
  const session = await issueSigningSession(input);

  return presignAwsDownload({ ...input, config, vendorSlug: input.vendor.slug, credentials: session.credentials });
}

import "server-only";

import { GetObjectCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";

import { buildObjectKey, renderPrefix, validateVendorObjectKey } from "@/lib/domain/object-key";
import { AppError } from "@/lib/errors";

import { getS3CompatClient } from "./client";
import type { S3PresignConfig } from "./config";
import { computePresignExpiry } from "./expiry";

/** A presigned request. The URL is a bearer secret: hand it to the grant holder, never log or store it. */
export type PresignedRequest = {
  method: "PUT" | "GET";
  url: string;
  /** Headers the client must send with exactly these values, because they are signed into the URL. */
  headers: Record<string, string>;
  key: string;
  expiresAt: Date;
};

export type PresignUploadInput = {
  config: S3PresignConfig;
  vendorSlug: string;
  /** Relative key under the vendor's prefix, such as `reports/2026-03.csv`. */
  fileName: string;
  grantEndsAt: Date;
  /** Defaults to the current time. */
  now?: Date;
  /** Exact upload size in bytes. When given, it is checked against maxUploadBytes and signed into the URL. */
  contentLength?: number;
  /** Defaults to the client for the S3_COMPAT_* settings. */
  client?: S3Client;
};

export type PresignDownloadInput = {
  config: S3PresignConfig;
  vendorSlug: string;
  /** Full object key, which must lie under the vendor's prefix. */
  key: string;
  grantEndsAt: Date;
  /** Defaults to the current time. */
  now?: Date;
  /** Defaults to the client for the S3_COMPAT_* settings. */
  client?: S3Client;
};

function encryptionHeaders(config: S3PresignConfig): Record<string, string> {
  const headers: Record<string, string> = { "x-amz-server-side-encryption": config.serverSideEncryption };

  if (config.serverSideEncryption === "aws:kms" && config.kmsKeyId) {
    headers["x-amz-server-side-encryption-aws-kms-key-id"] = config.kmsKeyId;
  }

  return headers;
}

function checkContentLength(contentLength: number | undefined, maxUploadBytes: number): void {
  if (contentLength === undefined) {
    return;
  }

  if (!Number.isSafeInteger(contentLength) || contentLength < 0) {
    const message = `File size ${contentLength} is invalid. Give the size in bytes as a whole number.`;

    throw new AppError("INVALID_INPUT", message, { fieldErrors: { contentLength: [message] } });
  }

  if (contentLength > maxUploadBytes) {
    const message = `File size ${contentLength} bytes is over this resource's upload limit of ${maxUploadBytes} bytes. Split the file or ask an administrator to raise the limit.`;

    throw new AppError("INVALID_INPUT", message, { fieldErrors: { contentLength: [message] } });
  }
}

/**
 * Presigns a PUT of one file under the vendor's prefix. The server-side encryption headers are
 * signed headers, not query parameters, so an upload without them fails signature verification.
 * The URL expires at the earliest of the configured lifetime, the grant end and 7 days.
 */
export async function presignUpload(input: PresignUploadInput): Promise<PresignedRequest> {
  const { config, contentLength } = input;

  const key = buildObjectKey(renderPrefix(config.prefixTemplate, input.vendorSlug), input.fileName);
  checkContentLength(contentLength, config.maxUploadBytes);
  const expiry = computePresignExpiry({ now: input.now ?? new Date(), grantEndsAt: input.grantEndsAt, urlTtlSeconds: config.urlTtlSeconds });

  // NOTE: without contentLength the URL accepts any size up to S3's 5 GiB PutObject limit, so
  // maxUploadBytes is enforced only for callers that pass the size.
  const signedHeaders = encryptionHeaders(config);
  const command = new PutObjectCommand({
    Bucket: config.bucket,
    Key: key,
    ServerSideEncryption: config.serverSideEncryption,
    SSEKMSKeyId: signedHeaders["x-amz-server-side-encryption-aws-kms-key-id"],
    ContentLength: contentLength,
  });
  const url = await getSignedUrl(input.client ?? getS3CompatClient(), command, {
    expiresIn: expiry.expiresInSeconds,
    signingDate: expiry.signingDate,
    unhoistableHeaders: new Set(Object.keys(signedHeaders)),
  });

  const headers = { ...signedHeaders };
  if (contentLength !== undefined) {
    headers["content-length"] = String(contentLength);
  }

  return { method: "PUT", url, headers, key, expiresAt: expiry.expiresAt };
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

/**
 * Presigns a GET of one object. The key is checked again here, so a key from another vendor's
 * prefix is rejected with AppError FORBIDDEN even if the caller skipped the check.
 */
export async function presignDownload(input: PresignDownloadInput): Promise<PresignedRequest> {
  const { config, key } = input;

  validateVendorObjectKey(renderPrefix(config.prefixTemplate, input.vendorSlug), key);
  const expiry = computePresignExpiry({ now: input.now ?? new Date(), grantEndsAt: input.grantEndsAt, urlTtlSeconds: config.urlTtlSeconds });

  const command = new GetObjectCommand({ Bucket: config.bucket, Key: key, ResponseContentDisposition: attachmentDisposition(key) });
  const url = await getSignedUrl(input.client ?? getS3CompatClient(), command, {
    expiresIn: expiry.expiresInSeconds,
    signingDate: expiry.signingDate,
  });

  return { method: "GET", url, headers: {}, key, expiresAt: expiry.expiresAt };
}

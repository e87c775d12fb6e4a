// Expiry arithmetic for presigned URLs. Pure: every function takes `now`.

import { AppError } from "@/lib/errors";

import { MAX_PRESIGNED_URL_TTL_SECONDS } from "./config";

export type PresignExpiry = {
  /** `now` truncated to whole seconds, because X-Amz-Date has one-second resolution. */
  signingDate: Date;
  /** X-Amz-Expires in whole seconds, at least 1. */
  expiresInSeconds: number;
  /** signingDate plus expiresInSeconds, never later than the grant end. */
  expiresAt: Date;
};

/**
 * Computes when a presigned URL expires: the earliest of the configured lifetime, the grant end and
 * the SigV4 maximum of 7 days. Throws AppError INVALID_STATE when the grant has ended or less than
 * one second of it remains.
 */
export function computePresignExpiry(input: { now: Date; grantEndsAt: Date; urlTtlSeconds: number }): PresignExpiry {
  const { now, grantEndsAt, urlTtlSeconds } = input;

  if (Number.isNaN(now.getTime()) || Number.isNaN(grantEndsAt.getTime())) {
    throw new AppError("INVALID_INPUT", "The current time and the grant end must be valid dates.");
  }

  if (!Number.isInteger(urlTtlSeconds) || urlTtlSeconds < 1 || urlTtlSeconds > MAX_PRESIGNED_URL_TTL_SECONDS) {
    throw new AppError(
      "MISCONFIGURED",
      `The presigned URL lifetime ${urlTtlSeconds} is invalid. Set urlTtlSeconds to a whole number from 1 to ${MAX_PRESIGNED_URL_TTL_SECONDS}.`,
    );
  }

  const remainingMs = grantEndsAt.getTime() - now.getTime();
  if (remainingMs <= 0) {
    throw new AppError("INVALID_STATE", "The grant has ended, so no presigned URL can be issued. Submit a new access request if you still need access.");
  }

  if (remainingMs < 1000) {
    throw new AppError(
      "INVALID_STATE",
      "The grant has ended: less than 1 second of it remains, so no presigned URL can be issued. Submit a new access request if you still need access.",
    );
  }

  const signingMs = Math.floor(now.getTime() / 1000) * 1000;
  const secondsToGrantEnd = Math.floor((grantEndsAt.getTime() - signingMs) / 1000);
  const expiresInSeconds = Math.min(urlTtlSeconds, secondsToGrantEnd, MAX_PRESIGNED_URL_TTL_SECONDS);

  return {
    signingDate: new Date(signingMs),
    expiresInSeconds,
    expiresAt: new Date(signingMs + expiresInSeconds * 1000),
  };
}

import { describe, expect, test } from "vitest";

import { AppError } from "@/lib/errors";

import { MAX_PRESIGNED_URL_TTL_SECONDS } from "./config";
import { computePresignExpiry } from "./expiry";

const NOW = new Date("2026-03-01T12:00:00.000Z");
const at = (offsetMs: number) => new Date(NOW.getTime() + offsetMs);
const SECOND = 1000;
const DAY = 24 * 60 * 60 * SECOND;

function catchAppError(run: () => unknown): AppError {
  try {
    run();
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  throw new Error("expected an AppError, but nothing was thrown");
}

describe("computePresignExpiry", () => {
  test.each([
    ["lifetime ends first", 0, 60 * 60 * SECOND, 900, 900],
    ["grant ends first", 0, 300 * SECOND, 900, 300],
    ["grant end between seconds", 0, 300 * SECOND + 500, 900, 300],
    ["now between seconds", 750, 10 * SECOND, 900, 10],
    ["now and grant end between seconds", 999, 1999, 900, 1],
    ["exactly 1 second left", 0, SECOND, 900, 1],
    ["lifetime equals time left", 0, 900 * SECOND, 900, 900],
    ["7-day cap with a longer grant", 0, 30 * DAY, MAX_PRESIGNED_URL_TTL_SECONDS, MAX_PRESIGNED_URL_TTL_SECONDS],
    ["grant of exactly 7 days", 0, 7 * DAY, MAX_PRESIGNED_URL_TTL_SECONDS, MAX_PRESIGNED_URL_TTL_SECONDS],
    ["1-second lifetime", 0, 60 * SECOND, 1, 1],
  ])("caps when %s", (_case, nowOffsetMs, grantEndOffsetMs, urlTtlSeconds, expiresInSeconds) => {
    const expiry = computePresignExpiry({ now: at(nowOffsetMs), grantEndsAt: at(grantEndOffsetMs), urlTtlSeconds });

    expect(expiry.signingDate).toEqual(NOW);
    expect(expiry.expiresInSeconds).toBe(expiresInSeconds);
    expect(expiry.expiresAt).toEqual(at(expiresInSeconds * SECOND));
  });

  test("never ends after the grant, the lifetime or 7 days", () => {
    for (let nowOffsetMs = 0; nowOffsetMs < 3 * SECOND; nowOffsetMs += 137) {
      for (const remainingMs of [1000, 1001, 1999, 2000, 2500, 59_999, 900_000, 900_001, 8 * DAY + 1]) {
        for (const urlTtlSeconds of [1, 2, 900, MAX_PRESIGNED_URL_TTL_SECONDS]) {
          const now = at(nowOffsetMs);
          const grantEndsAt = at(nowOffsetMs + remainingMs);
          const expiry = computePresignExpiry({ now, grantEndsAt, urlTtlSeconds });
          const context = { nowOffsetMs, remainingMs, urlTtlSeconds };

          expect(Number.isInteger(expiry.expiresInSeconds), JSON.stringify(context)).toBe(true);
          expect(expiry.expiresInSeconds, JSON.stringify(context)).toBeGreaterThanOrEqual(1);
          expect(expiry.expiresAt.getTime(), JSON.stringify(context)).toBeLessThanOrEqual(grantEndsAt.getTime());
          expect(expiry.expiresAt.getTime(), JSON.stringify(context)).toBeLessThanOrEqual(now.getTime() + urlTtlSeconds * SECOND);
          expect(expiry.expiresAt.getTime(), JSON.stringify(context)).toBeLessThanOrEqual(now.getTime() + 7 * DAY);
          expect(expiry.expiresAt.getTime(), JSON.stringify(context)).toBeGreaterThan(now.getTime());
          expect(expiry.signingDate.getTime() % SECOND, JSON.stringify(context)).toBe(0);
        }
      }
    }
  });

  test.each([
    ["the grant end equals now", 0, "has ended"],
    ["the grant ended an hour ago", -60 * 60 * SECOND, "has ended"],
    ["999 ms remain", 999, "less than 1 second"],
    ["1 ms remains", 1, "less than 1 second"],
  ])("rejects when %s", (_case, grantEndOffsetMs, messagePart) => {
    const error = catchAppError(() => computePresignExpiry({ now: NOW, grantEndsAt: at(grantEndOffsetMs), urlTtlSeconds: 900 }));

    expect(error.code).toBe("INVALID_STATE");
    expect(error.message).toContain("grant has ended");
    expect(error.message).toContain(messagePart);
  });

  test.each([
    ["zero", 0],
    ["over 7 days", MAX_PRESIGNED_URL_TTL_SECONDS + 1],
    ["fractional", 1.5],
  ])("rejects a lifetime that is %s", (_case, urlTtlSeconds) => {
    const error = catchAppError(() => computePresignExpiry({ now: NOW, grantEndsAt: at(DAY), urlTtlSeconds }));

    expect(error.code).toBe("MISCONFIGURED");
  });

  test("rejects an invalid date", () => {
    const error = catchAppError(() => computePresignExpiry({ now: new Date(Number.NaN), grantEndsAt: at(DAY), urlTtlSeconds: 900 }));

    expect(error.code).toBe("INVALID_INPUT");
  });
});

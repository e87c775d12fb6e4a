// How long AWS sessions for a grant last. Pure: every function takes `now`.

import { AppError } from "@/lib/errors";

/** AssumeRole accepts DurationSeconds from 900 (15 minutes) up to the role's MaxSessionDuration. */
export const MIN_SESSION_SECONDS = 900;

export type SessionGrant = { id: string; startsAt: Date; endsAt: Date; accessLevel: string };

function secondsLeft(grant: SessionGrant, now: Date): number {
  return Math.floor((grant.endsAt.getTime() - now.getTime()) / 1000);
}

/** Throws AppError INVALID_STATE unless the grant has started and at least one second of it remains. */
export function assertGrantRunning(grant: SessionGrant, now: Date): void {
  if (grant.startsAt.getTime() > now.getTime()) {
    throw new AppError("INVALID_STATE", `This grant starts at ${grant.startsAt.toISOString()}, so no AWS session can be issued yet.`);
  }
  if (secondsLeft(grant, now) < 1) {
    throw new AppError("INVALID_STATE", "This grant has ended, so no AWS session can be issued. Submit a new access request if you still need access.");
  }
}

/**
 * Computes the DurationSeconds of a session handed to the vendor: the time left in the grant, at most the role's
 * MaxSessionDuration, so the session ends no later than the grant. Throws AppError INVALID_STATE
 * when less than 15 minutes remain, because AWS sessions last at least that long.
 */
export function computeSessionDuration(input: { grant: SessionGrant; now: Date; maxSessionSeconds: number }): number {
  assertGrantRunning(input.grant, input.now);

  const left = secondsLeft(input.grant, input.now);
  if (left < MIN_SESSION_SECONDS) {
    throw new AppError(
      "INVALID_STATE",
      `Less than 15 minutes remain in this grant (${left} seconds), and AWS sessions last at least 15 minutes, so no credentials can be issued. Presigned URLs still work until the end of the grant.`,
    );
  }

  return Math.min(left, input.maxSessionSeconds);
}

/**
 * Computes the DurationSeconds of a session the portal keeps to sign presigned URLs and IAM auth
 * tokens. When less than 15 minutes remain, the session outlives the grant by the difference. That
 * is safe because the session never leaves the portal, what it signs expires at the grant end at
 * the latest, and the role's statements for the grant stop allowing anything at the grant end.
 */
export function computeSigningSessionDuration(input: { grant: SessionGrant; now: Date; maxSessionSeconds: number }): number {
  assertGrantRunning(input.grant, input.now);

  return Math.min(input.maxSessionSeconds, Math.max(MIN_SESSION_SECONDS, secondsLeft(input.grant, input.now)));
}

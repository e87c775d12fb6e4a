// Window arithmetic for access requests and grants. Pure: every function takes `now`.
// Windows are half-open [start, end) in UTC.

export const MINUTE_MS = 60_000;

/** A start this far in the past still counts as "now", to absorb clock skew and form latency. */
export const START_GRACE_MS = MINUTE_MS;

/** Shortest window a request may ask for. */
export const MIN_DURATION_MINUTES = 5;

/** How far ahead a request may start. */
export const MAX_START_AHEAD_DAYS = 90;

export type RequestedWindow =
  | { kind: "RELATIVE"; durationMinutes: number }
  | { kind: "FIXED"; start: Date; end: Date };

export type WindowFieldErrors = Partial<Record<"start" | "end" | "durationMinutes", string>>;

/** Form-level input: start is "now" or a time; the end is a time or a duration. */
export type WindowFormInput = {
  startMode: "now" | "at";
  start?: Date;
  endMode: "duration" | "at";
  end?: Date;
  durationMinutes?: number;
};

/**
 * Turns the form's start and end choices into a window. "Now" with a duration is RELATIVE: it gets
 * its full duration from activation. Every other combination is a FIXED window that keeps its end.
 */
export function toRequestedWindow(input: WindowFormInput, now: Date): RequestedWindow | WindowFieldErrors {
  const errors: WindowFieldErrors = {};

  if (input.startMode === "at" && !input.start) errors.start = "Enter a start time, or choose to start now.";
  if (input.endMode === "at" && !input.end) errors.end = "Enter an end time, or give a duration instead.";
  if (input.endMode === "duration" && input.durationMinutes === undefined) {
    errors.durationMinutes = "Enter a duration in minutes, or give an end time instead.";
  }
  if (Object.keys(errors).length > 0) return errors;

  if (input.startMode === "now" && input.endMode === "duration") {
    return { kind: "RELATIVE", durationMinutes: input.durationMinutes! };
  }

  const start = input.startMode === "now" ? now : input.start!;
  const end = input.endMode === "at" ? input.end! : new Date(start.getTime() + input.durationMinutes! * MINUTE_MS);

  return { kind: "FIXED", start, end };
}

/** Checks a requested window against the resource's maximum duration; returns errors by field. */
export function validateRequestedWindow(
  window: RequestedWindow,
  maxDurationMinutes: number,
  now: Date,
): WindowFieldErrors {
  const errors: WindowFieldErrors = {};

  if (window.kind === "RELATIVE") {
    const minutes = window.durationMinutes;
    if (!Number.isInteger(minutes) || minutes < MIN_DURATION_MINUTES) {
      errors.durationMinutes = `Duration must be a whole number of minutes, at least ${MIN_DURATION_MINUTES}.`;
    } else if (minutes > maxDurationMinutes) {
      errors.durationMinutes = `Duration is longer than this resource allows (${formatMinutes(maxDurationMinutes)} at most).`;
    }

    return errors;
  }

  const { start, end } = window;
  if (Number.isNaN(start.getTime())) errors.start = "Start is not a valid time.";
  if (Number.isNaN(end.getTime())) errors.end = "End is not a valid time.";
  if (errors.start || errors.end) return errors;

  if (start.getTime() < now.getTime() - START_GRACE_MS) {
    errors.start = "Start is in the past. Choose a later time, or start now.";
  } else if (start.getTime() > now.getTime() + MAX_START_AHEAD_DAYS * 24 * 60 * MINUTE_MS) {
    errors.start = `Start is more than ${MAX_START_AHEAD_DAYS} days ahead.`;
  }

  const durationMs = end.getTime() - start.getTime();
  if (durationMs <= 0) {
    errors.end = "End must be after the start.";
  } else if (durationMs < MIN_DURATION_MINUTES * MINUTE_MS) {
    errors.end = `The window must be at least ${MIN_DURATION_MINUTES} minutes long.`;
  } else if (durationMs > maxDurationMinutes * MINUTE_MS) {
    errors.end = `The window is longer than this resource allows (${formatMinutes(maxDurationMinutes)} at most).`;
  }

  return errors;
}

export type StoredWindow = {
  windowKind: "RELATIVE" | "FIXED";
  requestedStart: Date | null;
  requestedEnd: Date | null;
  durationMinutes: number | null;
};

/**
 * The grant window for a request approved at `approvedAt`. RELATIVE requests get their full
 * duration from the approval; FIXED requests keep their end and start no earlier than the approval.
 * Returns null when a FIXED window has already ended, so the request can no longer be approved.
 */
export function grantWindowFor(request: StoredWindow, approvedAt: Date): { startsAt: Date; endsAt: Date } | null {
  if (request.windowKind === "RELATIVE") {
    const minutes = request.durationMinutes;
    if (minutes === null) throw new Error("RELATIVE request has no durationMinutes");

    return { startsAt: approvedAt, endsAt: new Date(approvedAt.getTime() + minutes * MINUTE_MS) };
  }

  const { requestedStart, requestedEnd } = request;
  if (!requestedStart || !requestedEnd) throw new Error("FIXED request has no requestedStart or requestedEnd");
  if (requestedEnd.getTime() <= approvedAt.getTime()) return null;

  const startsAt = requestedStart.getTime() > approvedAt.getTime() ? requestedStart : approvedAt;

  return { startsAt, endsAt: requestedEnd };
}

/** Returns whether a pending request has expired: FIXED once its end has passed, RELATIVE after `relativeTtlMs`. */
export function isPendingRequestExpired(
  request: StoredWindow & { createdAt: Date },
  now: Date,
  relativeTtlMs: number,
): boolean {
  if (request.windowKind === "FIXED") return request.requestedEnd !== null && request.requestedEnd <= now;

  return request.createdAt.getTime() + relativeTtlMs <= now.getTime();
}

/** True when `at` lies inside the half-open window [startsAt, endsAt). */
export function isWithinWindow(window: { startsAt: Date; endsAt: Date }, at: Date): boolean {
  return window.startsAt.getTime() <= at.getTime() && at.getTime() < window.endsAt.getTime();
}

export function formatMinutes(minutes: number): string {
  if (minutes % (24 * 60) === 0) return `${minutes / (24 * 60)} d`;
  if (minutes % 60 === 0) return `${minutes / 60} h`;
  if (minutes > 60) return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;

  return `${minutes} min`;
}

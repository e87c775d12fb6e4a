import { describe, expect, test } from "vitest";

import {
  grantWindowFor,
  isPendingRequestExpired,
  isWithinWindow,
  toRequestedWindow,
  validateRequestedWindow,
  type RequestedWindow,
} from "./window";

const NOW = new Date("2026-03-01T12:00:00.000Z");
const at = (offsetMinutes: number) => new Date(NOW.getTime() + offsetMinutes * 60_000);
const MAX = 8 * 60;

describe("toRequestedWindow", () => {
  test("now plus duration is RELATIVE", () => {
    expect(toRequestedWindow({ startMode: "now", endMode: "duration", durationMinutes: 60 }, NOW)).toEqual({
      kind: "RELATIVE",
      durationMinutes: 60,
    });
  });

  test("now plus end time is FIXED from now", () => {
    expect(toRequestedWindow({ startMode: "now", endMode: "at", end: at(90) }, NOW)).toEqual({
      kind: "FIXED",
      start: NOW,
      end: at(90),
    });
  });

  test("start time plus duration is FIXED", () => {
    expect(toRequestedWindow({ startMode: "at", start: at(30), endMode: "duration", durationMinutes: 45 }, NOW)).toEqual({
      kind: "FIXED",
      start: at(30),
      end: at(75),
    });
  });

  test.each([
    [{ startMode: "at", endMode: "duration", durationMinutes: 10 } as const, "start"],
    [{ startMode: "now", endMode: "at" } as const, "end"],
    [{ startMode: "now", endMode: "duration" } as const, "durationMinutes"],
  ])("missing value %o reports %s", (input, field) => {
    const result = toRequestedWindow(input, NOW);
    expect(result).toHaveProperty(field);
  });
});

describe("validateRequestedWindow", () => {
  test.each<[string, RequestedWindow, Record<string, string | undefined>]>([
    ["relative within max", { kind: "RELATIVE", durationMinutes: 60 }, {}],
    ["relative at max", { kind: "RELATIVE", durationMinutes: MAX }, {}],
    ["relative over max", { kind: "RELATIVE", durationMinutes: MAX + 1 }, { durationMinutes: "longer" }],
    ["relative too short", { kind: "RELATIVE", durationMinutes: 4 }, { durationMinutes: "at least 5" }],
    ["relative fractional", { kind: "RELATIVE", durationMinutes: 30.5 }, { durationMinutes: "whole number" }],
    ["fixed valid", { kind: "FIXED", start: at(10), end: at(70) }, {}],
    ["fixed start 59 s ago", { kind: "FIXED", start: new Date(NOW.getTime() - 59_000), end: at(60) }, {}],
    ["fixed start 61 s ago", { kind: "FIXED", start: new Date(NOW.getTime() - 61_000), end: at(60) }, { start: "in the past" }],
    ["fixed end before start", { kind: "FIXED", start: at(60), end: at(30) }, { end: "after the start" }],
    ["fixed end equals start", { kind: "FIXED", start: at(60), end: at(60) }, { end: "after the start" }],
    ["fixed too short", { kind: "FIXED", start: at(0), end: at(4) }, { end: "at least 5" }],
    ["fixed exactly max", { kind: "FIXED", start: at(0), end: at(MAX) }, {}],
    ["fixed over max by a minute", { kind: "FIXED", start: at(0), end: at(MAX + 1) }, { end: "longer" }],
    ["fixed starts too far ahead", { kind: "FIXED", start: at(91 * 24 * 60), end: at(91 * 24 * 60 + 60) }, { start: "90 days" }],
    ["fixed invalid date", { kind: "FIXED", start: new Date("nope"), end: at(60) }, { start: "not a valid time" }],
  ])("%s", (_name, window, expected) => {
    const errors = validateRequestedWindow(window, MAX, NOW);

    expect(Object.keys(errors).sort()).toEqual(Object.keys(expected).sort());
    for (const [field, fragment] of Object.entries(expected)) {
      expect(errors[field as keyof typeof errors]).toContain(fragment);
    }
  });
});

describe("grantWindowFor", () => {
  test("relative request approved late gets its full duration from approval", () => {
    const approvedAt = at(180);
    const window = grantWindowFor(
      { windowKind: "RELATIVE", requestedStart: null, requestedEnd: null, durationMinutes: 120 },
      approvedAt,
    );

    expect(window).toEqual({ startsAt: approvedAt, endsAt: at(300) });
  });

  test("fixed request approved before its start keeps both ends", () => {
    const window = grantWindowFor(
      { windowKind: "FIXED", requestedStart: at(60), requestedEnd: at(120), durationMinutes: null },
      NOW,
    );

    expect(window).toEqual({ startsAt: at(60), endsAt: at(120) });
  });

  test("fixed request approved late keeps its end and starts at approval", () => {
    const window = grantWindowFor(
      { windowKind: "FIXED", requestedStart: at(-30), requestedEnd: at(30), durationMinutes: null },
      NOW,
    );

    expect(window).toEqual({ startsAt: NOW, endsAt: at(30) });
  });

  test("fixed request whose end has passed cannot be approved", () => {
    const stored = { windowKind: "FIXED" as const, requestedStart: at(-60), requestedEnd: NOW, durationMinutes: null };

    expect(grantWindowFor(stored, NOW)).toBeNull();
  });
});

describe("isWithinWindow", () => {
  const window = { startsAt: at(0), endsAt: at(60) };

  test.each([
    ["one ms before start", new Date(at(0).getTime() - 1), false],
    ["at start", at(0), true],
    ["inside", at(30), true],
    ["one ms before end", new Date(at(60).getTime() - 1), true],
    ["at end", at(60), false],
  ])("%s", (_name, moment, expected) => {
    expect(isWithinWindow(window, moment)).toBe(expected);
  });
});

describe("isPendingRequestExpired", () => {
  const day = 24 * 60 * 60_000;

  test.each([
    ["fixed before end", { windowKind: "FIXED", requestedStart: at(-10), requestedEnd: at(10) }, false],
    ["fixed at end", { windowKind: "FIXED", requestedStart: at(-10), requestedEnd: NOW }, true],
    ["relative young", { windowKind: "RELATIVE", requestedStart: null, requestedEnd: null, createdAt: at(-60) }, false],
    ["relative past ttl", { windowKind: "RELATIVE", requestedStart: null, requestedEnd: null, createdAt: new Date(NOW.getTime() - 7 * day) }, true],
  ] as const)("%s", (_name, request, expected) => {
    const full = { durationMinutes: 60, createdAt: at(-5), ...request };

    expect(isPendingRequestExpired(full, NOW, 7 * day)).toBe(expected);
  });
});

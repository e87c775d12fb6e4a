import { describe, expect, test } from "vitest";

import { formatDateTime, formatDuration, formatWindow } from "./format-time";

const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

describe("formatDuration", () => {
  test.each([
    { ms: 0, expected: "less than 1 min" },
    { ms: 59 * SECOND, expected: "less than 1 min" },
    { ms: MINUTE, expected: "1 min" },
    { ms: 45 * MINUTE, expected: "45 min" },
    { ms: 45 * MINUTE + 59 * SECOND, expected: "45 min" },
    { ms: HOUR - 1, expected: "59 min" },
    { ms: HOUR, expected: "1 h" },
    { ms: 2 * HOUR + 5 * MINUTE, expected: "2 h 5 min" },
    { ms: 2 * HOUR + 30 * SECOND, expected: "2 h" },
    { ms: 23 * HOUR + 59 * MINUTE, expected: "23 h 59 min" },
    { ms: DAY, expected: "1 d" },
    { ms: DAY + 59 * MINUTE, expected: "1 d" },
    { ms: 3 * DAY + 4 * HOUR, expected: "3 d 4 h" },
    { ms: 3 * DAY + 4 * HOUR + 59 * MINUTE, expected: "3 d 4 h" },
    { ms: 90 * DAY, expected: "90 d" },
  ])("$ms ms is $expected", ({ ms, expected }) => {
    expect(formatDuration(ms)).toBe(expected);
  });

  test.each([-1, Number.NaN, Number.POSITIVE_INFINITY])("rejects %s", (ms) => {
    expect(() => formatDuration(ms)).toThrow(RangeError);
  });
});

describe("formatDateTime", () => {
  test.each([
    { value: "2025-03-12T09:05:00Z", timeZone: "UTC", expected: "12 Mar 2025, 09:05 UTC" },
    { value: "2025-03-12T09:05:00Z", timeZone: "Europe/Berlin", expected: "12 Mar 2025, 10:05 CET" },
    { value: "2025-07-12T09:05:00Z", timeZone: "Europe/Berlin", expected: "12 Jul 2025, 11:05 CEST" },
    { value: "2025-01-12T09:05:00Z", timeZone: "Europe/London", expected: "12 Jan 2025, 09:05 GMT" },
    { value: "2025-07-12T09:05:00Z", timeZone: "Europe/London", expected: "12 Jul 2025, 10:05 BST" },
    { value: "2025-01-12T09:05:00Z", timeZone: "America/New_York", expected: "12 Jan 2025, 04:05 EST" },
    { value: "2025-07-12T09:05:00Z", timeZone: "America/New_York", expected: "12 Jul 2025, 05:05 EDT" },
    { value: "2025-03-12T09:05:00Z", timeZone: "Asia/Kolkata", expected: "12 Mar 2025, 14:35 GMT+5:30" },
    { value: "2025-03-12T23:30:00Z", timeZone: "Asia/Tokyo", expected: "13 Mar 2025, 08:30 GMT+9" },
    { value: "2025-03-12T00:00:00Z", timeZone: "UTC", expected: "12 Mar 2025, 00:00 UTC" },
  ])("$value in $timeZone", ({ value, timeZone, expected }) => {
    expect(formatDateTime(value, timeZone)).toBe(expected);
  });

  test("accepts a Date", () => {
    expect(formatDateTime(new Date(Date.UTC(2025, 2, 12, 9, 5)), "UTC")).toBe("12 Mar 2025, 09:05 UTC");
  });

  test("rejects an invalid date", () => {
    expect(() => formatDateTime("not a date", "UTC")).toThrow(RangeError);
  });

  test("rejects an unknown time zone", () => {
    expect(() => formatDateTime("2025-03-12T09:05:00Z", "Mars/Olympus_Mons")).toThrow(RangeError);
  });
});

describe("formatWindow", () => {
  test.each([
    {
      name: "same day",
      start: "2025-03-12T09:00:00Z",
      end: "2025-03-12T17:00:00Z",
      timeZone: "UTC",
      expected: "12 Mar 2025, 09:00 – 17:00 UTC",
    },
    {
      name: "across days",
      start: "2025-03-12T09:00:00Z",
      end: "2025-03-14T17:00:00Z",
      timeZone: "UTC",
      expected: "12 Mar 2025, 09:00 – 14 Mar 2025, 17:00 UTC",
    },
    {
      name: "same UTC day, different local days",
      start: "2025-03-12T09:00:00Z",
      end: "2025-03-12T17:00:00Z",
      timeZone: "Asia/Tokyo",
      expected: "12 Mar 2025, 18:00 – 13 Mar 2025, 02:00 GMT+9",
    },
    {
      name: "daylight-saving start",
      start: "2025-03-30T00:00:00Z",
      end: "2025-03-30T03:00:00Z",
      timeZone: "Europe/Berlin",
      expected: "30 Mar 2025, 01:00 CET – 05:00 CEST",
    },
    {
      name: "daylight-saving end across days",
      start: "2025-11-01T20:00:00Z",
      end: "2025-11-02T20:00:00Z",
      timeZone: "America/New_York",
      expected: "1 Nov 2025, 16:00 EDT – 2 Nov 2025, 15:00 EST",
    },
    {
      name: "across years",
      start: "2025-12-31T22:00:00Z",
      end: "2026-01-01T02:00:00Z",
      timeZone: "UTC",
      expected: "31 Dec 2025, 22:00 – 1 Jan 2026, 02:00 UTC",
    },
    {
      name: "zero length",
      start: "2025-03-12T09:00:00Z",
      end: "2025-03-12T09:00:00Z",
      timeZone: "UTC",
      expected: "12 Mar 2025, 09:00 – 09:00 UTC",
    },
  ])("$name", ({ start, end, timeZone, expected }) => {
    expect(formatWindow(start, end, timeZone)).toBe(expected);
  });

  test("rejects an end before the start", () => {
    expect(() => formatWindow("2025-03-12T17:00:00Z", "2025-03-12T09:00:00Z", "UTC")).toThrow(RangeError);
  });

  test("rejects an invalid end", () => {
    expect(() => formatWindow("2025-03-12T09:00:00Z", "", "UTC")).toThrow(RangeError);
  });
});

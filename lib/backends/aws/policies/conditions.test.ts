import { describe, expect, test } from "vitest";

import { AppError } from "@/lib/errors";

import {
  assertUniqueStatementIds,
  assertValidGrantId,
  formatIamTime,
  mergeConditions,
  statementIdPrefix,
  windowCondition,
} from "./conditions";

describe("formatIamTime", () => {
  test.each([
    ["whole second, up", "2026-03-01T09:00:00.000Z", "up", "2026-03-01T09:00:00Z"],
    ["whole second, down", "2026-03-01T09:00:00.000Z", "down", "2026-03-01T09:00:00Z"],
    ["fraction rounds up", "2026-03-01T09:00:00.001Z", "up", "2026-03-01T09:00:01Z"],
    ["fraction rounds down", "2026-03-01T09:00:00.999Z", "down", "2026-03-01T09:00:00Z"],
    ["up across midnight", "2026-12-31T23:59:59.500Z", "up", "2027-01-01T00:00:00Z"],
  ] as const)("%s", (_name, input, rounding, expected) => {
    expect(formatIamTime(new Date(input), rounding)).toBe(expected);
  });
});

describe("windowCondition", () => {
  test("start inclusive, end exclusive", () => {
    expect(windowCondition(new Date("2026-03-01T09:00:00Z"), new Date("2026-03-01T17:00:00Z"))).toEqual({
      DateGreaterThanEquals: { "aws:CurrentTime": "2026-03-01T09:00:00Z" },
      DateLessThan: { "aws:CurrentTime": "2026-03-01T17:00:00Z" },
    });
  });

  test("rounds inward to whole seconds", () => {
    const condition = windowCondition(new Date("2026-03-01T09:00:00.250Z"), new Date("2026-03-01T17:00:00.750Z"));

    expect(condition.DateGreaterThanEquals).toEqual({ "aws:CurrentTime": "2026-03-01T09:00:01Z" });
    expect(condition.DateLessThan).toEqual({ "aws:CurrentTime": "2026-03-01T17:00:00Z" });
  });
});

describe("mergeConditions", () => {
  test("joins keys under one operator", () => {
    expect(mergeConditions({ StringEquals: { a: "1" } }, { StringEquals: { b: "2" }, Null: { c: "true" } })).toEqual({
      StringEquals: { a: "1", b: "2" },
      Null: { c: "true" },
    });
  });

  test("rejects a repeated key", () => {
    expect(() => mergeConditions({ StringEquals: { a: "1" } }, { StringEquals: { a: "2" } })).toThrow(
      "Condition key a appears twice under StringEquals.",
    );
  });
});

describe("statementIdPrefix", () => {
  test.each([
    ["cm8x00k2v0000qwerty12345", "cm8x00k2v0000qwerty12345"],
    ["grant-1", "grant1"],
    ["a_b.c:d=e+f@g", "abcdefg"],
  ])("%s becomes %s", (grantId, expected) => {
    expect(statementIdPrefix(grantId)).toBe(expected);
  });

  test.each(["", "g*1", "g?1", "${aws:username}", "with space", "x".repeat(129)])("rejects grant id %j", (grantId) => {
    expect(() => assertValidGrantId(grantId)).toThrow(AppError);
  });

  test("rejects an id without letters or digits", () => {
    expect(() => statementIdPrefix("--")).toThrow("has no letters or digits");
  });
});

describe("assertUniqueStatementIds", () => {
  test("rejects a repeated Sid", () => {
    const statement = { Sid: "g1List", Effect: "Allow" as const, Action: "s3:ListBucket" };

    expect(() => assertUniqueStatementIds([statement, statement])).toThrow("statement id g1List");
  });

  test("ignores statements without a Sid", () => {
    const statement = { Effect: "Allow" as const, Action: "s3:ListBucket" };

    expect(() => assertUniqueStatementIds([statement, statement])).not.toThrow();
  });
});

import { describe, expect, test } from "vitest";

import { MAX_STS_NAME_LENGTH, roleSessionNameFor, sanitizeStsName, sourceIdentityFor } from "./session-names";

const STS_NAME = /^[\w+=,.@-]{2,64}$/;
const GRANT_ID = "cm7grant0000abcdefghijklm";

describe("sanitizeStsName", () => {
  test.each([
    ["plain email", "alex@acme.example", "alex@acme.example"],
    ["accents", "jürgen.müller@acme.example", "jurgen.muller@acme.example"],
    ["spaces and quotes", "o'brien smith@acme.example", "o-brien-smith@acme.example"],
    ["a run of odd characters", "a#$%^&*()b", "a-b"],
    ["odd characters at the ends", "  (alex)  ", "alex"],
    ["letters without ASCII form", "用户@例子.公司", "@-."],
    ["allowed punctuation", "a+b=c,d.e@f-g_h", "a+b=c,d.e@f-g_h"],
  ])("handles %s", (_case, input, expected) => {
    expect(sanitizeStsName(input)).toBe(expected);
  });
});

describe("roleSessionNameFor", () => {
  test("starts with the grant id", () => {
    expect(roleSessionNameFor(GRANT_ID, "alex@acme.example")).toBe(`vap-${GRANT_ID}-alex@acme.example`);
  });

  test.each([
    ["a long email", `${"very.long.name".repeat(10)}@acme-logistics.example`],
    ["odd characters", "Ünïcødé Üser <user+tag@acme.example>"],
    ["a name ending in odd characters after the cut", `${"a".repeat(33)}!!!!!!!!!!@acme.example`],
    ["only odd characters", "😀😀😀"],
  ])("fits STS rules with %s", (_case, email) => {
    const name = roleSessionNameFor(GRANT_ID, email);

    expect(name).toMatch(STS_NAME);
    expect(name.length).toBeLessThanOrEqual(MAX_STS_NAME_LENGTH);
    expect(name.startsWith(`vap-${GRANT_ID}`)).toBe(true);
    expect(name.endsWith("-")).toBe(false);
  });
});

describe("sourceIdentityFor", () => {
  test("is the email when valid", () => {
    expect(sourceIdentityFor({ id: "u1", email: "alex@acme.example" })).toBe("alex@acme.example");
  });

  test.each([
    ["a long email", `${"x".repeat(80)}@acme.example`],
    ["accents", "jürgen@acme.example"],
    ["no ASCII at all", "用户"],
    ["a 65-character email", `${"y".repeat(52)}@acme.example`],
  ])("fits STS rules with %s", (_case, email) => {
    const identity = sourceIdentityFor({ id: "cm7user00000abcdefghijklm", email });

    expect(identity).toMatch(STS_NAME);
    expect(identity).toMatch(/-[0-9a-f]{8}$/);
  });

  test("keeps two users apart after sanitizing", () => {
    const first = sourceIdentityFor({ id: "u1", email: "jürgen@acme.example" });
    const second = sourceIdentityFor({ id: "u2", email: "jurgen@acme.example" });

    expect(first).not.toBe(second);
  });

  test("keeps two long emails with the same start apart", () => {
    const first = sourceIdentityFor({ id: "u1", email: `${"z".repeat(70)}1@acme.example` });
    const second = sourceIdentityFor({ id: "u2", email: `${"z".repeat(70)}2@acme.example` });

    expect(first).not.toBe(second);
    expect(first.length).toBe(MAX_STS_NAME_LENGTH);
  });

  test("falls back to the user id for a one-character result", () => {
    expect(sourceIdentityFor({ id: "cm7user", email: "用" })).toMatch(/^user-cm7user-[0-9a-f]{8}$/);
  });
});

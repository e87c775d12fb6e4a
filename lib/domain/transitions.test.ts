import { describe, expect, test } from "vitest";

import {
  canTransitionGrant,
  canTransitionRequest,
  decideFromReviews,
  isGrantFinal,
  isRequestFinal,
  type GrantStatus,
  type RequestStatus,
} from "./transitions";

describe("request transitions", () => {
  test.each<[RequestStatus, RequestStatus, boolean]>([
    ["PENDING", "APPROVED", true],
    ["PENDING", "DENIED", true],
    ["PENDING", "CANCELLED", true],
    ["PENDING", "EXPIRED", true],
    ["APPROVED", "DENIED", false],
    ["APPROVED", "CANCELLED", false],
    ["DENIED", "APPROVED", false],
    ["CANCELLED", "PENDING", false],
    ["EXPIRED", "APPROVED", false],
    ["PENDING", "PENDING", false],
  ])("%s -> %s is %s", (from, to, allowed) => {
    expect(canTransitionRequest(from, to)).toBe(allowed);
  });

  test.each<[RequestStatus, boolean]>([
    ["PENDING", false],
    ["APPROVED", true],
    ["DENIED", true],
    ["CANCELLED", true],
    ["EXPIRED", true],
  ])("%s final is %s", (status, final) => {
    expect(isRequestFinal(status)).toBe(final);
  });
});

describe("grant transitions", () => {
  test.each<[GrantStatus, GrantStatus, boolean]>([
    ["SCHEDULED", "ACTIVE", true],
    ["SCHEDULED", "REVOKED", true],
    ["SCHEDULED", "EXPIRED", true],
    ["ACTIVE", "EXPIRED", true],
    ["ACTIVE", "REVOKED", true],
    ["ACTIVE", "SCHEDULED", false],
    ["FAILED", "SCHEDULED", true],
    ["EXPIRED", "ACTIVE", false],
    ["REVOKED", "ACTIVE", false],
    ["EXPIRED", "REVOKED", false],
  ])("%s -> %s is %s", (from, to, allowed) => {
    expect(canTransitionGrant(from, to)).toBe(allowed);
  });

  test.each<[GrantStatus, boolean]>([
    ["SCHEDULED", false],
    ["ACTIVE", false],
    ["FAILED", false],
    ["EXPIRED", true],
    ["REVOKED", true],
  ])("%s final is %s", (status, final) => {
    expect(isGrantFinal(status)).toBe(final);
  });
});

describe("decideFromReviews", () => {
  test.each([
    [{ approvals: 0, denials: 0, requiredApprovals: 1 }, "PENDING"],
    [{ approvals: 1, denials: 0, requiredApprovals: 1 }, "APPROVED"],
    [{ approvals: 1, denials: 0, requiredApprovals: 2 }, "PENDING"],
    [{ approvals: 2, denials: 0, requiredApprovals: 2 }, "APPROVED"],
    [{ approvals: 1, denials: 1, requiredApprovals: 2 }, "DENIED"],
    [{ approvals: 5, denials: 1, requiredApprovals: 1 }, "DENIED"],
    [{ approvals: 1, denials: 0, requiredApprovals: 0 }, "APPROVED"],
    [{ approvals: 0, denials: 0, requiredApprovals: 0 }, "PENDING"],
  ])("%o is %s", (tally, expected) => {
    expect(decideFromReviews(tally)).toBe(expected);
  });
});

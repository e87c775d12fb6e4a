import { describe, expect, test } from "vitest";

import { AppError } from "@/lib/errors";

import { EXTERNAL_ID, NOW, PORTAL_ROLE_ARN, VENDOR_ACCOUNT, hoursFromNow, rdsGrant, s3Grant, trustInput } from "./test-fixtures";
import { collectTrustWindows, renderTrustPolicy } from "./trust-policy";
import type { RoleGrant } from "./types";

const window = (id: string, fromHour: number, toHour: number): RoleGrant =>
  s3Grant({ grantId: id, startsAt: hoursFromNow(fromHour), endsAt: hoursFromNow(toHour) });

const summarize = (windows: ReturnType<typeof collectTrustWindows>) =>
  windows.map((w) => [w.grantIds.join("+"), w.startsAt.toISOString(), w.endsAt.toISOString()]);

describe("collectTrustWindows", () => {
  test.each<[string, RoleGrant[], [string, number, number][]]>([
    ["disjoint stay apart", [window("a", 1, 2), window("b", 3, 4)], [["a", 1, 2], ["b", 3, 4]]],
    ["overlapping merge", [window("a", 1, 3), window("b", 2, 4)], [["a+b", 1, 4]]],
    ["touching merge", [window("a", 1, 2), window("b", 2, 3)], [["a+b", 1, 3]]],
    ["contained merge", [window("a", 1, 5), window("b", 2, 3)], [["a+b", 1, 5]]],
    ["unsorted input", [window("b", 3, 4), window("a", 1, 2)], [["a", 1, 2], ["b", 3, 4]]],
    ["chain merges", [window("a", 1, 2), window("b", 2, 3), window("c", 2.5, 6), window("d", 7, 8)], [["a+b+c", 1, 6], ["d", 7, 8]]],
    ["ended left out", [window("old", -5, 0), window("a", 1, 2)], [["a", 1, 2]]],
    ["running kept", [window("a", -1, 2)], [["a", -1, 2]]],
  ])("%s", (_name, grants, expected) => {
    const windows = collectTrustWindows(grants, { now: NOW });

    expect(summarize(windows)).toEqual(
      expected.map(([ids, from, to]) => [ids, hoursFromNow(from).toISOString(), hoursFromNow(to).toISOString()]),
    );
  });

  test("merging off keeps every window", () => {
    const windows = collectTrustWindows([window("a", 1, 3), window("b", 2, 4)], { now: NOW, mergeWindows: false });

    expect(windows.map((w) => w.grantIds)).toEqual([["a"], ["b"]]);
  });

  test("does not change its input", () => {
    const grants = [window("a", 1, 3), window("b", 2, 4)];
    const before = structuredClone(grants);

    collectTrustWindows(grants, { now: NOW });

    expect(grants).toEqual(before);
  });

  test("rejects an empty window", () => {
    expect(() => collectTrustWindows([window("a", 2, 2)], { now: NOW })).toThrow(AppError);
  });
});

describe("renderTrustPolicy", () => {
  test("portal statement only without vendor account", () => {
    const policy = renderTrustPolicy(trustInput([s3Grant()], { vendorAccountId: null }), { now: NOW });

    expect(policy).toEqual({
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "PortalIssuesSessions",
          Effect: "Allow",
          Principal: { AWS: PORTAL_ROLE_ARN },
          Action: ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"],
        },
      ],
    });
  });

  test("portal statement only without live grants", () => {
    const policy = renderTrustPolicy(trustInput([window("old", -3, -1)]), { now: NOW });

    expect(policy.Statement.map((s) => s.Sid)).toEqual(["PortalIssuesSessions"]);
  });

  test("one vendor window per grant", () => {
    const policy = renderTrustPolicy(trustInput([s3Grant()]), { now: NOW });

    expect(policy.Statement[1]).toEqual({
      Sid: "VendorWindow1",
      Effect: "Allow",
      Principal: { AWS: `arn:aws:iam::${VENDOR_ACCOUNT}:root` },
      Action: "sts:AssumeRole",
      Condition: {
        StringEquals: { "sts:ExternalId": EXTERNAL_ID, "aws:RequestTag/vap-grant": "grantS3" },
        DateGreaterThanEquals: { "aws:CurrentTime": "2026-03-01T09:00:00Z" },
        DateLessThan: { "aws:CurrentTime": "2026-03-01T17:00:00Z" },
      },
    });
    expect(policy.Statement[2]).toEqual({
      Sid: "VendorSessionTags",
      Effect: "Allow",
      Principal: { AWS: `arn:aws:iam::${VENDOR_ACCOUNT}:root` },
      Action: ["sts:TagSession", "sts:SetSourceIdentity"],
      Condition: { "ForAllValues:StringEquals": { "aws:TagKeys": ["vap-grant"] } },
    });
    expect(policy.Statement).toHaveLength(3);
  });

  test("vendor principal in the role's partition", () => {
    const statements = renderTrustPolicy(trustInput([s3Grant()], { partition: "aws-us-gov" }), { now: NOW }).Statement;
    const vendorPrincipals = statements.filter((statement) => statement.Sid !== "PortalIssuesSessions").map((statement) => statement.Principal);

    expect(vendorPrincipals).toEqual([{ AWS: `arn:aws-us-gov:iam::${VENDOR_ACCOUNT}:root` }, { AWS: `arn:aws-us-gov:iam::${VENDOR_ACCOUNT}:root` }]);
  });

  test("merged window lists both grant ids", () => {
    const policy = renderTrustPolicy(trustInput([window("a", 1, 3), rdsGrant({ grantId: "b", startsAt: hoursFromNow(3), endsAt: hoursFromNow(5) })]), {
      now: NOW,
    });
    const vendorWindows = policy.Statement.filter((s) => s.Sid?.startsWith("VendorWindow"));

    expect(vendorWindows).toHaveLength(1);
    expect(vendorWindows[0]!.Condition!.StringEquals!["aws:RequestTag/vap-grant"]).toEqual(["a", "b"]);
    expect(vendorWindows[0]!.Condition!.DateGreaterThanEquals).toEqual({ "aws:CurrentTime": "2026-03-01T09:00:00Z" });
    expect(vendorWindows[0]!.Condition!.DateLessThan).toEqual({ "aws:CurrentTime": "2026-03-01T13:00:00Z" });
  });

  test("unmerged windows get their own statements", () => {
    const policy = renderTrustPolicy(trustInput([window("a", 1, 3), window("b", 2, 4)]), { now: NOW, mergeWindows: false });

    expect(policy.Statement.map((s) => s.Sid)).toEqual(["PortalIssuesSessions", "VendorWindow1", "VendorWindow2", "VendorSessionTags"]);
  });

  test.each([
    ["vendor account id", { vendorAccountId: "12345" }, "must be 12 digits"],
    ["ExternalId characters", { externalId: "has space" }, "ExternalId is invalid"],
    ["ExternalId length", { externalId: "x" }, "ExternalId is invalid"],
    ["portal principal", { portalPrincipalArn: "vendor-access-portal" }, "is not an ARN"],
  ])("rejects invalid %s", (_name, overrides, message) => {
    expect(() => renderTrustPolicy(trustInput([s3Grant()], overrides), { now: NOW })).toThrow(message);
  });

  test("ExternalId unchecked without vendor account", () => {
    expect(() => renderTrustPolicy(trustInput([s3Grant()], { vendorAccountId: null, externalId: "" }), { now: NOW })).not.toThrow();
  });

  test("rejects a grant id with a wildcard", () => {
    expect(() => renderTrustPolicy(trustInput([s3Grant({ grantId: "g*" })]), { now: NOW })).toThrow(AppError);
  });
});

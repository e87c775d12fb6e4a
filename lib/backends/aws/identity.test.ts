import { GetCallerIdentityCommand } from "@aws-sdk/client-sts";
import { mockClient } from "aws-sdk-client-mock";
import { describe, expect, test, vi } from "vitest";

import { AppError } from "@/lib/errors";

import { principalArnOfCaller, resolvePortalPrincipalArn } from "./identity";
import { clientsWithStubbedSts } from "./testing/fixtures";

const env = vi.hoisted(() => ({ LOG_LEVEL: "silent", AWS_PORTAL_PRINCIPAL_ARN: undefined as string | undefined }));
vi.mock("@/lib/env", () => ({ env }));

describe("principalArnOfCaller", () => {
  test.each([
    ["a role session", "arn:aws:sts::111111111111:assumed-role/vendor-access-portal/i-0abc", "arn:aws:iam::111111111111:role/vendor-access-portal"],
    ["a GovCloud role session", "arn:aws-us-gov:sts::111111111111:assumed-role/portal/task", "arn:aws-us-gov:iam::111111111111:role/portal"],
    ["an IAM user", "arn:aws:iam::111111111111:user/ops/portal", "arn:aws:iam::111111111111:user/ops/portal"],
  ])("converts %s", (_case, callerArn, expected) => {
    expect(principalArnOfCaller(callerArn)).toBe(expected);
  });

  test("rejects the root user", () => {
    expect(() => principalArnOfCaller("arn:aws:iam::111111111111:root")).toThrow(AppError);
  });
});

describe("resolvePortalPrincipalArn", () => {
  test("prefers the configured ARN", async () => {
    env.AWS_PORTAL_PRINCIPAL_ARN = "arn:aws:iam::111111111111:role/service/portal";
    const clients = clientsWithStubbedSts();
    const sts = mockClient(clients.sts);

    expect(await resolvePortalPrincipalArn(clients)).toBe("arn:aws:iam::111111111111:role/service/portal");
    expect(sts.calls()).toHaveLength(0);
    env.AWS_PORTAL_PRINCIPAL_ARN = undefined;
  });

  test("asks STS once per set of clients", async () => {
    const clients = clientsWithStubbedSts();
    const sts = mockClient(clients.sts);
    sts.on(GetCallerIdentityCommand).resolves({ Arn: "arn:aws:sts::111111111111:assumed-role/portal/i-0abc" });

    expect(await resolvePortalPrincipalArn(clients)).toBe("arn:aws:iam::111111111111:role/portal");
    expect(await resolvePortalPrincipalArn(clients)).toBe("arn:aws:iam::111111111111:role/portal");
    expect(sts.commandCalls(GetCallerIdentityCommand)).toHaveLength(1);
  });

  test("asks again after a failure", async () => {
    const clients = clientsWithStubbedSts();
    const sts = mockClient(clients.sts);
    const missing = Object.assign(new Error("Region is missing"), { name: "Error" });
    sts.on(GetCallerIdentityCommand).rejectsOnce(missing).resolves({ Arn: "arn:aws:sts::111111111111:assumed-role/portal/i-0abc" });

    const error = await resolvePortalPrincipalArn(clients).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).message).toContain("Set AWS_REGION");
    expect(await resolvePortalPrincipalArn(clients)).toBe("arn:aws:iam::111111111111:role/portal");
  });
});

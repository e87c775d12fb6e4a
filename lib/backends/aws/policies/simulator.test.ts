// Runs the rendered policies through the IAM policy simulator @cloud-copilot/iam-simulate. Each test
// is a request a vendor or the portal makes, with the request context AWS would supply.

import { runSimulation, type EvaluationResult, type Simulation } from "@cloud-copilot/iam-simulate";
import { describe, expect, test } from "vitest";

import { renderPermissionPolicy, renderSessionPolicy } from "./permission-policy";
import {
  BUCKET,
  EXTERNAL_ID,
  KMS_KEY_ARN,
  NOW,
  OTHER_ACCOUNT,
  OTHER_KMS_KEY_ARN,
  PREFIX,
  ROLE_ACCOUNT,
  ROLE_ARN,
  SIBLING_PREFIX,
  VENDOR_ACCOUNT,
  VPC_ENDPOINT_ID,
  hoursFromNow,
  rdsGrant,
  s3Grant,
  trustInput,
} from "./test-fixtures";
import { renderTrustPolicy } from "./trust-policy";
import type { PolicyDocument, RoleGrant } from "./types";

const ALLOWED = "Allowed";
const IMPLICIT_DENY = "ImplicitlyDenied";
const EXPLICIT_DENY = "ExplicitlyDenied";

const VENDOR_USER = `arn:aws:iam::${VENDOR_ACCOUNT}:user/vendor-engineer`;
const OTHER_ACCOUNT_USER = `arn:aws:iam::${OTHER_ACCOUNT}:user/someone`;
const PORTAL_SESSION = `arn:aws:sts::${ROLE_ACCOUNT}:assumed-role/vendor-access-portal/portal-worker`;
const OTHER_ROLE_SESSION = `arn:aws:sts::${ROLE_ACCOUNT}:assumed-role/build-server/ci`;
const VENDOR_ROLE_SESSION = `arn:aws:sts::${ROLE_ACCOUNT}:assumed-role/vap-acme/vendor-engineer`;

/** The caller's own identity policy: it may ask STS for anything. Cross-account calls need it. */
const CALLER_MAY_USE_STS: PolicyDocument = {
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Action: ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"], Resource: "*" }],
};

/** The default KMS key policy, which lets IAM policies of the key's account grant use of the key. */
const KEY_POLICY_DELEGATING_TO_IAM = {
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Principal: { AWS: `arn:aws:iam::${ROLE_ACCOUNT}:root` }, Action: "kms:*", Resource: "*" }],
};

const second = 1000;
const iso = (time: Date) => time.toISOString();

/**
 * Runs one simulation and returns its decision. Fails the test when the simulator rejects the
 * request (a policy it cannot parse is a rendering bug) or drops a context key as not applicable
 * to the action (a test passing such a key would prove nothing).
 */
async function evaluate(simulation: Simulation): Promise<EvaluationResult> {
  const response = await runSimulation(simulation, {});

  if (response.resultType === "error") {
    throw new Error(`The simulator rejected the request for ${simulation.request.action}: ${JSON.stringify(response.errors)}`);
  }

  const results = response.resultType === "single" ? [response.result] : response.results;
  const ignored = results.flatMap((result) => result.ignoredContextKeys ?? []);
  if (ignored.length > 0) {
    throw new Error(`The simulator ignored context keys ${ignored.join(", ")} for ${simulation.request.action}. Pass only keys that apply.`);
  }

  return response.overallResult;
}

// ---------------------------------------------------------------------------------------------
// Trust policy: sts:AssumeRole and the permission-only actions evaluated with it.

type AssumeRoleCall = {
  principal?: string;
  at: Date;
  externalId?: string;
  /** The `vap-grant` session tag; null passes no tags at all. */
  grantTag?: string | null;
  extraTagKeys?: string[];
  sourceIdentity?: string;
};

function trustSimulation(trust: PolicyDocument, action: string, principal: string, context: Record<string, string | string[]>): Simulation {
  return {
    request: { principal, action, resource: { resource: ROLE_ARN, accountId: ROLE_ACCOUNT }, contextVariables: context },
    identityPolicies: [{ name: "caller-may-use-sts", policy: CALLER_MAY_USE_STS }],
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    resourcePolicy: trust,
  };
}

/**
 * Evaluates an AssumeRole API call as STS authorizes it: sts:AssumeRole, plus sts:TagSession when
 * the call passes tags and sts:SetSourceIdentity when it sets a source identity. The call succeeds
 * only if every one of them is allowed.
 */
async function assumeRole(trust: PolicyDocument, call: AssumeRoleCall): Promise<EvaluationResult> {
  const principal = call.principal ?? VENDOR_USER;
  const time = { "aws:CurrentTime": iso(call.at) };
  const grantTag = call.grantTag === undefined ? "grantA" : call.grantTag;
  // The portal tags its sessions with the grant and the user (sts.ts); a vendor passes the grant tag only.
  const tagKeys = [...(principal === PORTAL_SESSION ? ["vap-user"] : []), ...(call.extraTagKeys ?? [])];
  const tags: Record<string, string | string[]> =
    grantTag === null
      ? {}
      : {
          "aws:RequestTag/vap-grant": grantTag,
          "aws:TagKeys": ["vap-grant", ...tagKeys],
          ...Object.fromEntries(tagKeys.map((key) => [`aws:RequestTag/${key}`, key === "vap-user" ? "user-1" : "x"])),
        };
  const externalId: Record<string, string> = call.externalId === undefined ? {} : { "sts:ExternalId": call.externalId };

  const decisions = [await evaluate(trustSimulation(trust, "sts:AssumeRole", principal, { ...time, ...externalId, ...tags }))];
  if (grantTag !== null) {
    decisions.push(await evaluate(trustSimulation(trust, "sts:TagSession", principal, { ...time, ...tags })));
  }
  if (call.sourceIdentity !== undefined) {
    decisions.push(await evaluate(trustSimulation(trust, "sts:SetSourceIdentity", principal, { ...time, "sts:SourceIdentity": call.sourceIdentity })));
  }

  if (decisions.includes(EXPLICIT_DENY)) return EXPLICIT_DENY;

  return decisions.every((decision) => decision === ALLOWED) ? ALLOWED : IMPLICIT_DENY;
}

describe("trust policy in the simulator", () => {
  // grantA runs from hour 1 to hour 9 after NOW, grantB from hour 20 to hour 22.
  const grantA = s3Grant({ grantId: "grantA" });
  const grantB = rdsGrant({ grantId: "grantB", startsAt: hoursFromNow(20), endsAt: hoursFromNow(22) });
  const trust = renderTrustPolicy(trustInput([grantA, grantB]), { now: NOW });
  const inside = hoursFromNow(2);

  test.each<[string, Partial<AssumeRoleCall>, EvaluationResult]>([
    ["inside the window", {}, ALLOWED],
    ["with a source identity", { sourceIdentity: "user-1" }, ALLOWED],
    ["at the exact start", { at: hoursFromNow(1) }, ALLOWED],
    ["one second before the start", { at: new Date(hoursFromNow(1).getTime() - second) }, IMPLICIT_DENY],
    ["one second before the end", { at: new Date(hoursFromNow(9).getTime() - second) }, ALLOWED],
    ["at the exact end", { at: hoursFromNow(9) }, IMPLICIT_DENY],
    ["after the end", { at: hoursFromNow(12) }, IMPLICIT_DENY],
    ["wrong ExternalId", { externalId: "not-the-external-id" }, IMPLICIT_DENY],
    ["missing ExternalId", { externalId: undefined }, IMPLICIT_DENY],
    ["from another account", { principal: OTHER_ACCOUNT_USER }, IMPLICIT_DENY],
    ["tag of a grant in another window", { grantTag: "grantB" }, IMPLICIT_DENY],
    ["tag of an unknown grant", { grantTag: "grantX" }, IMPLICIT_DENY],
    ["without tags", { grantTag: null }, IMPLICIT_DENY],
    ["with an extra tag key", { extraTagKeys: ["team"] }, IMPLICIT_DENY],
    ["with the portal's user tag", { extraTagKeys: ["vap-user"] }, IMPLICIT_DENY],
    ["second grant in its window", { grantTag: "grantB", at: hoursFromNow(21) }, ALLOWED],
  ])("vendor assumes %s", async (_name, overrides, expected) => {
    const call: AssumeRoleCall = { at: inside, externalId: EXTERNAL_ID, ...overrides };

    expect(await assumeRole(trust, call)).toBe(expected);
  });

  test("vendor root principal is trusted", async () => {
    expect(await assumeRole(trust, { principal: `arn:aws:iam::${VENDOR_ACCOUNT}:root`, at: inside, externalId: EXTERNAL_ID })).toBe(ALLOWED);
  });

  test("vendor role session is trusted", async () => {
    const principal = `arn:aws:sts::${VENDOR_ACCOUNT}:assumed-role/ci-deployer/job-42`;

    expect(await assumeRole(trust, { principal, at: inside, externalId: EXTERNAL_ID })).toBe(ALLOWED);
  });

  test("portal assumes at any time", async () => {
    for (const at of [hoursFromNow(-100), inside, hoursFromNow(100)]) {
      expect(await assumeRole(trust, { principal: PORTAL_SESSION, at, sourceIdentity: "user-1" })).toBe(ALLOWED);
    }
  });

  test("other role of the account is denied", async () => {
    expect(await assumeRole(trust, { principal: OTHER_ROLE_SESSION, at: inside, externalId: EXTERNAL_ID })).toBe(IMPLICIT_DENY);
  });

  test("vendor denied without vendor account", async () => {
    const portalOnly = renderTrustPolicy(trustInput([grantA], { vendorAccountId: null }), { now: NOW });

    expect(await assumeRole(portalOnly, { at: inside, externalId: EXTERNAL_ID })).toBe(IMPLICIT_DENY);
    expect(await assumeRole(portalOnly, { principal: PORTAL_SESSION, at: inside })).toBe(ALLOWED);
  });

  test("ended grant is not trusted", async () => {
    const later = renderTrustPolicy(trustInput([grantA, grantB]), { now: hoursFromNow(9) });

    expect(later.Statement.filter((statement) => statement.Sid?.startsWith("VendorWindow"))).toHaveLength(1);
    expect(await assumeRole(later, { at: hoursFromNow(8), externalId: EXTERNAL_ID })).toBe(IMPLICIT_DENY);
    expect(await assumeRole(later, { grantTag: "grantB", at: hoursFromNow(21), externalId: EXTERNAL_ID })).toBe(ALLOWED);
  });
});

describe("merged trust windows in the simulator", () => {
  // a [1,3) and b [2,5) overlap, c [5,6) touches b: they merge into [1,6). d [8,9) stays apart.
  const grants = [
    rdsGrant({ grantId: "a", startsAt: hoursFromNow(1), endsAt: hoursFromNow(3) }),
    rdsGrant({ grantId: "b", startsAt: hoursFromNow(2), endsAt: hoursFromNow(5) }),
    rdsGrant({ grantId: "c", startsAt: hoursFromNow(5), endsAt: hoursFromNow(6) }),
    rdsGrant({ grantId: "d", startsAt: hoursFromNow(8), endsAt: hoursFromNow(9) }),
  ];
  const merged = renderTrustPolicy(trustInput(grants), { now: NOW });
  const unmerged = renderTrustPolicy(trustInput(grants), { now: NOW, mergeWindows: false });

  test("merging leaves two windows", () => {
    expect(merged.Statement.filter((statement) => statement.Sid?.startsWith("VendorWindow"))).toHaveLength(2);
    expect(unmerged.Statement.filter((statement) => statement.Sid?.startsWith("VendorWindow"))).toHaveLength(4);
  });

  test.each([
    ["a", 1.5],
    ["b", 4],
    ["c", 5.5],
    ["d", 8.5],
  ])("grant %s allowed inside its window", async (grantTag, hour) => {
    for (const trust of [merged, unmerged]) {
      expect(await assumeRole(trust, { grantTag, at: hoursFromNow(hour), externalId: EXTERNAL_ID })).toBe(ALLOWED);
    }
  });

  test.each([
    ["before every window", 0.5],
    ["at the merged end", 6],
    ["in the gap", 7],
    ["at the last end", 9],
    ["after every window", 10],
  ])("every grant denied %s", async (_name, hour) => {
    for (const trust of [merged, unmerged]) {
      for (const grantTag of ["a", "b", "c", "d"]) {
        expect(await assumeRole(trust, { grantTag, at: hoursFromNow(hour), externalId: EXTERNAL_ID })).toBe(IMPLICIT_DENY);
      }
    }
  });

  test("merged window trusts an ended grant's tag", async () => {
    // a ended at hour 3, but the merged window runs to hour 6. The session is issued, and a's own
    // permission statements then allow it nothing (see the RDS tests below for the window check).
    expect(await assumeRole(merged, { grantTag: "a", at: hoursFromNow(4), externalId: EXTERNAL_ID })).toBe(ALLOWED);
    expect(await assumeRole(unmerged, { grantTag: "a", at: hoursFromNow(4), externalId: EXTERNAL_ID })).toBe(IMPLICIT_DENY);

    const permission = renderPermissionPolicy(grants, { now: NOW });
    expect(await connect(permission, { grantTag: "a", at: hoursFromNow(4) })).toBe(IMPLICIT_DENY);
    expect(await connect(permission, { grantTag: "b", at: hoursFromNow(4) })).toBe(ALLOWED);
  });
});

// ---------------------------------------------------------------------------------------------
// Permission policy: requests made with a session of the vendor role.

type SessionRequest = {
  /** The session's `vap-grant` tag; null for a session without one. */
  grantTag: string | null;
  at: Date;
  sourceVpce?: string;
  sessionPolicy?: PolicyDocument;
};

function sessionSimulation(
  permission: PolicyDocument,
  request: SessionRequest,
  action: string,
  resource: string,
  context: Record<string, string | string[]>,
  resourcePolicy?: unknown,
): Simulation {
  const sessionContext: Record<string, string> = { "aws:CurrentTime": iso(request.at) };
  if (request.grantTag !== null) sessionContext["aws:PrincipalTag/vap-grant"] = request.grantTag;
  if (request.sourceVpce !== undefined) sessionContext["aws:SourceVpce"] = request.sourceVpce;

  return {
    request: {
      principal: VENDOR_ROLE_SESSION,
      action,
      resource: { resource, accountId: ROLE_ACCOUNT },
      contextVariables: { ...sessionContext, ...context },
    },
    identityPolicies: [{ name: "vendor-access", policy: permission }],
    sessionPolicy: request.sessionPolicy,
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    resourcePolicy,
  };
}

type PutHeaders = { sse?: string; kmsKeyId?: string };

function getObject(permission: PolicyDocument, request: SessionRequest, key: string, bucket = BUCKET) {
  return evaluate(sessionSimulation(permission, request, "s3:GetObject", `arn:aws:s3:::${bucket}/${key}`, {}));
}

function putObject(permission: PolicyDocument, request: SessionRequest, key: string, headers: PutHeaders) {
  const context: Record<string, string> = {};
  if (headers.sse !== undefined) context["s3:x-amz-server-side-encryption"] = headers.sse;
  if (headers.kmsKeyId !== undefined) context["s3:x-amz-server-side-encryption-aws-kms-key-id"] = headers.kmsKeyId;

  return evaluate(sessionSimulation(permission, request, "s3:PutObject", `arn:aws:s3:::${BUCKET}/${key}`, context));
}

function listBucket(permission: PolicyDocument, request: SessionRequest, prefix: string | undefined) {
  const context: Record<string, string> = prefix === undefined ? {} : { "s3:prefix": prefix };

  return evaluate(sessionSimulation(permission, request, "s3:ListBucket", `arn:aws:s3:::${BUCKET}`, context));
}

function useKey(permission: PolicyDocument, request: SessionRequest, action: string, keyArn: string, viaService?: string) {
  const context: Record<string, string> = viaService === undefined ? {} : { "kms:ViaService": viaService };

  return evaluate(sessionSimulation(permission, request, action, keyArn, context, KEY_POLICY_DELEGATING_TO_IAM));
}

function connect(
  permission: PolicyDocument,
  request: SessionRequest,
  target: { region?: string; resourceId?: string; dbUser?: string } = {},
) {
  const arn = `arn:aws:rds-db:${target.region ?? "eu-west-1"}:${ROLE_ACCOUNT}:dbuser:${target.resourceId ?? "prx-0123abcd"}/${target.dbUser ?? "vendor_ro"}`;

  return evaluate(sessionSimulation(permission, request, "rds-db:connect", arn, {}));
}

const AES = { sse: "AES256" };
const KMS = { sse: "aws:kms", kmsKeyId: KMS_KEY_ARN };

describe("China partition in the simulator", () => {
  const cnRoleArn = `arn:aws-cn:iam::${ROLE_ACCOUNT}:role/vendor-access/vap-acme`;
  const cnSession = `arn:aws-cn:sts::${ROLE_ACCOUNT}:assumed-role/vap-acme/vendor-engineer`;
  const grant = s3Grant({ grantId: "grantCn", partition: "aws-cn" });
  const permission = renderPermissionPolicy([grant], { now: NOW });
  const trust = renderTrustPolicy(trustInput([grant], { partition: "aws-cn" }), { now: NOW });

  function cnGetObject(objectArn: string) {
    return evaluate({
      request: {
        principal: cnSession,
        action: "s3:GetObject",
        resource: { resource: objectArn, accountId: ROLE_ACCOUNT },
        contextVariables: { "aws:CurrentTime": iso(hoursFromNow(2)), "aws:PrincipalTag/vap-grant": "grantCn" },
      },
      identityPolicies: [{ name: "vendor-access", policy: permission }],
      serviceControlPolicies: [],
      resourceControlPolicies: [],
    });
  }

  test("gets objects in its partition", async () => {
    expect(await cnGetObject(`arn:aws-cn:s3:::${BUCKET}/${PREFIX}report.csv`)).toBe(ALLOWED);
  });

  test("allows nothing in the aws partition", async () => {
    expect(await cnGetObject(`arn:aws:s3:::${BUCKET}/${PREFIX}report.csv`)).toBe(IMPLICIT_DENY);
  });

  test("trusts the vendor account in its partition", async () => {
    const context = {
      "aws:CurrentTime": iso(hoursFromNow(2)),
      "sts:ExternalId": EXTERNAL_ID,
      "aws:RequestTag/vap-grant": "grantCn",
      "aws:TagKeys": ["vap-grant"],
    };
    const simulation = (principal: string) => ({
      request: { principal, action: "sts:AssumeRole", resource: { resource: cnRoleArn, accountId: ROLE_ACCOUNT }, contextVariables: context },
      identityPolicies: [{ name: "caller-may-use-sts", policy: CALLER_MAY_USE_STS }],
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      resourcePolicy: trust,
    });

    // The simulator matches an account's root principal by account id alone, so the partition of
    // the principal ARN is checked in trust-policy.test.ts instead.
    expect(await evaluate(simulation(`arn:aws-cn:iam::${VENDOR_ACCOUNT}:user/engineer`))).toBe(ALLOWED);
  });
});

describe("S3 read grant in the simulator", () => {
  const permission = renderPermissionPolicy([s3Grant({ grantId: "grantR" })], { now: NOW });
  const session: SessionRequest = { grantTag: "grantR", at: hoursFromNow(2) };

  test("gets objects under the prefix", async () => {
    expect(await getObject(permission, session, `${PREFIX}report.csv`)).toBe(ALLOWED);
    expect(await getObject(permission, session, `${PREFIX}2026/03/report.csv`)).toBe(ALLOWED);
  });

  test("cannot put", async () => {
    expect(await putObject(permission, session, `${PREFIX}report.csv`, AES)).toBe(IMPLICIT_DENY);
  });

  test.each([
    ["sibling prefix", `${SIBLING_PREFIX}report.csv`],
    ["object named like the folder", "vendor-uploads/acme"],
    ["parent folder", "vendor-uploads/report.csv"],
  ])("cannot get from %s", async (_name, key) => {
    expect(await getObject(permission, session, key)).toBe(IMPLICIT_DENY);
  });

  test("cannot get from another bucket", async () => {
    expect(await getObject(permission, session, `${PREFIX}report.csv`, "other-bucket")).toBe(IMPLICIT_DENY);
  });

  test.each<[string, string | undefined, EvaluationResult]>([
    ["the prefix", PREFIX, ALLOWED],
    ["a folder under the prefix", `${PREFIX}2026/`, ALLOWED],
    ["the prefix without its /", "vendor-uploads/acme", IMPLICIT_DENY],
    ["the sibling prefix", SIBLING_PREFIX, IMPLICIT_DENY],
    ["the parent folder", "vendor-uploads/", IMPLICIT_DENY],
    ["no prefix", undefined, IMPLICIT_DENY],
  ])("lists %s", async (_name, prefix, expected) => {
    expect(await listBucket(permission, session, prefix)).toBe(expected);
  });

  test.each<[string, Partial<SessionRequest>, EvaluationResult]>([
    ["at the exact start", { at: hoursFromNow(1) }, ALLOWED],
    ["one second before the start", { at: new Date(hoursFromNow(1).getTime() - second) }, IMPLICIT_DENY],
    ["at the exact end", { at: hoursFromNow(9) }, IMPLICIT_DENY],
    ["after the end", { at: hoursFromNow(30) }, IMPLICIT_DENY],
    ["with another grant's tag", { grantTag: "grantOther" }, IMPLICIT_DENY],
    ["without a grant tag", { grantTag: null }, IMPLICIT_DENY],
  ])("session %s", async (_name, overrides, expected) => {
    const request = { ...session, ...overrides };

    expect(await getObject(permission, request, `${PREFIX}report.csv`)).toBe(expected);
    expect(await listBucket(permission, request, PREFIX)).toBe(expected);
  });
});

describe("S3 upload grant in the simulator", () => {
  const permission = renderPermissionPolicy([s3Grant({ grantId: "grantU", level: "upload" })], { now: NOW });
  const session: SessionRequest = { grantTag: "grantU", at: hoursFromNow(2) };

  test("puts with SSE-S3", async () => {
    expect(await putObject(permission, session, `${PREFIX}upload.csv`, AES)).toBe(ALLOWED);
  });

  test("cannot get", async () => {
    expect(await getObject(permission, session, `${PREFIX}upload.csv`)).toBe(IMPLICIT_DENY);
  });

  test.each<[string, PutHeaders]>([
    ["without encryption header", {}],
    ["with aws:kms", KMS],
    ["with an unknown algorithm", { sse: "aws:kms:dsse" }],
  ])("put denied %s", async (_name, headers) => {
    expect(await putObject(permission, session, `${PREFIX}upload.csv`, headers)).toBe(EXPLICIT_DENY);
  });

  test("put denied under sibling prefix", async () => {
    expect(await putObject(permission, session, `${SIBLING_PREFIX}upload.csv`, AES)).toBe(IMPLICIT_DENY);
  });

  test("put denied after the end", async () => {
    expect(await putObject(permission, { ...session, at: hoursFromNow(9) }, `${PREFIX}upload.csv`, AES)).toBe(IMPLICIT_DENY);
  });
});

describe("S3 grant with SSE-KMS in the simulator", () => {
  const encryption = { type: "aws:kms", kmsKeyArn: KMS_KEY_ARN } as const;
  const grant = s3Grant({ grantId: "grantK", level: "read-write", encryption });
  const permission = renderPermissionPolicy([grant], { now: NOW });
  const session: SessionRequest = { grantTag: "grantK", at: hoursFromNow(2) };
  const viaS3 = "s3.eu-west-1.amazonaws.com";

  test("puts with the configured key", async () => {
    expect(await putObject(permission, session, `${PREFIX}upload.csv`, KMS)).toBe(ALLOWED);
  });

  test("gets objects", async () => {
    expect(await getObject(permission, session, `${PREFIX}upload.csv`)).toBe(ALLOWED);
  });

  test.each<[string, PutHeaders]>([
    ["with another key", { sse: "aws:kms", kmsKeyId: OTHER_KMS_KEY_ARN }],
    ["without a key id", { sse: "aws:kms" }],
    ["with SSE-S3", AES],
    ["without encryption header", {}],
  ])("put denied %s", async (_name, headers) => {
    expect(await putObject(permission, session, `${PREFIX}upload.csv`, headers)).toBe(EXPLICIT_DENY);
  });

  test.each<[string, string, string, string | undefined, Partial<SessionRequest>, EvaluationResult]>([
    ["data key through S3", "kms:GenerateDataKey", KMS_KEY_ARN, viaS3, {}, ALLOWED],
    ["decrypt through S3", "kms:Decrypt", KMS_KEY_ARN, viaS3, {}, ALLOWED],
    ["data key called directly", "kms:GenerateDataKey", KMS_KEY_ARN, undefined, {}, IMPLICIT_DENY],
    ["data key through another service", "kms:GenerateDataKey", KMS_KEY_ARN, "ec2.eu-west-1.amazonaws.com", {}, IMPLICIT_DENY],
    ["data key through S3 in another region", "kms:GenerateDataKey", KMS_KEY_ARN, "s3.us-east-1.amazonaws.com", {}, IMPLICIT_DENY],
    ["another key", "kms:GenerateDataKey", OTHER_KMS_KEY_ARN, viaS3, {}, IMPLICIT_DENY],
    ["after the end", "kms:Decrypt", KMS_KEY_ARN, viaS3, { at: hoursFromNow(9) }, IMPLICIT_DENY],
    ["with another grant's tag", "kms:Decrypt", KMS_KEY_ARN, viaS3, { grantTag: "grantOther" }, IMPLICIT_DENY],
  ])("KMS %s", async (_name, action, keyArn, viaService, overrides, expected) => {
    expect(await useKey(permission, { ...session, ...overrides }, action, keyArn, viaService)).toBe(expected);
  });

  test("read grant cannot make data keys", async () => {
    const readOnly = renderPermissionPolicy([s3Grant({ grantId: "grantK", level: "read", encryption })], { now: NOW });

    expect(await useKey(readOnly, session, "kms:Decrypt", KMS_KEY_ARN, viaS3)).toBe(ALLOWED);
    expect(await useKey(readOnly, session, "kms:GenerateDataKey", KMS_KEY_ARN, viaS3)).toBe(IMPLICIT_DENY);
  });
});

describe("S3 grant with VPC endpoint in the simulator", () => {
  const grant = s3Grant({ grantId: "grantV", level: "read-write", requiredVpcEndpointId: VPC_ENDPOINT_ID });
  const permission = renderPermissionPolicy([grant], { now: NOW });
  const session: SessionRequest = { grantTag: "grantV", at: hoursFromNow(2) };

  test.each<[string, string | undefined, EvaluationResult]>([
    ["through the endpoint", VPC_ENDPOINT_ID, ALLOWED],
    ["through another endpoint", "vpce-0fffffffffffffff0", IMPLICIT_DENY],
    ["from the internet", undefined, IMPLICIT_DENY],
  ])("requests %s", async (_name, sourceVpce, expected) => {
    const request = { ...session, sourceVpce };

    expect(await getObject(permission, request, `${PREFIX}report.csv`)).toBe(expected);
    expect(await putObject(permission, request, `${PREFIX}upload.csv`, AES)).toBe(expected);
    expect(await listBucket(permission, request, PREFIX)).toBe(expected);
  });
});

describe("RDS grant in the simulator", () => {
  const permission = renderPermissionPolicy([rdsGrant({ grantId: "grantD" })], { now: NOW });
  const session: SessionRequest = { grantTag: "grantD", at: hoursFromNow(2) };

  test("connects as the granted user", async () => {
    expect(await connect(permission, session)).toBe(ALLOWED);
  });

  test.each([
    ["another db user", { dbUser: "admin" }],
    ["a user sharing the name's start", { dbUser: "vendor_ro2" }],
    ["another resource id", { resourceId: "prx-9999ffff" }],
    ["another region", { region: "us-east-1" }],
  ])("cannot connect as %s", async (_name, target) => {
    expect(await connect(permission, session, target)).toBe(IMPLICIT_DENY);
  });

  test.each<[string, Partial<SessionRequest>]>([
    ["before the start", { at: hoursFromNow(0.5) }],
    ["at the exact end", { at: hoursFromNow(9) }],
    ["with another grant's tag", { grantTag: "grantOther" }],
    ["without a grant tag", { grantTag: null }],
  ])("cannot connect %s", async (_name, overrides) => {
    expect(await connect(permission, { ...session, ...overrides })).toBe(IMPLICIT_DENY);
  });
});

describe("revocation in the simulator", () => {
  // Two grants of the same vendor on the same prefix, both live at hour 2.
  const grantA = s3Grant({ grantId: "grantA", level: "upload" });
  const grantB = s3Grant({ grantId: "grantB", level: "read-write", startsAt: hoursFromNow(0.5), endsAt: hoursFromNow(12) });
  const sessionA: SessionRequest = { grantTag: "grantA", at: hoursFromNow(2) };
  const sessionB: SessionRequest = { grantTag: "grantB", at: hoursFromNow(2) };
  const key = `${PREFIX}upload.csv`;

  test("both grants work before revocation", async () => {
    const permission = renderPermissionPolicy([grantA, grantB], { now: NOW });

    expect(await putObject(permission, sessionA, key, AES)).toBe(ALLOWED);
    expect(await putObject(permission, sessionB, key, AES)).toBe(ALLOWED);
  });

  test("removed statements cut off the revoked grant", async () => {
    const permission = renderPermissionPolicy([grantB], { now: NOW });

    expect(await putObject(permission, sessionA, key, AES)).toBe(IMPLICIT_DENY);
    expect(await putObject(permission, sessionB, key, AES)).toBe(ALLOWED);
    expect(await getObject(permission, sessionB, key)).toBe(ALLOWED);
  });

  test("explicit deny cuts off the revoked grant", async () => {
    const permission = renderPermissionPolicy([grantB], { now: NOW, revokedGrants: [{ grantId: "grantA", revokedAt: NOW }] });

    expect(await putObject(permission, sessionA, key, AES)).toBe(EXPLICIT_DENY);
    expect(await listBucket(permission, sessionA, PREFIX)).toBe(EXPLICIT_DENY);
    expect(await putObject(permission, sessionB, key, AES)).toBe(ALLOWED);
    expect(await listBucket(permission, sessionB, PREFIX)).toBe(ALLOWED);
  });

  test("explicit deny wins over live statements", async () => {
    const permission = renderPermissionPolicy([grantA, grantB], { now: NOW, revokedGrants: [{ grantId: "grantA", revokedAt: NOW }] });

    expect(await putObject(permission, sessionA, key, AES)).toBe(EXPLICIT_DENY);
    expect(await putObject(permission, sessionB, key, AES)).toBe(ALLOWED);
  });

  test("other grant keeps its encryption denies", async () => {
    const permission = renderPermissionPolicy([grantB], { now: NOW, revokedGrants: [{ grantId: "grantA", revokedAt: NOW }] });

    expect(await putObject(permission, sessionB, key, {})).toBe(EXPLICIT_DENY);
  });

  test("trust no longer accepts the revoked grant's tag", async () => {
    const trust = renderTrustPolicy(trustInput([grantB]), { now: NOW });

    expect(await assumeRole(trust, { grantTag: "grantA", at: hoursFromNow(2), externalId: EXTERNAL_ID })).toBe(IMPLICIT_DENY);
    expect(await assumeRole(trust, { grantTag: "grantB", at: hoursFromNow(2), externalId: EXTERNAL_ID })).toBe(ALLOWED);
  });
});

describe("session policy in the simulator", () => {
  const upload = s3Grant({ grantId: "grantU", level: "upload", encryption: { type: "aws:kms", kmsKeyArn: KMS_KEY_ARN } });
  const database = rdsGrant({ grantId: "grantD" });
  const permission = renderPermissionPolicy([upload, database], { now: NOW });
  const uploadSession: SessionRequest = { grantTag: "grantU", at: hoursFromNow(2), sessionPolicy: renderSessionPolicy(upload) };

  test("keeps the grant's own access", async () => {
    expect(await putObject(permission, uploadSession, `${PREFIX}upload.csv`, KMS)).toBe(ALLOWED);
    expect(await listBucket(permission, uploadSession, PREFIX)).toBe(ALLOWED);
    expect(await useKey(permission, uploadSession, "kms:GenerateDataKey", KMS_KEY_ARN, "s3.eu-west-1.amazonaws.com")).toBe(ALLOWED);
  });

  test("keeps the role's encryption denies", async () => {
    expect(await putObject(permission, uploadSession, `${PREFIX}upload.csv`, AES)).toBe(EXPLICIT_DENY);
  });

  test("denies outside the grant window", async () => {
    expect(await putObject(permission, { ...uploadSession, at: hoursFromNow(9) }, `${PREFIX}upload.csv`, KMS)).toBe(IMPLICIT_DENY);
  });

  test("denies another grant's resources", async () => {
    // A session wrongly tagged with the database grant is still held to the upload grant's session policy.
    const mistagged = { ...uploadSession, grantTag: "grantD" };

    expect(await connect(permission, mistagged)).toBe(IMPLICIT_DENY);
    expect(await connect(permission, { ...mistagged, sessionPolicy: undefined })).toBe(ALLOWED);
  });

  test("database session connects", async () => {
    const session: SessionRequest = { grantTag: "grantD", at: hoursFromNow(2), sessionPolicy: renderSessionPolicy(database) };

    expect(await connect(permission, session)).toBe(ALLOWED);
    expect(await connect(permission, session, { dbUser: "admin" })).toBe(IMPLICIT_DENY);
  });
});

// ---------------------------------------------------------------------------------------------
// Policy syntax: the simulator validates every policy it is given before it evaluates a request.

describe("simulator validation of rendered policies", () => {
  const grants: RoleGrant[] = [
    s3Grant({ grantId: "read-1" }),
    s3Grant({ grantId: "upload-1", level: "upload", requiredVpcEndpointId: VPC_ENDPOINT_ID, startsAt: hoursFromNow(20), endsAt: hoursFromNow(30) }),
    s3Grant({ grantId: "kms-1", level: "read-write", encryption: { type: "aws:kms", kmsKeyArn: KMS_KEY_ARN } }),
    rdsGrant({ grantId: "rds-1", startsAt: hoursFromNow(40), endsAt: hoursFromNow(41) }),
  ];
  const trust = renderTrustPolicy(trustInput(grants), { now: NOW });
  const permission = renderPermissionPolicy(grants, { now: NOW, revokedGrants: [{ grantId: "revoked-1", revokedAt: NOW }] });
  const sessions = grants.map((grant) => renderSessionPolicy(grant));

  test("accepts the trust policy", async () => {
    const response = await runSimulation(trustSimulation(trust, "sts:AssumeRole", VENDOR_USER, {}), {});

    expect(response.resultType).not.toBe("error");
  });

  test("accepts the permission and session policies", async () => {
    for (const sessionPolicy of sessions) {
      const simulation = sessionSimulation(permission, { grantTag: "read-1", at: hoursFromNow(2), sessionPolicy }, "s3:GetObject", `arn:aws:s3:::${BUCKET}/${PREFIX}x`, {});
      const response = await runSimulation(simulation, {});

      expect(response.resultType).not.toBe("error");
    }
  });

  test("rejects a malformed policy", async () => {
    // Shows that the checks above can fail: the simulator returns an error for a malformed policy.
    const malformed = { ...permission, Statement: [{ ...permission.Statement[0]!, Effect: "allow" }] };
    const simulation = sessionSimulation(malformed as PolicyDocument, { grantTag: "read-1", at: hoursFromNow(2) }, "s3:GetObject", `arn:aws:s3:::${BUCKET}/${PREFIX}x`, {});

    expect((await runSimulation(simulation, {})).resultType).toBe("error");
  });

  // The simulator's validation checks structure and types only: in @cloud-copilot/iam-simulate
  // 0.1.173 it accepts unknown condition operators, unknown actions and non-date values in date
  // conditions (the request is then simply not allowed). These checks cover what it does not.
  const KNOWN_OPERATORS = new Set([
    "StringEquals",
    "StringNotEquals",
    "StringLike",
    "Null",
    "DateGreaterThanEquals",
    "DateLessThan",
    "ForAllValues:StringEquals",
  ]);
  const KNOWN_ACTIONS = new Set([
    "sts:AssumeRole",
    "sts:TagSession",
    "sts:SetSourceIdentity",
    "s3:ListBucket",
    "s3:GetObject",
    "s3:PutObject",
    "kms:GenerateDataKey",
    "kms:Decrypt",
    "rds-db:connect",
    "*",
  ]);
  const IAM_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;
  const all = [trust, permission, ...sessions];

  test("uses only known operators and actions", () => {
    for (const policy of all) {
      for (const statement of policy.Statement) {
        for (const operator of Object.keys(statement.Condition ?? {})) expect(KNOWN_OPERATORS).toContain(operator);
        for (const action of [statement.Action].flat()) expect(KNOWN_ACTIONS).toContain(action);
      }
    }
  });

  test("date values are ISO 8601 UTC", () => {
    for (const policy of all) {
      for (const statement of policy.Statement) {
        for (const [operator, entries] of Object.entries(statement.Condition ?? {})) {
          if (!operator.startsWith("Date")) continue;
          for (const value of Object.values(entries)) expect(value).toMatch(IAM_TIME);
        }
      }
    }
  });

  test("Sids are alphanumeric and unique", () => {
    for (const policy of all) {
      const sids = policy.Statement.map((statement) => statement.Sid);

      for (const sid of sids) expect(sid).toMatch(/^[A-Za-z0-9]+$/);
      expect(new Set(sids).size).toBe(sids.length);
    }
  });
});

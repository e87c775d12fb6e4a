// The grant routes for AWS resources, called the way a vendor's script calls them: with a real API
// token, against PostgreSQL, with grants activated through the lifecycle on the fake IAM and
// AssumeRole stubbed. Every pino line the routes write is captured and searched for the secrets
// they handed out.
import { randomBytes } from "node:crypto";

import { AssumeRoleCommand, GetCallerIdentityCommand, STSServiceException, type AssumeRoleCommandInput } from "@aws-sdk/client-sts";
import { mockClient } from "aws-sdk-client-mock";
import { NextRequest } from "next/server";
import type { LoggerOptions } from "pino";
import { afterAll, beforeAll, beforeEach, describe, expect, test, vi } from "vitest";

import type { Actor } from "@/lib/auth/session";
import type { AwsClients } from "@/lib/backends/aws/clients";
import { renderSessionPolicy } from "@/lib/backends/aws/policies";
import { parseAwsResourceConfig, toRoleGrant } from "@/lib/backends/aws/role";
import { FakeIam } from "@/lib/backends/aws/testing/fake-iam";
import { ACCOUNT_ID, clientsWithFakeIam, RDS_CONFIG, S3_CONFIG, VENDOR_ACCOUNT_ID } from "@/lib/backends/aws/testing/fixtures";
import { applyPortalConfig } from "@/lib/config/apply";
import { db } from "@/lib/db";
import type { IssuanceKind } from "@/lib/generated/prisma/enums";
import { activateGrant, expireGrant } from "@/lib/grants/lifecycle";
import { stopBoss } from "@/lib/jobs/queue";
import { createApiToken, revokeApiToken } from "@/lib/tokens/service";

import { GET as getCredentials } from "./[id]/credentials/route";
import { POST as postPresign } from "./[id]/presign/route";
import { GET as getRdsToken } from "./[id]/rds-token/route";

const shared = vi.hoisted(() => {
  // The integration setup silences logs, but this file reads them, so lib/log.ts must log at debug.
  process.env.LOG_LEVEL = "debug";

  return { clients: undefined as AwsClients | undefined, logLines: [] as string[] };
});

// Route handlers reach AWS through the process-wide clients, which here are the fake IAM and a stubbed STS.
vi.mock("@/lib/backends/aws/clients", async (importOriginal) => {
  const actual = await importOriginal<typeof import("@/lib/backends/aws/clients")>();

  return { ...actual, getAwsClients: () => shared.clients };
});

// lib/log.ts keeps its own level and redact list. Only its destination becomes an in-memory list.
vi.mock("pino", async (importOriginal) => {
  const actual = await importOriginal<typeof import("pino")>();
  const capture = { write: (line: string) => void shared.logLines.push(line) };
  const capturing = (options: LoggerOptions = {}) => actual.default(options, capture);

  return { ...actual, default: Object.assign(capturing, actual.default) };
});

// Without a bearer token, withRoute falls back to the browser session. Outside a Next.js request
// there are no cookies to read, so the session lookup returns "no session".
vi.mock("next-auth", async (importOriginal) => ({
  ...(await importOriginal<typeof import("next-auth")>()),
  getServerSession: async () => null,
}));

const suffix = randomBytes(4).toString("hex");
const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const BASE_URL = "http://127.0.0.1:3000/api/v1/grants";
/** A long address, so the RoleSessionName `vap-<grantId>-<email>` must be cut to 64 characters. */
const HOLDER_EMAIL = `alex.morgan+vendor-access-${suffix}@acme-logistics.example`;
const VENDOR_SLUG = `acme-${suffix}`;
const OTHER_VENDOR_SLUG = `globex-${suffix}`;
const ROLE_NAME = `vap-${VENDOR_SLUG}`;
const ROLE_ARN = `arn:aws:iam::${ACCOUNT_ID}:role/vendor-access/${ROLE_NAME}`;
const STS_NAME = /^[\w+=,.@-]{2,64}$/;

/** Every secret the routes or the test created. None of them may appear in a log line. */
const secrets = new Set<string>();
const sts = { mock: undefined as unknown as ReturnType<typeof mockClient> };

let holder: Actor;
let colleague: Actor;
let outsider: Actor;
let holderToken: string;
let colleagueToken: string;
let outsiderToken: string;
let s3Resource: { id: string; config: unknown };
let rdsResource: { id: string; config: unknown };

type Grant = Awaited<ReturnType<typeof db.grant.findUniqueOrThrow>>;
type ErrorBody = { error: { code: string; message: string; fieldErrors?: Record<string, string[]> } };
type PresignBody = { method: string; url: string; headers: Record<string, string>; key: string; expiresAt: string };
type RdsTokenBody = { token: string; expiresAt: string; usableUntil: string; host: string; port: number; database: string; user: string };

/**
 * Delay in milliseconds between the portal reading its clock and STS handling AssumeRole, for
 * network latency plus clock skew. One second is more than a typical call takes (an estimate), and
 * it makes STS expire every session sized to the grant end after that end.
 */
const STS_DELAY_MS = 1000;

/** Builds the AssumeRole response STS would return: fresh credentials that expire DurationSeconds after STS handled the call. */
function assumeRoleResponse(input: AssumeRoleCommandInput) {
  const accessKeyId = `ASIA${randomBytes(8).toString("hex").toUpperCase()}`;
  const secretAccessKey = randomBytes(30).toString("base64");
  const sessionToken = `IQoJb3JpZ2luX2Vj${randomBytes(96).toString("base64")}`;
  for (const secret of [accessKeyId, secretAccessKey, sessionToken]) secrets.add(secret);

  return {
    Credentials: {
      AccessKeyId: accessKeyId,
      SecretAccessKey: secretAccessKey,
      SessionToken: sessionToken,
      Expiration: new Date(Date.now() + STS_DELAY_MS + (input.DurationSeconds ?? 3600) * SECOND),
    },
    AssumedRoleUser: { Arn: `arn:aws:sts::${ACCOUNT_ID}:assumed-role/${ROLE_NAME}/${input.RoleSessionName}`, AssumedRoleId: "AROATESTTEST:session" },
  };
}

function assumeRoleCalls(): AssumeRoleCommandInput[] {
  return sts.mock.commandCalls(AssumeRoleCommand).map((call) => call.args[0].input);
}

/** Returns the credentials of the only AssumeRole call since the last reset, as the stub returned them. */
async function lastIssuedCredentials() {
  const results = sts.mock.commandCalls(AssumeRoleCommand);
  expect(results).toHaveLength(1);
  const output = (await results[0]!.returnValue) as ReturnType<typeof assumeRoleResponse>;

  return output.Credentials;
}

/**
 * Computes the expiration the portal reports: STS's, or the grant end when that is earlier, because
 * STS starts counting DurationSeconds a little after the portal computed it.
 */
function reportedExpiration(issued: { Expiration: Date }, grant: Grant): Date {
  return new Date(Math.min(issued.Expiration.getTime(), grant.endsAt.getTime()));
}

async function actorOf(email: string): Promise<Actor> {
  const user = await db.user.findUniqueOrThrow({ where: { email }, include: { vendor: true } });

  return { id: user.id, email: user.email, name: user.name, role: user.role, vendorId: user.vendorId, vendorName: user.vendor?.name ?? null };
}

async function newToken(actor: Actor, now?: Date): Promise<string> {
  const { token } = await createApiToken(actor, { name: `routes test ${randomBytes(3).toString("hex")}`, expiresInDays: 1 }, now);
  secrets.add(token);

  return token;
}

/**
 * Creates an approved request and its grant for the holder, then activates the grant through the
 * lifecycle, which writes the vendor role on the fake IAM.
 */
async function createActiveGrant(options: { kind?: "S3_PREFIX" | "RDS_IAM"; level?: string; endsAt: Date }): Promise<Grant> {
  const resource = options.kind === "RDS_IAM" ? rdsResource : s3Resource;
  const level = options.level ?? "read";
  const startsAt = new Date(Date.now() - MINUTE);
  const request = await db.accessRequest.create({
    data: {
      vendorId: holder.vendorId!,
      requesterId: holder.id,
      resourceId: resource.id,
      accessLevel: level,
      windowKind: "FIXED",
      requestedStart: startsAt,
      requestedEnd: options.endsAt,
      justification: "Upload of the monthly shipment reconciliation files.",
      status: "APPROVED",
      decidedAt: new Date(),
    },
  });
  const grant = await db.grant.create({
    data: { requestId: request.id, vendorId: holder.vendorId!, resourceId: resource.id, holderId: holder.id, accessLevel: level, startsAt, endsAt: options.endsAt },
  });

  expect(await activateGrant(grant.id)).toBe("activated");

  return db.grant.findUniqueOrThrow({ where: { id: grant.id } });
}

function authorization(token: string | undefined): Record<string, string> {
  return token === undefined ? {} : { authorization: `Bearer ${token}` };
}

function paramsOf(grantId: string) {
  return { params: Promise.resolve({ id: grantId }) };
}

async function callCredentials(grantId: string, token: string | undefined, format?: string): Promise<Response> {
  const query = format === undefined ? "" : `?format=${encodeURIComponent(format)}`;
  const request = new NextRequest(`${BASE_URL}/${grantId}/credentials${query}`, { headers: authorization(token) });

  return getCredentials(request, paramsOf(grantId));
}

async function callPresign(grantId: string, token: string | undefined, body: unknown): Promise<Response> {
  const request = new NextRequest(`${BASE_URL}/${grantId}/presign`, {
    method: "POST",
    headers: { ...authorization(token), "content-type": "application/json" },
    body: JSON.stringify(body),
  });

  return postPresign(request, paramsOf(grantId));
}

async function callRdsToken(grantId: string, token: string | undefined): Promise<Response> {
  const request = new NextRequest(`${BASE_URL}/${grantId}/rds-token`, { headers: authorization(token) });

  return getRdsToken(request, paramsOf(grantId));
}

async function readError(response: Response): Promise<ErrorBody["error"]> {
  return ((await response.json()) as ErrorBody).error;
}

/** Stores the URL and its signature as secrets, and returns its query parameters. */
function presignedQuery(url: string): URLSearchParams {
  const query = new URL(url).searchParams;
  secrets.add(url);
  secrets.add(query.get("X-Amz-Signature") ?? "missing X-Amz-Signature");

  return query;
}

function secondsLeft(grant: Grant): number {
  return Math.floor((grant.endsAt.getTime() - Date.now()) / SECOND);
}

function findSecretsIn(text: string): string[] {
  return [...secrets].filter((secret) => text.includes(secret));
}

/**
 * Checks that the call left exactly one new issuance of `kind` on the grant, and that neither the
 * row nor its `credential.issued` audit event contains a secret.
 */
async function expectOneIssuance(grant: Grant, since: Date, kind: IssuanceKind, expected: { detail: string; expiresAt: Date }) {
  const issuances = await db.issuance.findMany({ where: { grantId: grant.id, createdAt: { gte: since } } });
  expect(issuances).toHaveLength(1);
  const issuance = issuances[0]!;
  expect(issuance.kind).toBe(kind);
  expect(issuance.userId).toBe(holder.id);
  expect(issuance.detail).toBe(expected.detail);
  expect(issuance.expiresAt.getTime()).toBe(expected.expiresAt.getTime());
  expect(issuance.expiresAt.getTime()).toBeLessThanOrEqual(grant.endsAt.getTime());
  expect(findSecretsIn(JSON.stringify(issuance))).toEqual([]);

  const audit = await db.auditEvent.findFirstOrThrow({ where: { action: "credential.issued", subjectId: issuance.id } });
  expect(audit.actorId).toBe(holder.id);
  expect(audit.grantId).toBe(grant.id);
  expect(audit.vendorId).toBe(holder.vendorId);
  expect(audit.data).toEqual({ kind, expiresAt: expected.expiresAt.toISOString(), detail: expected.detail });
  expect(findSecretsIn(JSON.stringify({ ...audit, seq: String(audit.seq) }))).toEqual([]);
}

async function issuanceCount(grantId: string): Promise<number> {
  return db.issuance.count({ where: { grantId } });
}

let s3Grant: Grant;
let rdsGrant: Grant;
/** Less than 15 minutes left: too short for a vendor's AWS session. */
let shortGrant: Grant;
/** Ends a few seconds after activation. The expiry job does not run here, so its status stays ACTIVE. */
let endedGrant: Grant;

beforeAll(async () => {
  const fake = new FakeIam({ latencyMs: [1, 5] });
  const clients = clientsWithFakeIam(fake);
  sts.mock = mockClient(clients.sts);
  shared.clients = clients;
  fake.createRole({ roleName: ROLE_NAME });

  await applyPortalConfig(
    {
      vendors: [
        { slug: VENDOR_SLUG, name: "Acme Logistics", awsAccountId: VENDOR_ACCOUNT_ID },
        { slug: OTHER_VENDOR_SLUG, name: "Globex Freight" },
      ],
      users: [
        { email: HOLDER_EMAIL, name: "Alex Morgan", role: "VENDOR", vendor: VENDOR_SLUG },
        { email: `sam-${suffix}@acme-logistics.example`, name: "Sam Lee", role: "VENDOR", vendor: VENDOR_SLUG },
        { email: `kim-${suffix}@globex.example`, name: "Kim Park", role: "VENDOR", vendor: OTHER_VENDOR_SLUG },
      ],
      resources: [
        { slug: `exchange-${suffix}`, name: "Exchange", kind: "S3_PREFIX", config: S3_CONFIG, accessLevels: ["read", "upload", "read-write"], maxDurationMinutes: 480 },
        { slug: `replica-${suffix}`, name: "Replica", kind: "RDS_IAM", config: RDS_CONFIG, accessLevels: ["read"], maxDurationMinutes: 480 },
      ],
    },
    { source: "grant routes test", actorLabel: "system:test" },
  );
  holder = await actorOf(HOLDER_EMAIL);
  colleague = await actorOf(`sam-${suffix}@acme-logistics.example`);
  outsider = await actorOf(`kim-${suffix}@globex.example`);
  s3Resource = await db.resource.findUniqueOrThrow({ where: { slug: `exchange-${suffix}` } });
  rdsResource = await db.resource.findUniqueOrThrow({ where: { slug: `replica-${suffix}` } });
  holderToken = await newToken(holder);
  colleagueToken = await newToken(colleague);
  outsiderToken = await newToken(outsider);

  sts.mock.on(GetCallerIdentityCommand).resolves({ Arn: `arn:aws:sts::${ACCOUNT_ID}:assumed-role/vendor-access-portal/i-0abc`, Account: ACCOUNT_ID });
  // 50 minutes is under the role's 3,600-second maximum, so the session length comes from the grant end.
  s3Grant = await createActiveGrant({ level: "read-write", endsAt: new Date(Date.now() + 50 * MINUTE) });
  rdsGrant = await createActiveGrant({ kind: "RDS_IAM", endsAt: new Date(Date.now() + 2 * HOUR) });
  shortGrant = await createActiveGrant({ level: "read-write", endsAt: new Date(Date.now() + 10 * MINUTE) });
  // The role sync provisions only grants that are live at that moment, so this one is activated
  // during its window and has ended by the time the access checks run.
  endedGrant = await createActiveGrant({ level: "read-write", endsAt: new Date(Date.now() + 5 * SECOND) });
});

beforeEach(() => {
  sts.mock.reset();
  sts.mock.on(AssumeRoleCommand).callsFake(assumeRoleResponse);
});

afterAll(async () => {
  await stopBoss();
  await db.$disconnect();
});

describe("GET credentials", () => {
  test("credential_process JSON by default", async () => {
    const since = new Date();

    const response = await callCredentials(s3Grant.id, holderToken);

    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/json");
    expect(response.headers.get("cache-control")).toBe("no-store");
    const issued = await lastIssuedCredentials();
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).toEqual({
      Version: 1,
      AccessKeyId: issued.AccessKeyId,
      SecretAccessKey: issued.SecretAccessKey,
      SessionToken: issued.SessionToken,
      Expiration: reportedExpiration(issued, s3Grant).toISOString(),
    });
    // The session length comes from the grant end, so STS's Expiration falls after it and is capped.
    expect(issued.Expiration.getTime()).toBeGreaterThan(s3Grant.endsAt.getTime());
    expect(body.Expiration).toBe(s3Grant.endsAt.toISOString());
    await expectOneIssuance(s3Grant, since, "STS_CREDENTIALS", { detail: assumeRoleCalls()[0]!.RoleSessionName!, expiresAt: reportedExpiration(issued, s3Grant) });
  });

  test("AssumeRole names role, grant and holder", async () => {
    const leftBefore = secondsLeft(s3Grant);

    const response = await callCredentials(s3Grant.id, holderToken, "credential_process");

    expect(response.status).toBe(200);
    const calls = assumeRoleCalls();
    expect(calls).toHaveLength(1);
    const input = calls[0]!;
    expect(input.RoleArn).toBe(ROLE_ARN);
    expect(input.RoleSessionName).toMatch(STS_NAME);
    expect(input.RoleSessionName!.startsWith(`vap-${s3Grant.id}-alex.morgan`)).toBe(true);
    expect(input.SourceIdentity).toBe(HOLDER_EMAIL);
    expect(input.SourceIdentity).toMatch(STS_NAME);
    expect(input.Tags).toEqual([
      { Key: "vap-grant", Value: s3Grant.id },
      { Key: "vap-user", Value: holder.id },
    ]);
    expect(input.TransitiveTagKeys).toEqual(["vap-grant", "vap-user"]);
    expect(input.DurationSeconds).toBeGreaterThanOrEqual(900);
    expect(input.DurationSeconds).toBeLessThanOrEqual(leftBefore);
    // The grant has about 50 minutes left, well under the role maximum of 3,600 seconds.
    expect(input.DurationSeconds).toBeLessThan(3600);
    expect(input.DurationSeconds).toBeGreaterThan(leftBefore - 60);

    const parsed = parseAwsResourceConfig({ slug: `exchange-${suffix}`, kind: "S3_PREFIX", config: s3Resource.config });
    expect(JSON.parse(input.Policy!)).toEqual(renderSessionPolicy(toRoleGrant(s3Grant, parsed, VENDOR_SLUG)));
    expect(input.Policy).toContain(`arn:aws:s3:::vendor-exchange/vendor-uploads/${VENDOR_SLUG}/`);
    expect(input.Policy).not.toContain(OTHER_VENDOR_SLUG);
  });

  test("env format exports the session", async () => {
    const since = new Date();

    const response = await callCredentials(s3Grant.id, holderToken, "env");

    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/plain; charset=utf-8");
    const issued = await lastIssuedCredentials();
    const lines = (await response.text()).trimEnd().split("\n");
    expect(lines).toEqual([
      `# Temporary AWS credentials; they expire at ${reportedExpiration(issued, s3Grant).toISOString()}.`,
      `export AWS_ACCESS_KEY_ID='${issued.AccessKeyId}'`,
      `export AWS_SECRET_ACCESS_KEY='${issued.SecretAccessKey}'`,
      `export AWS_SESSION_TOKEN='${issued.SessionToken}'`,
      "export AWS_REGION='eu-west-1'",
    ]);
    await expectOneIssuance(s3Grant, since, "STS_CREDENTIALS", { detail: assumeRoleCalls()[0]!.RoleSessionName!, expiresAt: reportedExpiration(issued, s3Grant) });
  });

  test("profile format is a credentials block", async () => {
    const since = new Date();

    const response = await callCredentials(s3Grant.id, holderToken, "profile");

    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/plain; charset=utf-8");
    const issued = await lastIssuedCredentials();
    const lines = (await response.text()).trimEnd().split("\n");
    expect(lines).toEqual([
      `[vap-${VENDOR_SLUG}]`,
      `# Expires at ${reportedExpiration(issued, s3Grant).toISOString()}.`,
      `aws_access_key_id = ${issued.AccessKeyId}`,
      `aws_secret_access_key = ${issued.SecretAccessKey}`,
      `aws_session_token = ${issued.SessionToken}`,
    ]);
    await expectOneIssuance(s3Grant, since, "STS_CREDENTIALS", { detail: assumeRoleCalls()[0]!.RoleSessionName!, expiresAt: reportedExpiration(issued, s3Grant) });
  });

  test("RDS grant gets an rds-db:connect session", async () => {
    const response = await callCredentials(rdsGrant.id, holderToken);

    expect(response.status).toBe(200);
    const input = assumeRoleCalls()[0]!;
    expect(input.RoleArn).toBe(ROLE_ARN);
    expect(input.Tags).toContainEqual({ Key: "vap-grant", Value: rdsGrant.id });
    // Two hours are left, so the role maximum limits the session.
    expect(input.DurationSeconds).toBe(3600);
    expect(input.Policy).toContain("rds-db:connect");
    expect(input.Policy).toContain(`dbuser:${RDS_CONFIG.resourceId}/${RDS_CONFIG.dbUser}`);
  });

  test("unknown format is rejected by field", async () => {
    const before = await issuanceCount(s3Grant.id);

    const response = await callCredentials(s3Grant.id, holderToken, "json");

    expect(response.status).toBe(400);
    const error = await readError(response);
    expect(error.code).toBe("INVALID_INPUT");
    expect(error.message).toContain("format");
    expect(error.fieldErrors).toEqual({ format: ["Use credential_process, env or profile."] });
    expect(assumeRoleCalls()).toEqual([]);
    expect(await issuanceCount(s3Grant.id)).toBe(before);
  });

  test("under 15 minutes left is a clear 409", async () => {
    const before = await issuanceCount(shortGrant.id);

    const response = await callCredentials(shortGrant.id, holderToken);

    expect(response.status).toBe(409);
    const error = await readError(response);
    expect(error.code).toBe("INVALID_STATE");
    expect(error.message).toMatch(/^Less than 15 minutes remain in this grant \(\d+ seconds\)/);
    expect(error.message).toContain("Presigned URLs still work until the end of the grant.");
    expect(assumeRoleCalls()).toEqual([]);
    expect(await issuanceCount(shortGrant.id)).toBe(before);
  });

  test("STS denial is a 502 without issuance", async () => {
    sts.mock.on(AssumeRoleCommand).rejects(
      new STSServiceException({
        name: "AccessDenied",
        $fault: "client",
        $metadata: { httpStatusCode: 403 },
        message: `User: arn:aws:sts::${ACCOUNT_ID}:assumed-role/vendor-access-portal/i-0abc is not authorized to perform: sts:AssumeRole on resource: ${ROLE_ARN}`,
      }),
    );
    const before = await issuanceCount(s3Grant.id);
    const logLinesBefore = shared.logLines.length;

    const response = await callCredentials(s3Grant.id, holderToken);

    expect(response.status).toBe(502);
    const error = await readError(response);
    expect(error.code).toBe("PROVISIONING_FAILED");
    expect(error.message).toContain(`The portal may not assume role ${ROLE_ARN}`);
    expect(await issuanceCount(s3Grant.id)).toBe(before);
    const logged = shared.logLines.slice(logLinesBefore).map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(logged).toContainEqual(expect.objectContaining({ level: 40, route: "grant-credentials", code: "PROVISIONING_FAILED", msg: "route failed" }));
  });
});

describe("POST presign", () => {
  test("PUT URL carries the SSE header", async () => {
    const since = new Date();
    const leftBefore = secondsLeft(s3Grant);

    const response = await callPresign(s3Grant.id, holderToken, { method: "PUT", fileName: "reports/2026-03.csv" });

    expect(response.status).toBe(200);
    const body = (await response.json()) as PresignBody;
    const key = `vendor-uploads/${VENDOR_SLUG}/reports/2026-03.csv`;
    expect(body.method).toBe("PUT");
    expect(body.key).toBe(key);
    expect(body.headers).toEqual({ "x-amz-server-side-encryption": "AES256" });

    const url = new URL(body.url);
    const query = presignedQuery(body.url);
    expect(url.hostname).toBe("vendor-exchange.s3.eu-west-1.amazonaws.com");
    expect(url.pathname).toBe(`/${key}`);
    expect(query.get("X-Amz-SignedHeaders")!.split(";")).toContain("x-amz-server-side-encryption");
    expect(Number(query.get("X-Amz-Expires"))).toBe(900);
    expect(Number(query.get("X-Amz-Expires"))).toBeLessThanOrEqual(leftBefore);
    expect(new Date(body.expiresAt).getTime()).toBeLessThanOrEqual(s3Grant.endsAt.getTime());

    // Signed with the grant's own role session, not with the portal's credentials.
    const issued = await lastIssuedCredentials();
    expect(query.get("X-Amz-Credential")!.startsWith(`${issued.AccessKeyId}/`)).toBe(true);
    expect(query.get("X-Amz-Security-Token")).toBe(issued.SessionToken);
    const input = assumeRoleCalls()[0]!;
    expect(input.RoleArn).toBe(ROLE_ARN);
    expect(input.Tags).toContainEqual({ Key: "vap-grant", Value: s3Grant.id });

    await expectOneIssuance(s3Grant, since, "PRESIGNED_PUT", { detail: key, expiresAt: new Date(body.expiresAt) });
  });

  test("GET URL downloads one object", async () => {
    const since = new Date();
    const leftBefore = secondsLeft(s3Grant);
    const key = `vendor-uploads/${VENDOR_SLUG}/reports/2026-02.csv`;

    const response = await callPresign(s3Grant.id, holderToken, { method: "GET", key });

    expect(response.status).toBe(200);
    const body = (await response.json()) as PresignBody;
    expect(body.method).toBe("GET");
    expect(body.key).toBe(key);
    expect(body.headers).toEqual({});

    const url = new URL(body.url);
    const query = presignedQuery(body.url);
    expect(url.pathname).toBe(`/${key}`);
    expect(query.get("response-content-disposition")).toBe(`attachment; filename="2026-02.csv"; filename*=UTF-8''2026-02.csv`);
    expect(Number(query.get("X-Amz-Expires"))).toBeLessThanOrEqual(Math.min(900, leftBefore));
    expect(new Date(body.expiresAt).getTime()).toBeLessThanOrEqual(s3Grant.endsAt.getTime());
    expect(query.get("X-Amz-Security-Token")).toBe((await lastIssuedCredentials()).SessionToken);

    await expectOneIssuance(s3Grant, since, "PRESIGNED_GET", { detail: key, expiresAt: new Date(body.expiresAt) });
  });

  test("URL ends with a short grant", async () => {
    const leftBefore = secondsLeft(shortGrant);

    const response = await callPresign(shortGrant.id, holderToken, { method: "PUT", fileName: "late.csv" });

    expect(response.status).toBe(200);
    const body = (await response.json()) as PresignBody;
    const expiresIn = Number(presignedQuery(body.url).get("X-Amz-Expires"));
    expect(expiresIn).toBeGreaterThan(0);
    expect(expiresIn).toBeLessThanOrEqual(leftBefore + 1);
    expect(expiresIn).toBeLessThan(900);
    expect(new Date(body.expiresAt).getTime()).toBeLessThanOrEqual(shortGrant.endsAt.getTime());
  });
});

describe("GET rds-token", () => {
  test("token is signed with the grant session", async () => {
    const since = new Date();

    const response = await callRdsToken(rdsGrant.id, holderToken);

    expect(response.status).toBe(200);
    const body = (await response.json()) as RdsTokenBody;
    secrets.add(body.token);
    expect(body.host).toBe(RDS_CONFIG.endpoint);
    expect(body.port).toBe(5432);
    expect(body.database).toBe("warehouse");
    expect(body.user).toBe("vendor_readonly");
    expect(body.token.startsWith(`${RDS_CONFIG.endpoint}:5432/?`)).toBe(true);

    const query = presignedQuery(`https://${body.token}`);
    expect(query.get("Action")).toBe("connect");
    expect(query.get("DBUser")).toBe("vendor_readonly");
    expect(query.get("X-Amz-Expires")).toBe("900");
    expect(query.get("X-Amz-Security-Token")).toBe((await lastIssuedCredentials()).SessionToken);
    expect(new Date(body.usableUntil).getTime()).toBeLessThanOrEqual(rdsGrant.endsAt.getTime());
    expect(new Date(body.usableUntil).getTime()).toBeLessThanOrEqual(new Date(body.expiresAt).getTime());
    expect(assumeRoleCalls()[0]!.Tags).toContainEqual({ Key: "vap-grant", Value: rdsGrant.id });

    await expectOneIssuance(rdsGrant, since, "RDS_IAM_TOKEN", { detail: "vendor_readonly", expiresAt: new Date(body.usableUntil) });
  });
});

type RouteCase = [name: string, call: (grantId: string, token: string | undefined) => Promise<Response>, grant: () => Grant];

const ROUTES: RouteCase[] = [
  ["credentials", (grantId, token) => callCredentials(grantId, token), () => s3Grant],
  ["presign PUT", (grantId, token) => callPresign(grantId, token, { method: "PUT", fileName: "report.csv" }), () => s3Grant],
  ["presign GET", (grantId, token) => callPresign(grantId, token, { method: "GET", key: `vendor-uploads/${VENDOR_SLUG}/report.csv` }), () => s3Grant],
  ["rds-token", (grantId, token) => callRdsToken(grantId, token), () => rdsGrant],
];

describe("access checks", () => {
  test.each(ROUTES)("%s: other vendor's user gets 404", async (_name, call, grantOf) => {
    const grant = grantOf();
    const before = await issuanceCount(grant.id);

    const response = await call(grant.id, outsiderToken);

    expect(response.status).toBe(404);
    expect(await readError(response)).toMatchObject({ code: "NOT_FOUND", message: "Grant not found." });
    expect(assumeRoleCalls()).toEqual([]);
    expect(await issuanceCount(grant.id)).toBe(before);
  });

  test.each(ROUTES)("%s: non-holder colleague gets 403", async (_name, call, grantOf) => {
    const grant = grantOf();
    const before = await issuanceCount(grant.id);

    const response = await call(grant.id, colleagueToken);

    expect(response.status).toBe(403);
    expect(await readError(response)).toMatchObject({ code: "FORBIDDEN", message: "Only the person who requested this access can get its credentials." });
    expect(assumeRoleCalls()).toEqual([]);
    expect(await issuanceCount(grant.id)).toBe(before);
  });

  test.each(ROUTES.slice(0, 3))("%s: ended grant gets 409", async (_name, call) => {
    await vi.waitFor(() => expect(Date.now()).toBeGreaterThan(endedGrant.endsAt.getTime()), { timeout: 10 * SECOND, interval: 100 });
    expect((await db.grant.findUniqueOrThrow({ where: { id: endedGrant.id } })).status).toBe("ACTIVE");

    const response = await call(endedGrant.id, holderToken);

    expect(response.status).toBe(409);
    expect(await readError(response)).toMatchObject({ code: "INVALID_STATE", message: "This grant is over, so no credentials can be issued." });
    expect(assumeRoleCalls()).toEqual([]);
  });

  test("EXPIRED grant gets 409", async () => {
    expect(await expireGrant(endedGrant.id)).toBe("ended");
    expect((await db.grant.findUniqueOrThrow({ where: { id: endedGrant.id } })).status).toBe("EXPIRED");

    for (const format of ["credential_process", "env", "profile"]) {
      const response = await callCredentials(endedGrant.id, holderToken, format);

      expect(response.status).toBe(409);
      expect((await readError(response)).code).toBe("INVALID_STATE");
    }
    expect(assumeRoleCalls()).toEqual([]);
    expect(await issuanceCount(endedGrant.id)).toBe(0);
  });

  test("unknown grant id gets 404", async () => {
    const response = await callCredentials("cm0000000000000000000none", holderToken);

    expect(response.status).toBe(404);
    expect(assumeRoleCalls()).toEqual([]);
  });
});

describe("authentication", () => {
  const unauthenticatedMessage = "Missing, invalid or expired credentials. Send a valid API token as 'Authorization: Bearer vap_…'.";

  async function expectUnauthenticated(response: Response) {
    expect(response.status).toBe(401);
    expect(await readError(response)).toMatchObject({ code: "UNAUTHENTICATED", message: unauthenticatedMessage });
    expect(assumeRoleCalls()).toEqual([]);
  }

  test("revoked token gets 401", async () => {
    const { token, id: tokenId } = await createApiToken(holder, { name: "revoked in test", expiresInDays: 1 });
    secrets.add(token);
    expect((await callCredentials(s3Grant.id, token)).status).toBe(200);
    sts.mock.resetHistory();

    await revokeApiToken(holder, tokenId);

    await expectUnauthenticated(await callCredentials(s3Grant.id, token));
    await expectUnauthenticated(await callPresign(s3Grant.id, token, { method: "PUT", fileName: "report.csv" }));
    await expectUnauthenticated(await callRdsToken(rdsGrant.id, token));
  });

  test("expired token gets 401", async () => {
    // Created two days ago for one day.
    const token = await newToken(holder, new Date(Date.now() - 2 * 24 * HOUR));

    await expectUnauthenticated(await callCredentials(s3Grant.id, token));
    await expectUnauthenticated(await callRdsToken(rdsGrant.id, token));
  });

  test("missing token gets 401", async () => {
    await expectUnauthenticated(await callCredentials(s3Grant.id, undefined));
    await expectUnauthenticated(await callPresign(s3Grant.id, undefined, { method: "GET", key: `vendor-uploads/${VENDOR_SLUG}/report.csv` }));
    await expectUnauthenticated(await callRdsToken(rdsGrant.id, undefined));
  });

  test("malformed or unknown token gets 401", async () => {
    const unknown = `vap_${randomBytes(32).toString("base64url")}`;
    secrets.add(unknown);

    await expectUnauthenticated(await callCredentials(s3Grant.id, unknown));
    await expectUnauthenticated(await callCredentials(s3Grant.id, holderToken.slice(4)));
    const basic = new NextRequest(`${BASE_URL}/${s3Grant.id}/credentials`, { headers: { authorization: `Basic ${holderToken}` } });
    await expectUnauthenticated(await getCredentials(basic, paramsOf(s3Grant.id)));
  });
});

describe("logs", () => {
  test("contain no secret", () => {
    const logText = shared.logLines.join("");

    // The capture works: the activations and the STS denial above were logged.
    expect(logText).toContain('"msg":"grant activated"');
    expect(logText).toContain('"msg":"route failed"');
    expect(secrets.size).toBeGreaterThan(20);
    expect(findSecretsIn(logText)).toEqual([]);
    expect(logText).not.toMatch(/X-Amz-Signature|X-Amz-Security-Token|aws_secret_access_key|SecretAccessKey/i);
  });
});

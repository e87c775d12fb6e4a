// TEST ONLY: a fake AWS endpoint for the browser tests, started by scripts/e2e-server.ts and never by
// `npm run dev`. It listens on 127.0.0.1 and responds by the service in the SigV4 credential scope:
// - IAM, through the unit tests' stateful FakeIam (lib/backends/aws/testing/fake-iam.ts);
// - STS AssumeRole and GetCallerIdentity, with made-up credentials;
// - S3 ListObjectsV2, with an empty listing.
// Anything else gets an error and is recorded. GET /__fake-aws/state returns the roles and the
// recorded calls as JSON, for the tests to check; it changes nothing.

import { randomBytes } from "node:crypto";
import http, { type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

import { escapeXml, FakeIam } from "@/lib/backends/aws/testing/fake-iam";

import { FAKE_AWS } from "./demo-config";

const LOOPBACK_HOST = "127.0.0.1";
const STS_NAMESPACE = "https://sts.amazonaws.com/doc/2011-06-15/";
const S3_NAMESPACE = "http://s3.amazonaws.com/doc/2006-03-01/";
/** Shortest session STS issues, in seconds. */
const MIN_SESSION_SECONDS = 900;

export type FakeAwsRole = { roleName: string; path: string; maxSessionDuration: number; trustPolicy: string };

export type FakeAwsOptions = {
  /** 0 picks a free port. */
  port: number;
  accountId: string;
  /** The caller that GetCallerIdentity reports, such as arn:aws:sts::111111111111:assumed-role/portal/e2e. */
  callerArn: string;
  /** The principal that trust policies must name for AssumeRole to succeed. */
  callerPrincipalArn: string;
  roles: FakeAwsRole[];
};

/** One request to the fake, without secrets. */
export type FakeAwsCall = {
  service: string;
  action: string;
  input: Record<string, string>;
  status: number;
  /** For AssumeRole: the access key id and expiration of the issued credentials. */
  output?: Record<string, string>;
};

export type FakeAwsState = {
  roles: { roleName: string; path: string; trustPolicy: string; inlinePolicies: Record<string, string> }[];
  calls: FakeAwsCall[];
};

export type FakeAwsServer = { endpoint: string; close: () => Promise<void> };

class FakeAwsError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

function readBody(request: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => resolve(Buffer.concat(chunks)));
    request.on("error", reject);
  });
}

/** Returns the service of the SigV4 credential scope, from the Authorization header or a presigned URL's query. */
function serviceOf(request: IncomingMessage, url: URL): string {
  const scope = /Credential=[^/,]+\/\d{8}\/[^/]+\/([^/]+)\/aws4_request/.exec(request.headers.authorization ?? "")?.[1];

  return scope ?? url.searchParams.get("X-Amz-Credential")?.split("/")[3] ?? "unknown";
}

/** Returns the AWS principals of a policy statement, which IAM accepts as a string or an array. */
function principalsOf(statement: { Principal?: { AWS?: string | string[] } }): string[] {
  const aws = statement.Principal?.AWS;

  return aws === undefined ? [] : [aws].flat();
}

function actionsOf(statement: { Action?: string | string[] }): string[] {
  return statement.Action === undefined ? [] : [statement.Action].flat();
}

/**
 * Returns whether the trust policy lets `principal` call sts:AssumeRole.
 * NOTE: conditions are not evaluated, so a statement admits its principal at any time and with any tags.
 */
function trustAdmits(trustPolicy: string, principal: string): boolean {
  const document = JSON.parse(trustPolicy) as { Statement?: { Effect?: string; Principal?: { AWS?: string | string[] }; Action?: string | string[] }[] };

  return (document.Statement ?? []).some(
    (statement) => statement.Effect === "Allow" && principalsOf(statement).includes(principal) && actionsOf(statement).includes("sts:AssumeRole"),
  );
}

function stsResponse(action: string, result: string): string {
  return `<${action}Response xmlns="${STS_NAMESPACE}"><${action}Result>${result}</${action}Result><ResponseMetadata><RequestId>fake-request</RequestId></ResponseMetadata></${action}Response>`;
}

function stsError(error: FakeAwsError): string {
  return `<ErrorResponse xmlns="${STS_NAMESPACE}"><Error><Type>Sender</Type><Code>${escapeXml(error.code)}</Code><Message>${escapeXml(error.message)}</Message></Error><RequestId>fake-request</RequestId></ErrorResponse>`;
}

function isoSeconds(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, "Z");
}

export async function startFakeAwsServer(options: FakeAwsOptions): Promise<FakeAwsServer> {
  const iam = new FakeIam({ latencyMs: [1, 5] });
  for (const role of options.roles) iam.createRole({ ...role, accountId: options.accountId });
  const calls: FakeAwsCall[] = [];

  function assumeRole(input: Record<string, string>, call: FakeAwsCall): string {
    const roleName = /^arn:aws:iam::(\d{12}):role\/(?:[\w+=,.@-]+\/)*([\w+=,.@-]+)$/.exec(input.RoleArn ?? "");
    const role = roleName && roleName[1] === options.accountId ? iam.role(roleName[2]!) : undefined;
    if (!role || input.RoleArn !== `arn:aws:iam::${role.accountId}:role${role.path}${role.roleName}` || !trustAdmits(role.trustPolicy, options.callerPrincipalArn)) {
      throw new FakeAwsError(403, "AccessDenied", `User: ${options.callerArn} is not authorized to perform: sts:AssumeRole on resource: ${input.RoleArn}`);
    }
    const duration = Number(input.DurationSeconds ?? "3600");
    if (!Number.isInteger(duration) || duration < MIN_SESSION_SECONDS || duration > role.maxSessionDuration) {
      throw new FakeAwsError(400, "ValidationError", `DurationSeconds ${input.DurationSeconds} is invalid: it must be between ${MIN_SESSION_SECONDS} and the role's MaxSessionDuration of ${role.maxSessionDuration}.`);
    }

    const expiration = isoSeconds(new Date(Date.now() + duration * 1000));
    const accessKeyId = `ASIAFAKE${randomBytes(6).toString("hex").toUpperCase()}`;
    call.output = { accessKeyId, expiration };
    const sessionName = input.RoleSessionName ?? "";
    const credentials = [
      `<AccessKeyId>${accessKeyId}</AccessKeyId>`,
      `<SecretAccessKey>${randomBytes(30).toString("base64")}</SecretAccessKey>`,
      `<SessionToken>FAKE${randomBytes(48).toString("base64")}</SessionToken>`,
      `<Expiration>${expiration}</Expiration>`,
    ].join("");
    const assumedRoleArn = `arn:aws:sts::${role.accountId}:assumed-role/${role.roleName}/${sessionName}`;
    const sourceIdentity = input.SourceIdentity ? `<SourceIdentity>${escapeXml(input.SourceIdentity)}</SourceIdentity>` : "";

    return stsResponse(
      "AssumeRole",
      `<Credentials>${credentials}</Credentials><AssumedRoleUser><Arn>${escapeXml(assumedRoleArn)}</Arn><AssumedRoleId>AROAFAKE:${escapeXml(sessionName)}</AssumedRoleId></AssumedRoleUser><PackedPolicySize>10</PackedPolicySize>${sourceIdentity}`,
    );
  }

  function answerSts(input: Record<string, string>, call: FakeAwsCall): string {
    if (call.action === "AssumeRole") return assumeRole(input, call);
    if (call.action === "GetCallerIdentity") {
      return stsResponse(
        "GetCallerIdentity",
        `<Arn>${escapeXml(options.callerArn)}</Arn><UserId>AROAFAKE:e2e</UserId><Account>${options.accountId}</Account>`,
      );
    }
    throw new FakeAwsError(400, "InvalidAction", `The fake STS does not implement ${call.action}.`);
  }

  async function handle(request: IncomingMessage, response: ServerResponse) {
    const url = new URL(request.url ?? "/", `http://${LOOPBACK_HOST}`);
    if (request.method === "GET" && url.pathname === FAKE_AWS.statePath) {
      const state: FakeAwsState = {
        roles: [...iam.roles.values()].map((role) => ({
          roleName: role.roleName,
          path: role.path,
          trustPolicy: role.trustPolicy,
          inlinePolicies: Object.fromEntries(role.inlinePolicies),
        })),
        calls,
      };
      response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(state));

      return;
    }

    const body = await readBody(request);
    const service = serviceOf(request, url);
    const form = new URLSearchParams(body.toString("utf8"));
    const input = Object.fromEntries([...form].filter(([key]) => key !== "Action" && key !== "Version"));
    const call: FakeAwsCall = { service, action: form.get("Action") ?? `${request.method} ${url.pathname}${url.search}`, input, status: 200 };
    calls.push(call);

    if (service === "iam") {
      const { response: answer } = await iam.requestHandler.handle({ body });
      call.status = answer.statusCode;
      response.writeHead(answer.statusCode, answer.headers).end(answer.body);

      return;
    }
    if (service === "sts") {
      try {
        const xml = answerSts(input, call);
        response.writeHead(200, { "content-type": "text/xml" }).end(xml);
      } catch (error) {
        if (!(error instanceof FakeAwsError)) throw error;
        call.status = error.status;
        response.writeHead(error.status, { "content-type": "text/xml" }).end(stsError(error));
      }

      return;
    }
    if (service === "s3" && request.method === "GET" && url.searchParams.get("list-type") === "2") {
      call.action = "ListObjectsV2";
      const bucket = url.pathname.split("/")[1] ?? "";
      const prefix = url.searchParams.get("prefix") ?? "";
      response
        .writeHead(200, { "content-type": "application/xml" })
        .end(
          `<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="${S3_NAMESPACE}"><Name>${escapeXml(bucket)}</Name><Prefix>${escapeXml(prefix)}</Prefix><KeyCount>0</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated></ListBucketResult>`,
        );

      return;
    }

    call.status = 501;
    response
      .writeHead(501, { "content-type": "application/xml" })
      .end(`<Error><Code>NotImplemented</Code><Message>The fake AWS endpoint does not implement this ${escapeXml(service)} request.</Message></Error>`);
  }

  const server = http.createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      console.error(`fake AWS endpoint failed on ${request.method} ${request.url}: ${(error as Error).message}`);
      response.writeHead(500, { "content-type": "text/plain" }).end(`fake AWS endpoint failed: ${(error as Error).message}`);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, LOOPBACK_HOST, () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    endpoint: `http://${LOOPBACK_HOST}:${port}`,
    close: () =>
      new Promise((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

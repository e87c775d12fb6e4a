// A stateful fake of the IAM role calls the AWS provider makes, for tests. It stores each role's
// trust policy and inline policies, checks documents roughly as IAM does (JSON, a non-empty
// Statement, the size quotas), waits a random latency on every call, and records every call.
//
// Two ways in: `attach(client)` stubs IAMClient#send with aws-sdk-client-mock, so the SDK's
// middleware (retries, parsing) does not run; `requestHandler` serves the SDK's HTTP requests in
// IAM's query protocol, so the SDK's own retry strategy and error parsing run as against AWS.

import {
  DeleteRolePolicyCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  IAMClient,
  IAMServiceException,
  LimitExceededException,
  MalformedPolicyDocumentException,
  NoSuchEntityException,
  PutRolePolicyCommand,
  UpdateAssumeRolePolicyCommand,
} from "@aws-sdk/client-iam";
import { mockClient } from "aws-sdk-client-mock";

/** Default trust policy quota of IAM, in characters. */
const DEFAULT_TRUST_POLICY_QUOTA = 2048;
/** IAM's quota for all inline policies of one role together, in characters. */
const DEFAULT_INLINE_POLICIES_QUOTA = 10_240;

export type FakeRole = {
  roleName: string;
  path: string;
  accountId: string;
  maxSessionDuration: number;
  trustPolicy: string;
  inlinePolicies: Map<string, string>;
};

export type FakeIamCall = {
  action: "GetRole" | "GetRolePolicy" | "PutRolePolicy" | "DeleteRolePolicy" | "UpdateAssumeRolePolicy";
  input: Record<string, string | undefined>;
  /** Value of the test's event counter when the call started and when it returned. */
  startedAt: number;
  finishedAt: number;
  /** Error name when the call failed. */
  error?: string;
};

type FailureRule = { action: FakeIamCall["action"] | "*"; error: () => Error; remaining: number };

export type FakeIamOptions = {
  /** Random latency of every call, in milliseconds; [5, 30] by default. */
  latencyMs?: [number, number];
  /** The test's event counter, read when a call starts and ends; a call count by default. */
  tick?: () => number;
  /** Size quotas in characters; IAM's defaults of 2,048 and 10,240 unless given. */
  trustPolicyQuota?: number;
  inlinePoliciesQuota?: number;
};

export function throttlingError(): IAMServiceException {
  return new IAMServiceException({ name: "Throttling", $fault: "client", $metadata: { httpStatusCode: 400 }, message: "Rate exceeded" });
}

export function accessDeniedError(action: string): IAMServiceException {
  return new IAMServiceException({
    name: "AccessDenied",
    $fault: "client",
    $metadata: { httpStatusCode: 403 },
    message: `User: arn:aws:sts::111111111111:assumed-role/portal/i-0 is not authorized to perform: ${action}`,
  });
}

export function serviceFailureError(): IAMServiceException {
  return new IAMServiceException({ name: "ServiceFailure", $fault: "server", $metadata: { httpStatusCode: 500 }, message: "Internal failure" });
}

export class FakeIam {
  readonly roles = new Map<string, FakeRole>();
  readonly calls: FakeIamCall[] = [];
  private readonly failures: FailureRule[] = [];
  private readonly latencyMs: [number, number];
  private readonly tick: () => number;
  private readonly trustPolicyQuota: number;
  private readonly inlinePoliciesQuota: number;
  private counter = 0;

  constructor(options: FakeIamOptions = {}) {
    this.latencyMs = options.latencyMs ?? [5, 30];
    this.tick = options.tick ?? (() => ++this.counter);
    this.trustPolicyQuota = options.trustPolicyQuota ?? DEFAULT_TRUST_POLICY_QUOTA;
    this.inlinePoliciesQuota = options.inlinePoliciesQuota ?? DEFAULT_INLINE_POLICIES_QUOTA;
  }

  createRole(input: { roleName: string; path?: string; accountId?: string; maxSessionDuration?: number; trustPolicy?: string }): FakeRole {
    const role: FakeRole = {
      roleName: input.roleName,
      path: input.path ?? "/vendor-access/",
      accountId: input.accountId ?? "111111111111",
      maxSessionDuration: input.maxSessionDuration ?? 3600,
      trustPolicy: input.trustPolicy ?? JSON.stringify({ Version: "2012-10-17", Statement: [] }),
      inlinePolicies: new Map(),
    };
    this.roles.set(input.roleName.toLowerCase(), role);

    return role;
  }

  role(roleName: string): FakeRole | undefined {
    return this.roles.get(roleName.toLowerCase());
  }

  /** Makes the next `count` calls of `action` (or of any action, with "*") fail with `error()`. */
  failNext(action: FailureRule["action"], error: () => Error, count = 1): void {
    this.failures.push({ action, error, remaining: count });
  }

  /** Returns the successful write calls of `action`, in the order they started. */
  writes(action: "PutRolePolicy" | "UpdateAssumeRolePolicy"): FakeIamCall[] {
    return this.calls.filter((call) => call.action === action && call.error === undefined).sort((a, b) => a.startedAt - b.startedAt);
  }

  /** Stubs the client's send() with this fake. Returns the aws-sdk-client-mock stub for call assertions. */
  attach(client: IAMClient) {
    const stub = mockClient(client);
    stub.on(GetRoleCommand).callsFake((input) => this.call("GetRole", input));
    stub.on(GetRolePolicyCommand).callsFake((input) => this.call("GetRolePolicy", input));
    stub.on(PutRolePolicyCommand).callsFake((input) => this.call("PutRolePolicy", input));
    stub.on(DeleteRolePolicyCommand).callsFake((input) => this.call("DeleteRolePolicy", input));
    stub.on(UpdateAssumeRolePolicyCommand).callsFake((input) => this.call("UpdateAssumeRolePolicy", input));

    return stub;
  }

  /** Runs one IAM action against the stored roles, with latency and any queued failure. */
  async call(action: FakeIamCall["action"], input: Record<string, string | undefined>): Promise<Record<string, unknown>> {
    const record: FakeIamCall = { action, input: { ...input }, startedAt: this.tick(), finishedAt: 0 };
    this.calls.push(record);

    try {
      await this.sleep();
      const failure = this.failures.find((rule) => rule.remaining > 0 && (rule.action === "*" || rule.action === action));
      if (failure) {
        failure.remaining -= 1;
        throw failure.error();
      }
      const output = this.apply(action, input);
      await this.sleep();

      return output;
    } catch (error) {
      record.error = (error as Error).name;
      throw error;
    } finally {
      record.finishedAt = this.tick();
    }
  }

  private sleep(): Promise<void> {
    const [min, max] = this.latencyMs;

    return new Promise((resolve) => setTimeout(resolve, (min + Math.random() * (max - min)) / 2));
  }

  private requireRole(roleName: string | undefined): FakeRole {
    const role = roleName ? this.role(roleName) : undefined;
    if (!role) throw new NoSuchEntityException({ message: `The role with name ${roleName} cannot be found.`, $metadata: { httpStatusCode: 404 } });

    return role;
  }

  private apply(action: FakeIamCall["action"], input: Record<string, string | undefined>): Record<string, unknown> {
    const role = this.requireRole(input.RoleName);

    switch (action) {
      case "GetRole":
        return {
          Role: {
            RoleName: role.roleName,
            Path: role.path,
            Arn: `arn:aws:iam::${role.accountId}:role${role.path}${role.roleName}`,
            AssumeRolePolicyDocument: encodeURIComponent(role.trustPolicy),
            MaxSessionDuration: role.maxSessionDuration,
          },
        };
      case "GetRolePolicy": {
        const document = role.inlinePolicies.get(input.PolicyName ?? "");
        if (document === undefined) throw noSuchPolicy(input.PolicyName);

        return { RoleName: role.roleName, PolicyName: input.PolicyName, PolicyDocument: encodeURIComponent(document) };
      }
      case "PutRolePolicy": {
        const document = input.PolicyDocument ?? "";
        checkDocument(document);
        const others = [...role.inlinePolicies].filter(([name]) => name !== input.PolicyName).reduce((total, [, text]) => total + iamLength(text), 0);
        if (others + iamLength(document) > this.inlinePoliciesQuota) {
          throw new LimitExceededException({
            message: `Maximum policy size of ${this.inlinePoliciesQuota} bytes exceeded for role ${role.roleName}`,
            $metadata: { httpStatusCode: 409 },
          });
        }
        role.inlinePolicies.set(input.PolicyName ?? "", document);

        return {};
      }
      case "DeleteRolePolicy":
        if (!role.inlinePolicies.delete(input.PolicyName ?? "")) throw noSuchPolicy(input.PolicyName);

        return {};
      case "UpdateAssumeRolePolicy": {
        const document = input.PolicyDocument ?? "";
        checkDocument(document);
        if (iamLength(document) > this.trustPolicyQuota) {
          throw new LimitExceededException({ message: `Cannot exceed quota for ACLSizePerRole: ${this.trustPolicyQuota}`, $metadata: { httpStatusCode: 409 } });
        }
        role.trustPolicy = document;

        return {};
      }
    }
  }

  /**
   * An HTTP request handler for IAMClient that responds in IAM's query protocol from this fake.
   * Pass it as `requestHandler`; no request leaves the process.
   */
  get requestHandler() {
    const handle = async (request: { body?: unknown }) => {
      const form = new URLSearchParams(bodyText(request.body));
      const action = form.get("Action") as FakeIamCall["action"];
      const input: Record<string, string | undefined> = {};
      for (const [key, value] of form) if (key !== "Action" && key !== "Version") input[key] = value;

      try {
        const output = await this.call(action, input);

        return { response: xmlResponse(200, successXml(action, output)) };
      } catch (error) {
        const status = (error as IAMServiceException).$metadata?.httpStatusCode ?? 500;

        return { response: xmlResponse(status, errorXml(error as IAMServiceException)) };
      }
    };

    return { handle, updateHttpClientConfig: () => {}, httpHandlerConfigs: () => ({}), destroy: () => {} };
  }
}

function noSuchPolicy(policyName: string | undefined): NoSuchEntityException {
  return new NoSuchEntityException({ message: `The role policy with name ${policyName} cannot be found.`, $metadata: { httpStatusCode: 404 } });
}

/** Characters as IAM counts them for quotas: without whitespace outside strings. */
function iamLength(document: string): number {
  return [...JSON.stringify(JSON.parse(document))].length;
}

function checkDocument(document: string): void {
  let parsed: { Version?: unknown; Statement?: unknown };
  try {
    parsed = JSON.parse(document);
  } catch {
    throw new MalformedPolicyDocumentException({ message: "Syntax errors in policy.", $metadata: { httpStatusCode: 400 } });
  }
  if (parsed.Version !== "2012-10-17" || !Array.isArray(parsed.Statement) || parsed.Statement.length === 0) {
    throw new MalformedPolicyDocumentException({ message: "Syntax errors in policy.", $metadata: { httpStatusCode: 400 } });
  }
}

function bodyText(body: unknown): string {
  if (typeof body === "string") return body;
  if (body instanceof Uint8Array) return Buffer.from(body).toString("utf8");

  return "";
}

/** Escapes text for an XML element or attribute in the fake's query-protocol responses. */
export function escapeXml(text: string): string {
  return text.replace(/[<>&'"]/g, (character) => `&#${character.charCodeAt(0)};`);
}

function xmlResponse(statusCode: number, xml: string) {
  return { statusCode, reason: "", headers: { "content-type": "text/xml" }, body: Buffer.from(xml, "utf8") };
}

const IAM_NAMESPACE = "https://iam.amazonaws.com/doc/2010-05-08/";

function successXml(action: string, output: Record<string, unknown>): string {
  let result = "";
  if (action === "GetRole") {
    const role = output.Role as Record<string, string | number>;
    const fields = ["RoleName", "Path", "Arn", "AssumeRolePolicyDocument", "MaxSessionDuration"];
    result = `<${action}Result><Role>${fields.map((field) => `<${field}>${escapeXml(String(role[field]))}</${field}>`).join("")}<RoleId>AROAFAKE</RoleId><CreateDate>2026-01-01T00:00:00Z</CreateDate></Role></${action}Result>`;
  } else if (action === "GetRolePolicy") {
    const fields = ["RoleName", "PolicyName", "PolicyDocument"];
    result = `<${action}Result>${fields.map((field) => `<${field}>${escapeXml(String(output[field]))}</${field}>`).join("")}</${action}Result>`;
  }

  return `<${action}Response xmlns="${IAM_NAMESPACE}">${result}<ResponseMetadata><RequestId>fake-request</RequestId></ResponseMetadata></${action}Response>`;
}

function errorXml(error: IAMServiceException): string {
  // The query protocol's error codes are the exception names without "Exception".
  const code = error.name.endsWith("Exception") ? error.name.slice(0, -"Exception".length) : error.name;
  const type = error.$fault === "server" ? "Receiver" : "Sender";

  return `<ErrorResponse xmlns="${IAM_NAMESPACE}"><Error><Type>${type}</Type><Code>${escapeXml(code)}</Code><Message>${escapeXml(error.message)}</Message></Error><RequestId>fake-request</RequestId></ErrorResponse>`;
}

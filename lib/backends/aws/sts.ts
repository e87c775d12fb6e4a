import "server-only";

import { AssumeRoleCommand } from "@aws-sdk/client-sts";

import {
  DEFAULT_POLICY_LIMITS,
  SESSION_TAG_GRANT,
  SESSION_TAG_USER,
  checkSessionPolicySize,
  renderSessionPolicy,
  type PolicyLimits,
} from "@/lib/backends/aws/policies";
import { AppError } from "@/lib/errors";

import { getAwsClients, type AwsClients, type SessionCredentials } from "./clients";
import { toStsAppError } from "./errors";
import { parseAwsResourceConfig, toRoleGrant, vendorRoleOf, type AwsResourceConfig, type VendorRole } from "./role";
import { computeSessionDuration, computeSigningSessionDuration, type SessionGrant } from "./session-duration";
import { roleSessionNameFor, sourceIdentityFor } from "./session-names";

export { assertGrantRunning, computeSessionDuration, computeSigningSessionDuration, MIN_SESSION_SECONDS, type SessionGrant } from "./session-duration";

export type SessionUser = { id: string; email: string };
export type SessionVendor = { slug: string };
export type SessionResource = { slug: string; kind: string; config: unknown };

export type IssueSessionInput = {
  grant: SessionGrant;
  /** The grant's holder, who receives the session. */
  user: SessionUser;
  vendor: SessionVendor;
  resource: SessionResource;
  now: Date;
  clients?: AwsClients;
  limits?: PolicyLimits;
};

/** A role session. `credentials` is a bearer secret: show or hand it over once, never log or store it. */
export type IssuedSession = {
  credentials: SessionCredentials;
  roleArn: string;
  /** The session's own ARN, `arn:aws:sts::<account>:assumed-role/<role>/<session name>`, as CloudTrail shows it. */
  assumedRoleArn: string;
  roleSessionName: string;
  sourceIdentity: string;
  durationSeconds: number;
  /** The resource's region, for AWS_REGION in the output formats. */
  region: string;
};

/**
 * Issues temporary credentials for the grant's holder: AssumeRole into the vendor role, tagged with
 * the grant and the user, with the user as SourceIdentity, and narrowed by the grant's session
 * policy. The session ends no later than the grant end. Throws AppError INVALID_STATE outside the
 * grant or with less than 15 minutes left, and PROVISIONING_FAILED or MISCONFIGURED when STS refuses.
 */
export async function issueSessionCredentials(input: IssueSessionInput): Promise<IssuedSession> {
  const parsed = parseAwsResourceConfig(input.resource);
  const role = vendorRoleOf(parsed, input.vendor.slug);
  const durationSeconds = computeSessionDuration({ grant: input.grant, now: input.now, maxSessionSeconds: role.maxSessionSeconds });
  const session = await assumeVendorRole(input, parsed, role, durationSeconds);

  // STS counts DurationSeconds from when it handles the call, later than `now`, so its Expiration can
  // pass the grant end by that delay plus any clock skew. The role's statements for the grant allow
  // nothing from the grant end on, so the earlier of the two is when the credentials stop being useful.
  const expiration = new Date(Math.min(session.credentials.expiration.getTime(), input.grant.endsAt.getTime()));

  return { ...session, credentials: { ...session.credentials, expiration } };
}

/** Issues a session for the portal to sign with; see computeSigningSessionDuration. Never hand its credentials out. */
export async function issueSigningSession(input: IssueSessionInput): Promise<IssuedSession> {
  const parsed = parseAwsResourceConfig(input.resource);
  const role = vendorRoleOf(parsed, input.vendor.slug);
  const durationSeconds = computeSigningSessionDuration({ grant: input.grant, now: input.now, maxSessionSeconds: role.maxSessionSeconds });

  return assumeVendorRole(input, parsed, role, durationSeconds);
}

async function assumeVendorRole(input: IssueSessionInput, parsed: AwsResourceConfig, role: VendorRole, durationSeconds: number): Promise<IssuedSession> {
  const sessionPolicy = renderSessionPolicy(toRoleGrant(input.grant, parsed, input.vendor.slug));
  const problems = checkSessionPolicySize(sessionPolicy, input.grant.id, input.limits ?? DEFAULT_POLICY_LIMITS);
  if (problems.length > 0) throw new AppError("MISCONFIGURED", problems.map((problem) => problem.message).join(" "));

  const roleSessionName = roleSessionNameFor(input.grant.id, input.user.email);
  const sourceIdentity = sourceIdentityFor(input.user);
  const clients = input.clients ?? getAwsClients();

  let response;
  try {
    response = await clients.sts.send(
      new AssumeRoleCommand({
        RoleArn: role.roleArn,
        RoleSessionName: roleSessionName,
        DurationSeconds: durationSeconds,
        SourceIdentity: sourceIdentity,
        // The role's permission statements allow only sessions tagged with their grant's id.
        Tags: [
          { Key: SESSION_TAG_GRANT, Value: input.grant.id },
          { Key: SESSION_TAG_USER, Value: input.user.id },
        ],
        // Transitive tags stay on any role the session chains into, and cannot be changed there.
        TransitiveTagKeys: [SESSION_TAG_GRANT, SESSION_TAG_USER],
        Policy: JSON.stringify(sessionPolicy),
      }),
    );
  } catch (error) {
    throw toStsAppError(error, { roleArn: role.roleArn, roleName: role.roleName, durationSeconds, maxSessionSeconds: role.maxSessionSeconds });
  }

  const credentials = response.Credentials;
  if (!credentials?.AccessKeyId || !credentials.SecretAccessKey || !credentials.SessionToken || !credentials.Expiration) {
    throw new AppError("PROVISIONING_FAILED", `sts:AssumeRole on ${role.roleArn} returned no credentials. Try again.`);
  }

  return {
    credentials: {
      accessKeyId: credentials.AccessKeyId,
      secretAccessKey: credentials.SecretAccessKey,
      sessionToken: credentials.SessionToken,
      expiration: credentials.Expiration,
    },
    roleArn: role.roleArn,
    assumedRoleArn: response.AssumedRoleUser?.Arn ?? "",
    roleSessionName,
    sourceIdentity,
    durationSeconds,
    region: parsed.config.region,
  };
}

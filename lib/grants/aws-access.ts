import "server-only";

import type { Actor } from "@/lib/auth/session";
import { formatCredentialProcessJson, formatCredentialsProfile, formatShellExports } from "@/lib/backends/aws/credential-formats";
import { getAwsClients } from "@/lib/backends/aws/clients";
import { presignGrantDownload, presignGrantUpload } from "@/lib/backends/aws/presign";
import { issueGrantRdsToken } from "@/lib/backends/aws/rds-token";
import { parseAwsResourceConfig } from "@/lib/backends/aws/role";
import { describeSelfAssume } from "@/lib/backends/aws/self-assume";
import { issueSessionCredentials, issueSigningSession } from "@/lib/backends/aws/sts";
import { listObjects, ZS3PresignConfig } from "@/lib/backends/s3-presign";
import { db } from "@/lib/db";
import { AppError } from "@/lib/errors";

import { getGrantForActor, loadUsableGrant, recordIssuance } from "./access";

type UsableGrant = Awaited<ReturnType<typeof loadUsableGrant>>;

function sessionInput(actor: Actor, grant: UsableGrant, now: Date) {
  return {
    grant: { id: grant.id, startsAt: grant.startsAt, endsAt: grant.endsAt, accessLevel: grant.accessLevel },
    user: { id: actor.id, email: actor.email },
    vendor: { slug: grant.vendor.slug },
    resource: { slug: grant.resource.slug, kind: grant.resource.kind, config: grant.resource.config },
    now,
  };
}

function assertAwsKind(grant: UsableGrant, kinds: readonly string[], what: string) {
  if (!kinds.includes(grant.resource.kind)) throw new AppError("INVALID_STATE", `This grant does not offer ${what}.`);
}

/** Temporary AWS credentials for the grant's holder, in every format the vendor may need. */
export async function issueAwsCredentials(actor: Actor, grantId: string, now = new Date()) {
  const grant = await loadUsableGrant(actor, grantId, now);
  assertAwsKind(grant, ["S3_PREFIX", "RDS_IAM"], "AWS credentials");
  const session = await issueSessionCredentials(sessionInput(actor, grant, now));
  await recordIssuance(actor, grant, "STS_CREDENTIALS", session.credentials.expiration, session.roleSessionName);
  const profileName = `vap-${grant.vendor.slug}`;

  return {
    session,
    profileName,
    shellExports: formatShellExports(session.credentials, { region: session.region }),
    credentialsProfile: formatCredentialsProfile(session.credentials, profileName),
    credentialProcessJson: formatCredentialProcessJson(session.credentials),
  };
}

export async function issueAwsUploadUrl(actor: Actor, grant: UsableGrant, fileName: string, now: Date) {
  const upload = await presignGrantUpload({ ...sessionInput(actor, grant, now), fileName });
  await recordIssuance(actor, grant, "PRESIGNED_PUT", upload.expiresAt, upload.key);

  return upload;
}

export async function issueAwsDownloadUrl(actor: Actor, grant: UsableGrant, key: string, now: Date) {
  const download = await presignGrantDownload({ ...sessionInput(actor, grant, now), key });
  await recordIssuance(actor, grant, "PRESIGNED_GET", download.expiresAt, key);

  return download;
}

/** Lists the vendor's prefix with a session of the grant's own role, so the listing can show no more than the grant allows. */
export async function listAwsGrantObjects(actor: Actor, grant: UsableGrant, now: Date) {
  const parsed = parseAwsResourceConfig(grant.resource);
  if (parsed.kind !== "S3_PREFIX") throw new AppError("INVALID_STATE", "This grant is not for S3 files.");
  const session = await issueSigningSession(sessionInput(actor, grant, now));
  const client = getAwsClients().createSessionS3Client({ region: parsed.config.region, credentials: session.credentials });
  const config = ZS3PresignConfig.parse({ bucket: parsed.config.bucket, prefixTemplate: parsed.config.prefixTemplate });

  return listObjects({ config, vendorSlug: grant.vendor.slug, client });
}

/** Issues an RDS IAM auth token (valid 15 minutes) and the commands to connect with it. */
export async function issueRdsToken(actor: Actor, grantId: string, now = new Date()) {
  const grant = await loadUsableGrant(actor, grantId, now);
  assertAwsKind(grant, ["RDS_IAM"], "RDS IAM auth tokens");
  const token = await issueGrantRdsToken(sessionInput(actor, grant, now));
  await recordIssuance(actor, grant, "RDS_IAM_TOKEN", token.usableUntil, token.user);

  return token;
}

/**
 * Returns what a vendor needs to assume the role from its own AWS account: role ARN, ExternalId and the
 * exact command. Shown only to the vendor's own users and to admins, because it contains the ExternalId.
 */
export async function selfAssumeInstructions(actor: Actor, grantId: string, now = new Date()) {
  const grant = await getGrantForActor(actor, grantId);
  if (actor.role === "APPROVER") throw new AppError("NOT_FOUND", "Grant not found.");
  if (!["S3_PREFIX", "RDS_IAM"].includes(grant.resource.kind)) return null;
  if (grant.status !== "ACTIVE" || grant.endsAt <= now) return null;
  const vendor = await vendorWithExternalId(grant.vendorId);
  if (!vendor.awsAccountId) return null;

  return describeSelfAssume({
    grant: { id: grant.id, startsAt: grant.startsAt, endsAt: grant.endsAt, accessLevel: grant.accessLevel },
    user: { id: actor.id, email: actor.email },
    vendor,
    resource: { slug: grant.resource.slug, kind: grant.resource.kind, config: grant.resource.config },
    now,
  });
}

async function vendorWithExternalId(vendorId: string) {
  return db.vendor.findUniqueOrThrow({ where: { id: vendorId }, select: { slug: true, externalId: true, awsAccountId: true } });
}

import "server-only";

import { recordAudit, userActor } from "@/lib/audit";
import type { Actor } from "@/lib/auth/session";
import { ZPostgresLoginConfig } from "@/lib/backends/postgres-login/config";
import { connectionDetails, rotatePassword } from "@/lib/backends/postgres-login";
import { listObjects, presignDownload, presignUpload, ZS3PresignConfig } from "@/lib/backends/s3-presign";
import { db } from "@/lib/db";
import { issueAwsDownloadUrl, issueAwsUploadUrl, listAwsGrantObjects } from "@/lib/grants/aws-access";
import { AppError } from "@/lib/errors";
import type { IssuanceKind } from "@/lib/generated/prisma/enums";
import type { Prisma } from "@/lib/generated/prisma/client";

/** Vendor users see their own vendor's grants only; approvers and admins see all. */
export function grantScope(actor: Actor): Prisma.GrantWhereInput {
  if (actor.role === "VENDOR") return { vendorId: actor.vendorId ?? "-" };

  return {};
}

export async function getGrantForActor(actor: Actor, grantId: string) {
  const grant = await db.grant.findFirst({
    where: { id: grantId, ...grantScope(actor) },
    include: {
      resource: true,
      vendor: { select: { id: true, slug: true, name: true } },
      holder: { select: { id: true, name: true, email: true } },
      request: { select: { id: true, windowKind: true, justification: true } },
    },
  });
  if (!grant) throw new AppError("NOT_FOUND", "Grant not found.");

  return grant;
}

export async function listGrantsForActor(actor: Actor) {
  return db.grant.findMany({
    where: grantScope(actor),
    orderBy: [{ status: "asc" }, { endsAt: "desc" }],
    take: 200,
    include: {
      resource: { select: { name: true, kind: true } },
      vendor: { select: { name: true } },
      holder: { select: { name: true, email: true } },
    },
  });
}

export async function listIssuances(actor: Actor, grantId: string) {
  await getGrantForActor(actor, grantId);

  return db.issuance.findMany({
    where: { grantId },
    orderBy: { createdAt: "desc" },
    take: 50,
    include: { user: { select: { email: true } } },
  });
}

/**
 * Loads a grant the actor holds and that is active right now. Credentials are issued only to the
 * grant's holder, and never before the start or at or after the end.
 */
export async function loadUsableGrant(actor: Actor, grantId: string, now: Date) {
  const grant = await getGrantForActor(actor, grantId);
  if (grant.holderId !== actor.id) {
    throw new AppError("FORBIDDEN", "Only the person who requested this access can get its credentials.");
  }
  if (grant.status !== "ACTIVE" || grant.endsAt <= now || grant.startsAt > now) {
    throw new AppError("INVALID_STATE", `This grant is ${describeUnusable(grant, now)}, so no credentials can be issued.`);
  }

  return grant;
}

function describeUnusable(grant: { status: string; startsAt: Date; endsAt: Date }, now: Date): string {
  if (grant.endsAt <= now) return "over";
  if (grant.status === "SCHEDULED" || grant.startsAt > now) return "not active yet";

  return grant.status.toLowerCase();
}

function assertLevel(grant: { accessLevel: string }, allowed: readonly string[], what: string) {
  if (!allowed.includes(grant.accessLevel)) {
    throw new AppError("FORBIDDEN", `The "${grant.accessLevel}" access level does not allow ${what}.`);
  }
}

export async function recordIssuance(
  actor: Actor,
  grant: { id: string; vendorId: string; requestId: string },
  kind: IssuanceKind,
  expiresAt: Date,
  detail = "",
) {
  await db.$transaction(async (tx) => {
    const issuance = await tx.issuance.create({
      data: { grantId: grant.id, userId: actor.id, kind, expiresAt, detail },
    });
    await recordAudit(tx, {
      actor: userActor(actor),
      action: "credential.issued",
      subjectType: "issuance",
      subjectId: issuance.id,
      vendorId: grant.vendorId,
      requestId: grant.requestId,
      grantId: grant.id,
      data: { kind, expiresAt: expiresAt.toISOString(), detail },
    });
  });
}

/** Sets a new password on the grant's login role and returns it with the connection details, once. */
export async function issueDatabasePassword(actor: Actor, grantId: string, now = new Date()) {
  const grant = await loadUsableGrant(actor, grantId, now);
  if (grant.resource.kind !== "POSTGRES" || !grant.targetName) {
    throw new AppError("INVALID_STATE", "This grant has no database login.");
  }
  const config = ZPostgresLoginConfig.parse(grant.resource.config);
  const { password } = await rotatePassword({ config, roleName: grant.targetName, endsAt: grant.endsAt });
  await recordIssuance(actor, grant, "DB_PASSWORD", grant.endsAt, grant.targetName);

  return { password, details: connectionDetails({ config, roleName: grant.targetName }), endsAt: grant.endsAt };
}

const UPLOAD_LEVELS = ["upload", "read-write"] as const;
const READ_LEVELS = ["read", "read-write"] as const;

function s3Context(grant: Awaited<ReturnType<typeof loadUsableGrant>>) {
  if (grant.resource.kind !== "S3_PRESIGN") throw new AppError("INVALID_STATE", "This grant is not for S3 files.");

  return { config: ZS3PresignConfig.parse(grant.resource.config), vendorSlug: grant.vendor.slug };
}

export async function issueUploadUrl(actor: Actor, grantId: string, fileName: string, now = new Date()) {
  const grant = await loadUsableGrant(actor, grantId, now);
  assertLevel(grant, UPLOAD_LEVELS, "uploads");
  if (grant.resource.kind === "S3_PREFIX") return issueAwsUploadUrl(actor, grant, fileName, now);
  const { config, vendorSlug } = s3Context(grant);
  const upload = await presignUpload({ config, vendorSlug, fileName, grantEndsAt: grant.endsAt, now });
  await recordIssuance(actor, grant, "PRESIGNED_PUT", upload.expiresAt, upload.key);

  return upload;
}

export async function issueDownloadUrl(actor: Actor, grantId: string, key: string, now = new Date()) {
  const grant = await loadUsableGrant(actor, grantId, now);
  assertLevel(grant, READ_LEVELS, "downloads");
  if (grant.resource.kind === "S3_PREFIX") return issueAwsDownloadUrl(actor, grant, key, now);
  const { config, vendorSlug } = s3Context(grant);
  const download = await presignDownload({ config, vendorSlug, key, grantEndsAt: grant.endsAt, now });
  await recordIssuance(actor, grant, "PRESIGNED_GET", download.expiresAt, key);

  return download;
}

/** Objects under the vendor's prefix, for grants that may upload or read. */
export async function listGrantObjects(actor: Actor, grantId: string, now = new Date()) {
  const grant = await loadUsableGrant(actor, grantId, now);
  if (grant.resource.kind === "S3_PREFIX") return listAwsGrantObjects(actor, grant, now);
  const { config, vendorSlug } = s3Context(grant);

  return listObjects({ config, vendorSlug });
}

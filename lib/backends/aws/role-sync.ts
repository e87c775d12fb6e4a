import "server-only";

import { DeleteRolePolicyCommand, PutRolePolicyCommand, UpdateAssumeRolePolicyCommand } from "@aws-sdk/client-iam";

import {
  REVOCATION_PROPAGATION_MARGIN_SECONDS,
  renderRoleState,
  selectRevokedGrantsToDeny,
  type PolicyLimits,
  type PolicySizes,
  type RevokedGrant,
  type RoleGrant,
  type RoleState,
} from "@/lib/backends/aws/policies";
import { db, type Tx } from "@/lib/db";
import { LIVE_GRANT_STATUSES } from "@/lib/domain/transitions";
import { AppError } from "@/lib/errors";
import { errorFields, log } from "@/lib/log";

import { getAwsClients, type AwsClients } from "./clients";
import { awsErrorCode, toIamAppError } from "./errors";
import { parseAwsResourceConfig, toRoleGrant, vendorRoleOf, type AwsResourceConfig, type VendorRole } from "./role";

/** Name of the one inline policy that contains every grant's permission statements. */
export const PERMISSION_POLICY_NAME = "vendor-access-grants";

/**
 * How far back revoked grants are read. A session lasts at most 12 hours (the largest
 * MaxSessionDuration AWS allows), so no session issued before an older revocation is still live.
 * selectRevokedGrantsToDeny then narrows this to the role's own MaxSessionDuration.
 */
const REVOKED_LOOKBACK_SECONDS = 12 * 60 * 60 + REVOCATION_PROPAGATION_MARGIN_SECONDS;

// Used only when the caller passes no transaction. IAM calls run while the lock is held.
const ROLE_SYNC_TX = { timeout: 60_000, maxWait: 10_000 } as const;

export type SyncVendorRoleInput = {
  role: VendorRole;
  /** The vendor that owns the role; its ExternalId and AWS account go into the trust policy. */
  vendorId: string;
  /** ARN of the portal's own identity, which the trust policy always admits. */
  portalPrincipalArn: string;
  now?: Date;
  /**
   * The caller's transaction. Pass it whenever the caller changes grant rows in the same transaction:
   * the advisory lock is then held until those changes commit, so the next writer of this role
   * reads them. Without it this function runs its own transaction, and a concurrent writer may read
   * the caller's grant between this write and the caller's commit.
   */
  tx?: Tx;
  /** Grants to leave out although their rows are still live: grants that the caller's transaction is ending. */
  excludeGrantIds?: readonly string[];
  /** Sessions of these grants issued before `revokedAt` get an explicit deny, in addition to those found in the database. */
  revokedGrants?: readonly RevokedGrant[];
  /** A grant being activated: rendered as live even in status FAILED, so an admin's retry provisions it. */
  activatingGrantId?: string;
  clients?: AwsClients;
  limits?: PolicyLimits;
};

export type RoleSyncResult = {
  roleArn: string;
  /** Grants whose statements the written policies contain, in id order. */
  liveGrantIds: string[];
  /** Revoked grants whose earlier sessions the permission policy denies. */
  revokedGrantIds: string[];
  /** Whether the inline permission policy was written (true) or deleted because no grant needs it (false). */
  permissionPolicyWritten: boolean;
  sizes: PolicySizes;
};

type CandidateRow = {
  id: string;
  status: string;
  startsAt: Date;
  endsAt: Date;
  endedAt: Date | null;
  accessLevel: string;
  vendorId: string;
  resource: { id: string; slug: string; kind: string; config: unknown };
  vendor: { slug: string };
};

/**
 * Writes the whole desired state of one vendor role: renders the trust policy and the inline
 * permission policy from every live grant on the role, and writes both, under a PostgreSQL advisory
 * lock keyed by the role. Writing is idempotent, so a retry after any failure converges.
 *
 * Throws AppError PROVISIONING_FAILED when the policies would exceed an IAM size limit (nothing is
 * written then), and AppError PROVISIONING_FAILED or MISCONFIGURED for IAM errors, naming the IAM
 * action and the fix. The SDK retries throttling and transient errors before that.
 */
export async function syncVendorRole(input: SyncVendorRoleInput): Promise<RoleSyncResult> {
  const now = input.now ?? new Date();
  if (input.tx) return syncInTransaction(input.tx, input, now);

  // NOTE: with its own transaction the lock is released before the caller commits; see `tx`.
  return db.$transaction((tx) => syncInTransaction(tx, input, now), ROLE_SYNC_TX);
}

async function syncInTransaction(tx: Tx, input: SyncVendorRoleInput, now: Date): Promise<RoleSyncResult> {
  const { role } = input;

  // Held until the transaction ends. IAM has no conditional writes, so this lock is what keeps two
  // writers from each rendering a state that lacks the other's grant.
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended(${role.lockKey}, 0))`;

  const { state, grants, revokedGrants } = await renderFromDatabase(tx, input, now);
  if (state.problems.length > 0) {
    throw new AppError(
      "PROVISIONING_FAILED",
      `The policies of IAM role ${role.roleName} would not fit, so nothing was written: ${state.problems.map((problem) => problem.message).join(" ")}`,
    );
  }

  await writeRoleState(input.clients ?? getAwsClients(), role, {
    trustPolicy: JSON.stringify(state.trustPolicy),
    permissionPolicy: state.permissionPolicy ? JSON.stringify(state.permissionPolicy) : null,
  });

  const result: RoleSyncResult = {
    roleArn: role.roleArn,
    liveGrantIds: grants.map((grant) => grant.grantId),
    revokedGrantIds: revokedGrants.map((grant) => grant.grantId),
    permissionPolicyWritten: state.permissionPolicy !== null,
    sizes: state.sizes,
  };
  log.info(
    {
      roleArn: role.roleArn,
      liveGrants: result.liveGrantIds.length,
      revokedGrants: result.revokedGrantIds.length,
      trustPolicyChars: state.sizes.trustPolicyChars,
      permissionPolicyChars: state.sizes.permissionPolicyChars,
    },
    "vendor role synced",
  );

  return result;
}

export type VendorRolePreview = {
  state: RoleState;
  liveGrantIds: string[];
  revokedGrantIds: string[];
};

/**
 * Renders the desired state of a vendor role from the database without writing it, for previews
 * and drift checks. It takes no lock, so a concurrent change may make it stale at once.
 */
export async function previewVendorRole(input: Omit<SyncVendorRoleInput, "clients">): Promise<VendorRolePreview> {
  const now = input.now ?? new Date();
  const render = (tx: Tx) => renderFromDatabase(tx, input, now);
  const { state, grants, revokedGrants } = input.tx ? await render(input.tx) : await db.$transaction(render, ROLE_SYNC_TX);

  return { state, liveGrantIds: grants.map((grant) => grant.grantId), revokedGrantIds: revokedGrants.map((grant) => grant.grantId) };
}

async function renderFromDatabase(tx: Tx, input: SyncVendorRoleInput, now: Date) {
  const vendor = await tx.vendor.findUnique({ where: { id: input.vendorId }, select: { awsAccountId: true, externalId: true } });
  if (!vendor) throw new AppError("NOT_FOUND", `Vendor ${input.vendorId} not found.`);

  const { grants, revokedGrants } = await loadRoleGrants(tx, input, now);
  const state = renderRoleState({
    trustInput: {
      portalPrincipalArn: input.portalPrincipalArn,
      vendorAccountId: vendor.awsAccountId,
      externalId: vendor.externalId,
      partition: input.role.partition,
    },
    grants,
    now,
    revokedGrants,
    limits: input.limits,
  });

  return { state, grants, revokedGrants };
}

/**
 * Loads the live grants of the role (SCHEDULED or ACTIVE, ending in the future, on an S3_PREFIX or
 * RDS_IAM resource whose role config renders this role) and the revoked grants whose sessions may
 * still be live.
 * Grants of every vendor are read, because two resources' name templates can render the same role
 * name for different vendors, and that must fail instead of one vendor overwriting the other's role.
 */
async function loadRoleGrants(tx: Tx, input: SyncVendorRoleInput, now: Date): Promise<{ grants: RoleGrant[]; revokedGrants: RevokedGrant[] }> {
  const { role } = input;
  const revokedSince = new Date(now.getTime() - REVOKED_LOOKBACK_SECONDS * 1000);
  const rows: CandidateRow[] = await tx.grant.findMany({
    where: {
      resource: { kind: { in: ["S3_PREFIX", "RDS_IAM"] } },
      OR: [
        { status: { in: [...LIVE_GRANT_STATUSES] }, endsAt: { gt: now } },
        ...(input.activatingGrantId ? [{ id: input.activatingGrantId, status: "FAILED" as const, endsAt: { gt: now } }] : []),
        { status: "REVOKED", endedAt: { gt: revokedSince } },
      ],
    },
    select: {
      id: true,
      status: true,
      startsAt: true,
      endsAt: true,
      endedAt: true,
      accessLevel: true,
      vendorId: true,
      resource: { select: { id: true, slug: true, kind: true, config: true } },
      vendor: { select: { slug: true } },
    },
    orderBy: { id: "asc" },
  });

  const excluded = new Set(input.excludeGrantIds ?? []);
  // A grant whose config or role name is invalid cannot be placed on any role, so it is left out:
  // less access, never more. Its own activation fails with the config error.
  const targets = new Map<string, RowTarget>();
  const grants: RoleGrant[] = [];
  const revoked = new Map<string, RevokedGrant>();

  for (const row of rows) {
    const target = resolveRowRole(targets, row);
    if (!target || target.role.lockKey !== role.lockKey) continue;
    const { parsed, role: rowRole } = target;

    if (row.vendorId !== input.vendorId) {
      throw new AppError(
        "MISCONFIGURED",
        `Resource ${row.resource.slug} renders the IAM role ${role.roleName} for another vendor too. Give each vendor its own role with {vendor} in roleNameTemplate.`,
      );
    }
    if (rowRole.rolePath !== role.rolePath) {
      throw new AppError(
        "MISCONFIGURED",
        `Resources disagree on the path of IAM role ${role.roleName}: ${row.resource.slug} says ${rowRole.rolePath}, another says ${role.rolePath}. Use one rolePath for the role.`,
      );
    }

    if (row.status === "REVOKED") {
      if (row.endedAt) revoked.set(row.id, { grantId: row.id, revokedAt: row.endedAt });
      continue;
    }
    if (excluded.has(row.id)) continue;
    grants.push(toRoleGrant(row, parsed, row.vendor.slug));
  }

  for (const grant of input.revokedGrants ?? []) revoked.set(grant.grantId, grant);
  const revokedGrants = selectRevokedGrantsToDeny([...revoked.values()], { now, maxSessionSeconds: role.maxSessionSeconds });

  return { grants, revokedGrants: revokedGrants.sort((a, b) => a.grantId.localeCompare(b.grantId)) };
}

type RowTarget = { parsed: AwsResourceConfig; role: VendorRole } | null;

/** Returns the row's config and role, or null when either is invalid. Caches by resource and vendor, so each problem is logged once. */
function resolveRowRole(cache: Map<string, RowTarget>, row: CandidateRow): RowTarget {
  const key = `${row.resource.id}:${row.vendor.slug}`;
  if (cache.has(key)) return cache.get(key) ?? null;

  let target: RowTarget = null;
  try {
    const parsed = parseAwsResourceConfig(row.resource);
    target = { parsed, role: vendorRoleOf(parsed, row.vendor.slug) };
  } catch (error) {
    log.warn({ resourceId: row.resource.id, vendorSlug: row.vendor.slug, ...errorFields(error) }, "resource config or role name invalid, its grants left out of role sync");
  }
  cache.set(key, target);

  return target;
}

/**
 * Writes the permission policy first and the trust policy last. Effective access needs both: the
 * trust policy decides who gets a session, the permission policy what a session may do. If the
 * second write fails, the role is left with the new permission policy and the old trust policy:
 * - a grant removed: its statements are already gone, and the old trust policy can only admit
 *   sessions whose permissions are the new, smaller set;
 * - a grant added: its statements exist before anyone can assume the role with its tag, and they
 *   are part of the desired state anyway.
 * Trust first would instead leave a removed grant's statements in place for every open session.
 *
 * Both documents are always written, never skipped after comparing with GetRole: IAM reads are
 * eventually consistent, so a stale read could match the desired state while the role does not.
 */
async function writeRoleState(clients: AwsClients, role: VendorRole, documents: { trustPolicy: string; permissionPolicy: string | null }) {
  const context = { roleName: role.roleName, roleArn: role.roleArn, accountId: role.accountId, rolePath: role.rolePath };

  if (documents.permissionPolicy === null) {
    try {
      await clients.iam.send(new DeleteRolePolicyCommand({ RoleName: role.roleName, PolicyName: PERMISSION_POLICY_NAME }));
    } catch (error) {
      // Already deleted. A missing role shows up in the trust policy write below.
      if (awsErrorCode(error) !== "NoSuchEntity") throw toIamAppError(error, { ...context, action: "iam:DeleteRolePolicy", policy: "permission" });
    }
  } else {
    try {
      await clients.iam.send(
        new PutRolePolicyCommand({ RoleName: role.roleName, PolicyName: PERMISSION_POLICY_NAME, PolicyDocument: documents.permissionPolicy }),
      );
    } catch (error) {
      throw toIamAppError(error, { ...context, action: "iam:PutRolePolicy", policy: "permission" });
    }
  }

  try {
    await clients.iam.send(new UpdateAssumeRolePolicyCommand({ RoleName: role.roleName, PolicyDocument: documents.trustPolicy }));
  } catch (error) {
    throw toIamAppError(error, { ...context, action: "iam:UpdateAssumeRolePolicy", policy: "trust" });
  }
}

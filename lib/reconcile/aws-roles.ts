import "server-only";

import {
  DeleteRolePolicyCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  PutRolePolicyCommand,
  UpdateAssumeRolePolicyCommand,
  type IAMClient,
} from "@aws-sdk/client-iam";

import { getAwsClients, type AwsClients } from "@/lib/backends/aws/clients";
import { awsErrorCode, toIamAppError } from "@/lib/backends/aws/errors";
import { resolvePortalPrincipalArn } from "@/lib/backends/aws/identity";
import { parseAwsResourceConfig, vendorRoleOf, type VendorRole } from "@/lib/backends/aws/role";
import { PERMISSION_POLICY_NAME, syncVendorRole } from "@/lib/backends/aws/role-sync";
import { db, type Prisma } from "@/lib/db";
import { errorFields, log } from "@/lib/log";

import { comparePolicies } from "./policy-diff";
import { recordFailure, recordRepair, runStep, type ReconcileContext } from "./report";

// The role's advisory lock is held while IAM is read and written, as syncVendorRole does itself.
const ROLE_TX = { timeout: 60_000, maxWait: 10_000 } as const;

export type AwsReconcileOptions = {
  /** Defaults to the process-wide clients. */
  clients?: AwsClients;
  /** Defaults to AWS_PORTAL_PRINCIPAL_ARN, or the caller identity from STS. */
  portalPrincipalArn?: string;
};

type Documents = { trustPolicy: string | null; permissionPolicy: string | null };

/**
 * Re-renders every vendor role (S3_PREFIX and RDS_IAM resources) that has grants in `scope`, with
 * syncVendorRole, and records a repair for each role whose trust or permission policy at IAM
 * differed from what was written. syncVendorRole always writes both documents, so the role ends in
 * the rendered state whether or not a difference was seen.
 *
 * NOTE: IAM reads are eventually consistent, so a read shortly after another write (an activation
 * a few seconds earlier) can return the older document and report a repair that was not needed.
 */
export async function reconcileAwsRoles(context: ReconcileContext, scope: Prisma.GrantWhereInput, options: AwsReconcileOptions = {}): Promise<void> {
  const grants = await db.grant.findMany({
    where: { AND: [scope, { resource: { kind: { in: ["S3_PREFIX", "RDS_IAM"] } } }] },
    select: { id: true, vendorId: true, vendor: { select: { slug: true } }, resource: { select: { id: true, slug: true, kind: true, config: true } } },
    orderBy: { id: "asc" },
  });
  if (grants.length === 0) return;

  const roles = new Map<string, { role: VendorRole; vendorId: string }>();
  const badResources = new Set<string>();
  for (const grant of grants) {
    if (badResources.has(grant.resource.id)) continue;
    try {
      const role = vendorRoleOf(parseAwsResourceConfig(grant.resource), grant.vendor.slug);
      if (!roles.has(role.lockKey)) roles.set(role.lockKey, { role, vendorId: grant.vendorId });
    } catch (error) {
      badResources.add(grant.resource.id);
      recordFailure(context, { target: `resource ${grant.resource.slug}`, resourceId: grant.resource.id }, error);
    }
  }
  if (roles.size === 0) return;

  const clients = options.clients ?? getAwsClients();
  let portalPrincipalArn = options.portalPrincipalArn;
  if (portalPrincipalArn === undefined) {
    try {
      portalPrincipalArn = await resolvePortalPrincipalArn(clients);
    } catch (error) {
      for (const { role } of roles.values()) {
        recordFailure(context, { target: role.roleArn }, error);
      }

      return;
    }
  }

  for (const { role, vendorId } of roles.values()) {
    context.summary.targetsChecked += 1;
    await runStep(context, { target: role.roleArn }, () => reconcileRole(context, { role, vendorId, clients, portalPrincipalArn }));
  }
}

async function reconcileRole(
  context: ReconcileContext,
  input: { role: VendorRole; vendorId: string; clients: AwsClients; portalPrincipalArn: string },
): Promise<void> {
  const { role, vendorId } = input;

  await db.$transaction(async (tx) => {
    // The same lock syncVendorRole takes (advisory locks nest within a session), taken first so that
    // no other writer changes the role between this read and the write.
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended(${role.lockKey}, 0))`;

    const held = await readRoleDocuments(input.clients.iam, role);
    const written: Partial<Documents> = {};
    await syncVendorRole({
      role,
      vendorId,
      portalPrincipalArn: input.portalPrincipalArn,
      now: context.now,
      tx,
      clients: { ...input.clients, iam: recordWrites(input.clients.iam, written) },
    });

    // Without a readable held state there is nothing to compare; the write above still happened.
    if (held === null) return;
    const trustPolicy = comparePolicies(held.trustPolicy, written.trustPolicy ?? null);
    const permissionPolicy = comparePolicies(held.permissionPolicy, written.permissionPolicy ?? null);
    const differences = [...(trustPolicy ? ["trust-policy"] : []), ...(permissionPolicy ? ["permission-policy"] : [])];
    if (differences.length === 0) return;

    await recordRepair(
      tx,
      context,
      { target: role.roleArn, grantId: null, subject: role.roleArn, repair: "rewrote-role-policies", differences },
      {
        subjectType: "vendor",
        subjectId: vendorId,
        vendorId,
        data: { roleArn: role.roleArn, ...(trustPolicy ? { trustPolicy } : {}), ...(permissionPolicy ? { permissionPolicy } : {}) },
      },
    );
  }, ROLE_TX);
}

/**
 * Reads the role's trust policy and inline permission policy; IAM returns documents URL-encoded.
 * Returns null when the read fails (for example without iam:GetRole or for a missing role), after
 * logging why, because the write that follows matters more than the comparison.
 */
async function readRoleDocuments(iam: IAMClient, role: VendorRole): Promise<Documents | null> {
  try {
    const { Role } = await iam.send(new GetRoleCommand({ RoleName: role.roleName }));
    const trustPolicy = Role?.AssumeRolePolicyDocument ? decodeURIComponent(Role.AssumeRolePolicyDocument) : null;

    let permissionPolicy: string | null = null;
    try {
      const { PolicyDocument } = await iam.send(new GetRolePolicyCommand({ RoleName: role.roleName, PolicyName: PERMISSION_POLICY_NAME }));
      permissionPolicy = PolicyDocument ? decodeURIComponent(PolicyDocument) : null;
    } catch (error) {
      if (awsErrorCode(error) !== "NoSuchEntity") throw error;
    }

    return { trustPolicy, permissionPolicy };
  } catch (error) {
    // A missing role also fails the write that follows, with a message naming the fix.
    if (awsErrorCode(error) !== "NoSuchEntity") {
      const appError = toIamAppError(error, { action: "iam:GetRole", roleName: role.roleName, roleArn: role.roleArn, accountId: role.accountId, rolePath: role.rolePath });
      log.warn({ roleArn: role.roleArn, ...errorFields(appError) }, "could not read vendor role policies to compare; rewriting them anyway");
    }

    return null;
  }
}

/** Wraps the IAM client so the documents that syncVendorRole writes are copied into `written`. */
function recordWrites(iam: IAMClient, written: Partial<Documents>): IAMClient {
  const send = ((command: unknown, ...rest: unknown[]) => {
    if (command instanceof PutRolePolicyCommand && command.input.PolicyName === PERMISSION_POLICY_NAME) {
      written.permissionPolicy = command.input.PolicyDocument ?? null;
    } else if (command instanceof DeleteRolePolicyCommand && command.input.PolicyName === PERMISSION_POLICY_NAME) {
      written.permissionPolicy = null;
    } else if (command instanceof UpdateAssumeRolePolicyCommand) {
      written.trustPolicy = command.input.PolicyDocument ?? null;
    }

    return Reflect.apply(iam.send, iam, [command, ...rest]);
  }) as IAMClient["send"];

  return new Proxy(iam, { get: (target, property, receiver) => (property === "send" ? send : Reflect.get(target, property, receiver)) });
}

import "server-only";

import { recordAudit, type AuditActor, type AuditInput } from "@/lib/audit";
import type { Tx } from "@/lib/db";
import { AppError } from "@/lib/errors";
import { errorFields, log } from "@/lib/log";

/** The actor of repairs that the scheduled reconcile job makes. */
export const SYSTEM_RECONCILER: AuditActor = { id: null, label: "system:reconciler" };

export const REPAIRED_ACTION = "reconcile.repaired";

export type RepairKind =
  /** A grant was still live in the database after its end, so the reconciler expired it. */
  | "expired-overdue-grant"
  /** A live grant's login was brought back without a new password. */
  | "restored-login"
  /** A live grant's login was missing and was created again, with a new password that was never shown. */
  | "recreated-login"
  /** The login of an ended or not yet active grant still allowed access and was revoked. */
  | "revoked-login"
  /** A login role that no live or recently ended grant of the resource claims (an orphan) was revoked. */
  | "revoked-orphan-login"
  /** A vendor role's trust or permission policy differed from the rendered one and was rewritten. */
  | "rewrote-role-policies";

export type ReconcileRepair = {
  /** The target: `resource <slug>` for a PostgreSQL resource, or the IAM role ARN. */
  target: string;
  grantId: string | null;
  /** The login role name or the IAM role ARN. */
  subject: string;
  repair: RepairKind;
  differences: string[];
};

export type ReconcileFailure = {
  target: string;
  grantId: string | null;
  /** Safe to show: an AppError message, or a generic one for unexpected errors. */
  message: string;
};

export type ReconcileSummary = {
  startedAt: string;
  finishedAt: string;
  /** PostgreSQL resources and AWS vendor roles that were compared with the database. */
  targetsChecked: number;
  /** Targets left alone because another reconciler held their lock. */
  targetsSkipped: string[];
  repairs: ReconcileRepair[];
  failures: ReconcileFailure[];
};

/** State shared by the steps of one reconcile run. */
export type ReconcileContext = {
  now: Date;
  actor: AuditActor;
  summary: ReconcileSummary;
};

/**
 * Records one repair as a `reconcile.repaired` audit event in the caller's transaction, and adds it
 * to the run's summary. `audit.data` must hold no secrets.
 */
export async function recordRepair(
  tx: Tx,
  context: ReconcileContext,
  repair: ReconcileRepair,
  audit: Pick<AuditInput, "subjectType" | "subjectId" | "vendorId" | "requestId" | "grantId"> & { data: Record<string, unknown> },
): Promise<void> {
  await recordAudit(tx, {
    actor: context.actor,
    action: REPAIRED_ACTION,
    ...audit,
    data: { target: repair.target, subject: repair.subject, repair: repair.repair, differences: repair.differences, ...audit.data },
  });
  context.summary.repairs.push(repair);
}

/**
 * Runs one step of the run and turns its error into a failure in the summary, so one broken
 * target does not stop the others.
 */
export async function runStep(context: ReconcileContext, where: FailureLocation, step: () => Promise<void>): Promise<void> {
  try {
    await step();
  } catch (error) {
    recordFailure(context, where, error);
  }
}

type FailureLocation = { target: string; grantId?: string | null; resourceId?: string };

/** Adds a failure to the run's summary and logs it once, with the ids involved. */
export function recordFailure(context: ReconcileContext, where: FailureLocation, error: unknown): void {
  log.error({ target: where.target, grantId: where.grantId ?? undefined, resourceId: where.resourceId, ...errorFields(error) }, "reconcile step failed");
  context.summary.failures.push({ target: where.target, grantId: where.grantId ?? null, message: safeMessage(error) });
}

/** Returns a message that is safe to store and show: AppError messages only. */
export function safeMessage(error: unknown): string {
  if (error instanceof AppError) return error.message;

  return "The reconciler failed with an unexpected error; see the worker log.";
}

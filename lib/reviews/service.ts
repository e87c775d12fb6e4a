import "server-only";

import { recordAudit, userActor } from "@/lib/audit";
import type { Actor } from "@/lib/auth/session";
import { db } from "@/lib/db";
import { decideFromReviews } from "@/lib/domain/transitions";
import { AppError } from "@/lib/errors";
import { renderGrantEnd } from "@/lib/grants/extend";
import { activateGrant } from "@/lib/grants/lifecycle";
import { errorFields, log } from "@/lib/log";
import { ZReviewInput, type ReviewInput } from "@/lib/requests/schemas";
import { parseInput } from "@/lib/zod-errors";

import { applyApproval, reviewerScope, type ApprovalResult } from "./approve";

const REVIEWER_ROLES = ["APPROVER", "ADMIN"] as const;

/** Pending requests, oldest first, that the actor may review: never their own, and only where they are an eligible approver. */
export async function listReviewQueue(actor: Actor) {
  assertReviewer(actor);

  return db.accessRequest.findMany({
    where: { status: "PENDING", requesterId: { not: actor.id }, resource: reviewerScope(actor.id) },
    orderBy: { createdAt: "asc" },
    take: 500,
    include: {
      vendor: { select: { name: true } },
      requester: { select: { name: true, email: true } },
      resource: { select: { name: true, kind: true, requiredApprovals: true } },
      reviews: { select: { reviewerId: true, decision: true } },
      extends: { select: { id: true, endsAt: true } },
    },
  });
}

/** Returns whether the actor is one of the people who may review requests for this resource. */
export async function isEligibleReviewer(actor: Actor, resourceId: string): Promise<boolean> {
  if (!(REVIEWER_ROLES as readonly string[]).includes(actor.role)) return false;

  return (await db.resource.count({ where: { id: resourceId, ...reviewerScope(actor.id) } })) > 0;
}

export type ReviewOutcome = {
  requestStatus: "PENDING" | "APPROVED" | "DENIED";
  grantId: string | null;
};

/**
 * Records one approver's decision. The request row is locked, so two approvers acting at once
 * produce exactly one decision and one grant, and the second gets the state the first left.
 */
export async function reviewRequest(actor: Actor, rawInput: ReviewInput, now = new Date()): Promise<ReviewOutcome> {
  assertReviewer(actor);
  const input = parseInput(ZReviewInput, rawInput);
  if (input.decision === "DENY" && input.comment.length < 3) {
    throw new AppError("INVALID_INPUT", "Some fields need attention.", {
      fieldErrors: { comment: ["Tell the requester why the request is denied."] },
    });
  }

  let approval: ApprovalResult | null = null;
  const outcome = await db.$transaction(async (tx): Promise<ReviewOutcome> => {
    await tx.$queryRaw`SELECT id FROM "AccessRequest" WHERE id = ${input.requestId} FOR UPDATE`;
    const request = await tx.accessRequest.findUnique({
      where: { id: input.requestId },
      include: { resource: true, reviews: true },
    });
    if (!request) throw new AppError("NOT_FOUND", "Request not found.");
    if (request.requesterId === actor.id) {
      throw new AppError("FORBIDDEN", "You cannot review your own request.");
    }
    if (request.status !== "PENDING") {
      throw new AppError("INVALID_STATE", `This request was already ${request.status.toLowerCase()}.`);
    }
    if ((await tx.resource.count({ where: { id: request.resourceId, ...reviewerScope(actor.id) } })) === 0) {
      throw new AppError("FORBIDDEN", "You are not one of the approvers for this resource.");
    }
    if (request.reviews.some((review) => review.reviewerId === actor.id)) {
      throw new AppError("INVALID_STATE", "You have already reviewed this request.");
    }

    await tx.review.create({
      data: { requestId: request.id, reviewerId: actor.id, decision: input.decision, comment: input.comment },
    });
    const audit = { actor: userActor(actor), vendorId: request.vendorId, requestId: request.id };
    await recordAudit(tx, {
      ...audit,
      action: input.decision === "APPROVE" ? "review.approved" : "review.denied",
      subjectType: "request",
      subjectId: request.id,
      data: { comment: input.comment },
    });

    const decisions = [...request.reviews.map((review) => review.decision), input.decision];
    const status = decideFromReviews({
      approvals: decisions.filter((decision) => decision === "APPROVE").length,
      denials: decisions.filter((decision) => decision === "DENY").length,
      requiredApprovals: request.resource.requiredApprovals,
    });
    if (status === "PENDING") return { requestStatus: "PENDING", grantId: null };

    if (status === "DENIED") {
      await tx.accessRequest.update({ where: { id: request.id }, data: { status: "DENIED", decidedAt: now } });
      await recordAudit(tx, { ...audit, action: "request.denied", subjectType: "request", subjectId: request.id });

      return { requestStatus: "DENIED", grantId: null };
    }

    const adjustment = input.endsAt !== undefined || input.durationMinutes !== undefined ? { endsAt: input.endsAt, durationMinutes: input.durationMinutes } : undefined;
    approval = await applyApproval(tx, request, { actor: userActor(actor), now, adjustment });

    return { requestStatus: "APPROVED", grantId: approval.grantId };
  });

  if (approval) await finishApproval(approval);

  return outcome;
}

/**
 * Runs the target-side step of an approval after its transaction committed: activation when the
 * window has started, or the new end of an extended grant. Jobs enqueued with the approval retry
 * whatever fails here.
 */
export async function finishApproval(approval: ApprovalResult): Promise<void> {
  try {
    if (approval.kind === "grant-created") await activateGrant(approval.grantId);
    else await renderGrantEnd(approval.grantId);
  } catch (error) {
    log.warn({ grantId: approval.grantId, kind: approval.kind, ...errorFields(error) }, "post-approval step failed; the job will retry");
  }
}

function assertReviewer(actor: Actor) {
  if (!(REVIEWER_ROLES as readonly string[]).includes(actor.role)) throw new AppError("NOT_FOUND", "Not found.");
}

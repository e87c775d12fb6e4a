import "server-only";

import { recordAudit, userActor } from "@/lib/audit";
import type { Actor } from "@/lib/auth/session";
import { db } from "@/lib/db";
import { decideFromReviews } from "@/lib/domain/transitions";
import { grantWindowFor } from "@/lib/domain/window";
import { AppError } from "@/lib/errors";
import { activateGrant } from "@/lib/grants/lifecycle";
import { scheduleGrantJobs } from "@/lib/jobs/queue";
import { errorFields, log } from "@/lib/log";
import { ZReviewInput, type ReviewInput } from "@/lib/requests/schemas";
import { parseInput } from "@/lib/zod-errors";

const REVIEWER_ROLES = ["APPROVER", "ADMIN"] as const;

/** Pending requests, oldest first, that the actor may review (never their own). */
export async function listReviewQueue(actor: Actor) {
  assertReviewer(actor);

  return db.accessRequest.findMany({
    where: { status: "PENDING", requesterId: { not: actor.id } },
    orderBy: { createdAt: "asc" },
    take: 500,
    include: {
      vendor: { select: { name: true } },
      requester: { select: { name: true, email: true } },
      resource: { select: { name: true, kind: true, requiredApprovals: true } },
      reviews: { select: { reviewerId: true, decision: true } },
    },
  });
}

export type ReviewOutcome = {
  requestStatus: "PENDING" | "APPROVED" | "DENIED";
  grantId: string | null;
};

/**
 * Records one approver's decision. The request row is locked, so two approvers acting at once
 * produce exactly one decision and one grant; the second sees the state the first left.
 */
export async function reviewRequest(actor: Actor, rawInput: ReviewInput, now = new Date()): Promise<ReviewOutcome> {
  assertReviewer(actor);
  const input = parseInput(ZReviewInput, rawInput);
  if (input.decision === "DENY" && input.comment.length < 3) {
    throw new AppError("INVALID_INPUT", "Some fields need attention.", {
      fieldErrors: { comment: ["Tell the requester why the request is denied."] },
    });
  }

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

    const window = grantWindowFor(request, now);
    if (!window) {
      throw new AppError("INVALID_STATE", "The requested window has already ended, so it can no longer be approved.");
    }
    await tx.accessRequest.update({ where: { id: request.id }, data: { status: "APPROVED", decidedAt: now } });
    const grant = await tx.grant.create({
      data: {
        requestId: request.id,
        vendorId: request.vendorId,
        resourceId: request.resourceId,
        holderId: request.requesterId,
        accessLevel: request.accessLevel,
        startsAt: window.startsAt,
        endsAt: window.endsAt,
      },
    });
    await recordAudit(tx, {
      ...audit,
      action: "request.approved",
      subjectType: "request",
      subjectId: request.id,
      grantId: grant.id,
      data: { startsAt: window.startsAt.toISOString(), endsAt: window.endsAt.toISOString() },
    });
    await scheduleGrantJobs(tx, grant);

    return { requestStatus: "APPROVED", grantId: grant.id };
  });

  // Activate at once when the window has started; the scheduled job is the fallback if this fails.
  if (outcome.grantId) {
    try {
      await activateGrant(outcome.grantId);
    } catch (error) {
      log.warn({ grantId: outcome.grantId, ...errorFields(error) }, "immediate activation failed; the job will retry");
    }
  }

  return outcome;
}

function assertReviewer(actor: Actor) {
  if (!(REVIEWER_ROLES as readonly string[]).includes(actor.role)) throw new AppError("NOT_FOUND", "Not found.");
}

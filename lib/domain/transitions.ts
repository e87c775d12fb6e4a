// Allowed state transitions for access requests and grants. Pure.

export type RequestStatus = "PENDING" | "APPROVED" | "DENIED" | "CANCELLED" | "EXPIRED";
export type GrantStatus = "SCHEDULED" | "ACTIVE" | "EXPIRED" | "REVOKED" | "FAILED";

const REQUEST_TRANSITIONS: Record<RequestStatus, readonly RequestStatus[]> = {
  PENDING: ["APPROVED", "DENIED", "CANCELLED", "EXPIRED"],
  APPROVED: [],
  DENIED: [],
  CANCELLED: [],
  EXPIRED: [],
};

// FAILED is a provisioning failure that an admin may retry (back to SCHEDULED); the grant's end
// still applies to it, and it may be revoked.
const GRANT_TRANSITIONS: Record<GrantStatus, readonly GrantStatus[]> = {
  SCHEDULED: ["ACTIVE", "EXPIRED", "REVOKED", "FAILED"],
  ACTIVE: ["EXPIRED", "REVOKED", "FAILED"],
  FAILED: ["SCHEDULED", "ACTIVE", "EXPIRED", "REVOKED"],
  EXPIRED: [],
  REVOKED: [],
};

export function canTransitionRequest(from: RequestStatus, to: RequestStatus): boolean {
  return REQUEST_TRANSITIONS[from].includes(to);
}

export function canTransitionGrant(from: GrantStatus, to: GrantStatus): boolean {
  return GRANT_TRANSITIONS[from].includes(to);
}

export function isRequestFinal(status: RequestStatus): boolean {
  return REQUEST_TRANSITIONS[status].length === 0;
}

export function isGrantFinal(status: GrantStatus): boolean {
  return GRANT_TRANSITIONS[status].length === 0;
}

/** Grants whose access may exist at the target, so backends must render them. */
export const LIVE_GRANT_STATUSES: readonly GrantStatus[] = ["SCHEDULED", "ACTIVE"];

export type ReviewTally = { approvals: number; denials: number; requiredApprovals: number };

/** What a request's reviews decide: one deny ends it, `requiredApprovals` approvals approve it. */
export function decideFromReviews(tally: ReviewTally): "APPROVED" | "DENIED" | "PENDING" {
  if (tally.denials > 0) return "DENIED";
  if (tally.approvals >= Math.max(1, tally.requiredApprovals)) return "APPROVED";

  return "PENDING";
}

import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";

import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardHeader, CardTitle } from "@/components/ui/card";
import { LocalTime } from "@/components/ui/local-time";
import { PageHeader } from "@/components/ui/page-header";
import { StatusBadge } from "@/components/ui/status-badge";
import { requirePageActor } from "@/lib/auth/session";
import { RESOURCE_KIND_LABELS } from "@/lib/describe";
import { formatMinutes } from "@/lib/domain/window";
import { isAppError } from "@/lib/errors";
import { getRequestForActor, listRequestHistory } from "@/lib/requests/service";
import { isEligibleReviewer } from "@/lib/reviews/service";

import { CancelRequestButton } from "./cancel-request-button";
import { ReviewForm } from "./review-form";

export const metadata: Metadata = { title: "Request" };

const ACTION_LABELS: Record<string, string> = {
  "request.created": "Requested",
  "request.cancelled": "Cancelled",
  "request.approved": "Approved",
  "request.denied": "Denied",
  "request.expired": "Expired without a decision",
  "review.approved": "Approval",
  "review.denied": "Denial",
  "grant.activated": "Access activated",
  "grant.expired": "Access expired",
  "grant.revoked": "Access revoked",
  "grant.failed": "Provisioning failed",
  "grant.activation_retry": "Provisioning will be retried",
  "grant.extended": "Grant extended",
  "credential.issued": "Credentials issued",
};

async function loadRequest(actor: Parameters<typeof getRequestForActor>[0], id: string) {
  try {
    return await getRequestForActor(actor, id);
  } catch (error) {
    if (isAppError(error) && error.code === "NOT_FOUND") notFound();
    throw error;
  }
}

export default async function RequestPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  const actor = await requirePageActor(["VENDOR", "APPROVER", "ADMIN"], `/requests/${id}`);
  const request = await loadRequest(actor, id);
  const history = await listRequestHistory(actor, id);
  const isRequester = request.requesterId === actor.id;
  const eligible = actor.role !== "VENDOR" && (await isEligibleReviewer(actor, request.resource.id));
  const canReview =
    eligible &&
    request.status === "PENDING" &&
    actor.role !== "VENDOR" &&
    !isRequester &&
    !request.reviews.some((review) => review.reviewerId === actor.id);
  const approvals = request.reviews.filter((review) => review.decision === "APPROVE").length;
  // The review form and its success message disappear when the page refreshes after a decision,
  // so the page itself confirms an approval that still waits for other approvers.
  const approvedByActor = request.reviews.some((review) => review.reviewerId === actor.id && review.decision === "APPROVE");

  return (
    <>
      <PageHeader
        title={request.kind === "EXTENSION" ? `Extension: ${request.resource.name}` : request.resource.name}
        description={`${RESOURCE_KIND_LABELS[request.resource.kind] ?? request.resource.kind} · ${request.accessLevel} · ${request.vendor.name}`}
        actions={
          <div className="flex items-center gap-3">
            <StatusBadge kind="request" status={request.status} />
            {(isRequester || actor.role === "ADMIN") &&
            (request.status === "PENDING" || (request.grant && ["SCHEDULED", "ACTIVE", "FAILED"].includes(request.grant.status))) ? (
              <CancelRequestButton requestId={request.id} revokesGrant={request.status !== "PENDING"} />
            ) : null}
          </div>
        }
      />

      <div className="grid gap-6 lg:grid-cols-3">
        <div className="grid gap-6 lg:col-span-2">
          <Card>
            <CardHeader>
              <CardTitle>Details</CardTitle>
            </CardHeader>
            <CardContent>
              <dl className="grid gap-3 text-sm sm:grid-cols-[10rem_1fr]">
                <dt className="text-muted-foreground">Requested by</dt>
                <dd>
                  {request.requester.name} ({request.requester.email})
                </dd>
                <dt className="text-muted-foreground">Window</dt>
                <dd>
                  {request.kind === "EXTENSION" ? (
                    <>
                      Move the end of{" "}
                      <Link href={`/grants/${request.extendsGrantId}`} className="text-primary underline-offset-4 hover:underline">
                        the grant
                      </Link>{" "}
                      from <LocalTime value={request.requestedStart!.toISOString()} /> to <LocalTime value={request.requestedEnd!.toISOString()} />
                    </>
                  ) : request.windowKind === "RELATIVE" ? (
                    <>
                      {formatMinutes(request.durationMinutes ?? 0)} from approval{" "}
                      <span className="text-muted-foreground">(the full duration counts from activation, even if approved late)</span>
                    </>
                  ) : (
                    <>
                      <LocalTime value={request.requestedStart!.toISOString()} /> – <LocalTime value={request.requestedEnd!.toISOString()} />{" "}
                      <span className="text-muted-foreground">(fixed window: it keeps its end whenever it is approved)</span>
                    </>
                  )}
                </dd>
                <dt className="text-muted-foreground">Approvals</dt>
                <dd>
                  {approvals} of {request.resource.requiredApprovals} required
                </dd>
                <dt className="text-muted-foreground">Justification</dt>
                <dd className="whitespace-pre-wrap">{request.justification}</dd>
              </dl>
            </CardContent>
          </Card>

          {request.grant ? (
            <Card>
              <CardHeader>
                <CardTitle>Grant</CardTitle>
              </CardHeader>
              <CardContent className="flex flex-wrap items-center justify-between gap-4 text-sm">
                <div className="flex items-center gap-3">
                  <StatusBadge kind="grant" status={request.grant.status} />
                  <span>
                    <LocalTime value={request.grant.startsAt.toISOString()} /> – <LocalTime value={request.grant.endsAt.toISOString()} />
                  </span>
                </div>
                <Button asChild variant={request.grant.status === "ACTIVE" ? "default" : "outline"}>
                  <Link href={`/grants/${request.grant.id}`}>{request.grant.status === "ACTIVE" && isRequester ? "Get credentials" : "Open grant"}</Link>
                </Button>
              </CardContent>
            </Card>
          ) : null}

          {canReview ? (
            <Card>
              <CardHeader>
                <CardTitle>Your review</CardTitle>
              </CardHeader>
              <CardContent>
                <ReviewForm
                  requestId={request.id}
                  adjustable={request.windowKind === "RELATIVE" ? "duration" : "end"}
                  maxDurationMinutes={request.resource.maxDurationMinutes}
                />
              </CardContent>
            </Card>
          ) : request.status === "PENDING" && approvedByActor ? (
            <Alert variant="success">Approval recorded; the request needs more approvals.</Alert>
          ) : request.status === "PENDING" && isRequester && actor.role !== "VENDOR" ? (
            <Alert variant="info">You cannot review your own request; another approver has to.</Alert>
          ) : null}
        </div>

        <Card>
          <CardHeader>
            <CardTitle>History</CardTitle>
          </CardHeader>
          <CardContent>
            <ol className="grid gap-4 text-sm" aria-label="Status history">
              {history.map((event) => {
                const comment = (event.data as { comment?: unknown } | null)?.comment;

                return (
                  <li key={String(event.seq)} className="border-l-2 border-border pl-3">
                    <div className="font-medium">{ACTION_LABELS[event.action] ?? event.action}</div>
                    <div className="text-muted-foreground">
                      <LocalTime value={event.at.toISOString()} /> · {event.actorLabel.replace(/^user:/, "")}
                    </div>
                    {typeof comment === "string" && comment ? <p className="mt-1 whitespace-pre-wrap">“{comment}”</p> : null}
                  </li>
                );
              })}
            </ol>
          </CardContent>
        </Card>
      </div>
    </>
  );
}

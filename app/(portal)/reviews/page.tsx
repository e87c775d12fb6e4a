import { Inbox } from "lucide-react";
import type { Metadata } from "next";
import Link from "next/link";

import { EmptyState } from "@/components/ui/empty-state";
import { LocalTime } from "@/components/ui/local-time";
import { PageHeader } from "@/components/ui/page-header";
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "@/components/ui/table";
import { requirePageActor } from "@/lib/auth/session";
import { describeRequestedWindow } from "@/lib/describe";
import { listReviewQueue } from "@/lib/reviews/service";

export const metadata: Metadata = { title: "Review queue" };

export default async function ReviewQueuePage() {
  const actor = await requirePageActor(["APPROVER", "ADMIN"], "/reviews");
  const queue = await listReviewQueue(actor);

  return (
    <>
      <PageHeader title="Review queue" description="Pending requests, oldest first. Your own requests are not listed: someone else reviews them." />
      {queue.length === 0 ? (
        <EmptyState icon={Inbox} title="Nothing to review" description="New requests from vendors appear here. You are all caught up." />
      ) : (
        <Table>
          <TableHeader>
            <TableRow>
              <TableHead>Requested</TableHead>
              <TableHead>Requester</TableHead>
              <TableHead>Resource</TableHead>
              <TableHead>Window</TableHead>
              <TableHead>Justification</TableHead>
              <TableHead>Approvals</TableHead>
            </TableRow>
          </TableHeader>
          <TableBody>
            {queue.map((request) => {
              const approvals = request.reviews.filter((review) => review.decision === "APPROVE").length;
              const reviewedByMe = request.reviews.some((review) => review.reviewerId === actor.id);

              return (
                <TableRow key={request.id}>
                  <TableCell className="text-sm">
                    <LocalTime value={request.createdAt.toISOString()} />
                  </TableCell>
                  <TableCell className="text-sm">
                    <div className="font-medium">{request.requester.name}</div>
                    <div className="text-muted-foreground">{request.vendor.name}</div>
                  </TableCell>
                  <TableCell className="text-sm">
                    <Link href={`/requests/${request.id}`} className="font-medium text-primary underline-offset-4 hover:underline">
                      {request.resource.name}
                    </Link>
                    <div className="text-muted-foreground">
                      {request.kind === "EXTENSION" ? "Extension · " : ""}
                      {request.accessLevel}
                    </div>
                  </TableCell>
                  <TableCell className="text-sm">
                    {request.windowKind === "FIXED" && request.requestedStart && request.requestedEnd ? (
                      <>
                        <LocalTime value={request.requestedStart.toISOString()} /> – <LocalTime value={request.requestedEnd.toISOString()} />
                      </>
                    ) : (
                      describeRequestedWindow(request)
                    )}
                  </TableCell>
                  <TableCell className="max-w-xs truncate text-sm" title={request.justification}>
                    {request.justification}
                  </TableCell>
                  <TableCell className="text-sm">
                    {approvals} of {request.resource.requiredApprovals}
                    {reviewedByMe ? <div className="text-muted-foreground">You approved</div> : null}
                  </TableCell>
                </TableRow>
              );
            })}
          </TableBody>
        </Table>
      )}
    </>
  );
}

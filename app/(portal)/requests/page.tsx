import { FileClock, Plus } from "lucide-react";
import type { Metadata } from "next";
import Link from "next/link";

import { Button } from "@/components/ui/button";
import { EmptyState } from "@/components/ui/empty-state";
import { LocalTime } from "@/components/ui/local-time";
import { PageHeader } from "@/components/ui/page-header";
import { StatusBadge } from "@/components/ui/status-badge";
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "@/components/ui/table";
import { requirePageActor } from "@/lib/auth/session";
import { describeRequestedWindow, nextStepFor } from "@/lib/describe";
import { listRequestsForActor } from "@/lib/requests/service";

export const metadata: Metadata = { title: "Requests" };

export default async function RequestsPage() {
  const actor = await requirePageActor(["VENDOR", "APPROVER", "ADMIN"], "/requests");
  const requests = await listRequestsForActor(actor);
  const isVendor = actor.role === "VENDOR";

  return (
    <>
      <PageHeader
        title={isVendor ? "My requests" : "All requests"}
        description={isVendor ? "Access requests from your organisation, newest first." : "Every vendor's requests, newest first."}
        actions={
          isVendor ? (
            <Button asChild>
              <Link href="/requests/new">
                <Plus aria-hidden="true" />
                New request
              </Link>
            </Button>
          ) : null
        }
      />
      {requests.length === 0 ? (
        <EmptyState
          icon={FileClock}
          title="No requests yet"
          description={isVendor ? "Request access to a data source to get started." : "Vendor requests will appear here."}
          action={
            isVendor ? (
              <Button asChild>
                <Link href="/requests/new">New request</Link>
              </Button>
            ) : null
          }
        />
      ) : (
        <Table>
          <TableHeader>
            <TableRow>
              <TableHead>Resource</TableHead>
              <TableHead>Status</TableHead>
              <TableHead>Window</TableHead>
              <TableHead>Requested by</TableHead>
              <TableHead>Next step</TableHead>
            </TableRow>
          </TableHeader>
          <TableBody>
            {requests.map((request) => (
              <TableRow key={request.id}>
                <TableCell>
                  <Link href={`/requests/${request.id}`} className="font-medium text-primary underline-offset-4 hover:underline">
                    {request.resource.name}
                  </Link>
                  <div className="text-xs text-muted-foreground">
                    {request.kind === "EXTENSION" ? "Extension · " : ""}
                    {request.accessLevel}
                  </div>
                </TableCell>
                <TableCell>
                  {request.grant && (request.grant.status === "REVOKED" || request.grant.status === "FAILED") ? (
                    <StatusBadge kind="grant" status={request.grant.status} />
                  ) : (
                    <StatusBadge kind="request" status={request.status} />
                  )}
                </TableCell>
                <TableCell className="text-sm">
                  {request.grant ? (
                    <>
                      <LocalTime value={request.grant.startsAt.toISOString()} /> – <LocalTime value={request.grant.endsAt.toISOString()} />
                    </>
                  ) : request.windowKind === "FIXED" && request.requestedStart && request.requestedEnd ? (
                    <>
                      <LocalTime value={request.requestedStart.toISOString()} /> – <LocalTime value={request.requestedEnd.toISOString()} />
                    </>
                  ) : (
                    describeRequestedWindow(request)
                  )}
                </TableCell>
                <TableCell className="text-sm">{request.requester.name}</TableCell>
                <TableCell className="text-sm">
                  {request.grant && request.grant.status === "ACTIVE" && isVendor ? (
                    <Link href={`/grants/${request.grant.id}`} className="text-primary underline-offset-4 hover:underline">
                      {nextStepFor(request, actor.role)}
                    </Link>
                  ) : (
                    nextStepFor(request, actor.role)
                  )}
                </TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      )}
    </>
  );
}

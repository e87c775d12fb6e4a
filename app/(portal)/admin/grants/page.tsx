import { CircleCheck } from "lucide-react";
import type { Metadata } from "next";
import Link from "next/link";

import { Alert } from "@/components/ui/alert";
import { EmptyState } from "@/components/ui/empty-state";
import { LocalTime } from "@/components/ui/local-time";
import { PageHeader } from "@/components/ui/page-header";
import { StatusBadge } from "@/components/ui/status-badge";
import { Table, TableBody, TableCaption, TableCell, TableHead, TableHeader, TableRow } from "@/components/ui/table";
import { requirePageActor } from "@/lib/auth/session";
import { MAX_ACTIVATION_ATTEMPTS } from "@/lib/grants/lifecycle";
import { findRetriedGrant, listGrantsNeedingAttention } from "@/lib/grants/retry";
import { listRecentRepairs } from "@/lib/reconcile/history";

import { ReconcileNowButton } from "./reconcile-now-button";
import { RetryGrantButton } from "./retry-grant-button";

export const metadata: Metadata = { title: "Provisioning" };

type PageProps = { searchParams: Promise<Record<string, string | string[] | undefined>> };

export default async function AdminGrantsPage({ searchParams }: PageProps) {
  await requirePageActor(["ADMIN"], "/admin/grants");
  const params = await searchParams;
  const retriedId = typeof params.retried === "string" ? params.retried : null;

  const [grants, repairs, retried] = await Promise.all([
    listGrantsNeedingAttention(),
    listRecentRepairs(),
    retriedId ? findRetriedGrant(retriedId) : null,
  ]);

  return (
    <>
      <PageHeader
        title="Provisioning"
        description="Grants whose activation failed, and the reconciler that compares every target with the database and repairs drift."
      />
      {retried ? <RetryOutcome grant={retried} /> : null}

      <section aria-labelledby="failed-grants" className="mb-10 grid gap-4">
        <h2 id="failed-grants" className="text-lg font-semibold">
          Failed activations
        </h2>
        {grants.length === 0 ? (
          <EmptyState
            icon={CircleCheck}
            headingLevel="h3"
            title="No failed activations"
            description="Every grant that has started reached its target."
          />
        ) : (
          <Table>
            <TableCaption>
              Failed grants stopped retrying after {MAX_ACTIVATION_ATTEMPTS} attempts, and Retry gives them {MAX_ACTIVATION_ATTEMPTS} more. Scheduled grants with an error are still being retried by the worker.
            </TableCaption>
            <TableHeader>
              <TableRow>
                <TableHead>Grant</TableHead>
                <TableHead>Vendor</TableHead>
                <TableHead>Status</TableHead>
                <TableHead>Window</TableHead>
                <TableHead>Attempts</TableHead>
                <TableHead>Last error</TableHead>
                <TableHead>
                  <span className="sr-only">Action</span>
                </TableHead>
              </TableRow>
            </TableHeader>
            <TableBody>
              {grants.map((grant) => (
                <TableRow key={grant.id}>
                  <TableCell className="text-sm">
                    <Link href={`/grants/${grant.id}`} className="font-medium text-primary underline-offset-4 hover:underline">
                      {grant.resource.name}
                    </Link>
                    <div className="text-muted-foreground">
                      {grant.accessLevel} for {grant.holder.name}
                    </div>
                  </TableCell>
                  <TableCell className="text-sm">{grant.vendor.name}</TableCell>
                  <TableCell>
                    <StatusBadge kind="grant" status={grant.status} />
                  </TableCell>
                  <TableCell className="text-sm">
                    <LocalTime value={grant.startsAt.toISOString()} /> – <LocalTime value={grant.endsAt.toISOString()} />
                  </TableCell>
                  <TableCell className="text-sm">{grant.attempts}</TableCell>
                  <TableCell className="max-w-md text-sm break-words">{grant.lastError ?? "—"}</TableCell>
                  <TableCell>{grant.status === "FAILED" ? <RetryGrantButton grantId={grant.id} label={`${grant.resource.name} for ${grant.holder.name}`} /> : null}</TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
        )}
      </section>

      <section aria-labelledby="reconcile" className="grid gap-4">
        <h2 id="reconcile" className="text-lg font-semibold">
          Reconcile
        </h2>
        <p className="max-w-prose text-sm text-muted-foreground">
          The worker runs the reconciler every minute. It checks every target with live grants or grants that ended in the last 24 hours, repairs what
          differs from the database, and records each repair in the audit log.
        </p>
        <ReconcileNowButton />
        {repairs.length === 0 ? (
          <EmptyState headingLevel="h3" title="No repairs yet" description="Repairs appear here when a target drifts from the database." />
        ) : (
          <Table>
            <TableCaption>The latest {repairs.length} repairs, newest first.</TableCaption>
            <TableHeader>
              <TableRow>
                <TableHead>Time</TableHead>
                <TableHead>Target</TableHead>
                <TableHead>Subject</TableHead>
                <TableHead>Repair</TableHead>
                <TableHead>Differences</TableHead>
                <TableHead>Actor</TableHead>
              </TableRow>
            </TableHeader>
            <TableBody>
              {repairs.map((repair) => (
                <TableRow key={repair.seq}>
                  <TableCell className="text-sm">
                    <LocalTime value={repair.at.toISOString()} />
                  </TableCell>
                  <TableCell className="text-sm">{repair.target}</TableCell>
                  <TableCell className="font-mono text-xs">
                    {repair.grantId ? (
                      <Link href={`/grants/${repair.grantId}`} className="text-primary underline-offset-4 hover:underline">
                        {repair.subject}
                      </Link>
                    ) : (
                      repair.subject
                    )}
                  </TableCell>
                  <TableCell className="font-mono text-xs">{repair.repair}</TableCell>
                  <TableCell className="text-sm">{repair.differences.join(", ")}</TableCell>
                  <TableCell className="text-sm">{repair.actorLabel}</TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
        )}
      </section>
    </>
  );
}

function RetryOutcome({ grant }: { grant: { id: string; status: string; lastError: string | null } }) {
  if (grant.status === "ACTIVE") {
    return (
      <Alert variant="success" title="Retry succeeded" className="mb-6">
        Grant <span className="font-mono">{grant.id}</span> is active; its holder can fetch credentials now.
      </Alert>
    );
  }
  if (grant.lastError) {
    return (
      <Alert variant="error" title="Retry failed" className="mb-6">
        Grant <span className="font-mono">{grant.id}</span> is {grant.status.toLowerCase()}: {grant.lastError}
        {grant.status === "SCHEDULED" ? " The worker keeps retrying it." : null}
      </Alert>
    );
  }

  return (
    <Alert variant="info" title="Retry requested" className="mb-6">
      Grant <span className="font-mono">{grant.id}</span> is {grant.status.toLowerCase()}.
    </Alert>
  );
}

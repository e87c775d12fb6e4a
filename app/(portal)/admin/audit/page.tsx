import type { Metadata } from "next";

import { Alert } from "@/components/ui/alert";
import { LocalTime } from "@/components/ui/local-time";
import { PageHeader } from "@/components/ui/page-header";
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "@/components/ui/table";
import { verifyAuditChain } from "@/lib/audit";
import { requirePageActor } from "@/lib/auth/session";
import { db } from "@/lib/db";

export const metadata: Metadata = { title: "Audit log" };

const PAGE_SIZE = 200;

export default async function AuditLogPage() {
  await requirePageActor(["ADMIN"], "/admin/audit");
  const [events, verification] = await Promise.all([
    db.auditEvent.findMany({ orderBy: { seq: "desc" }, take: PAGE_SIZE }),
    verifyAuditChain(),
  ]);

  return (
    <>
      <PageHeader title="Audit log" description={`The latest ${PAGE_SIZE} events, newest first. Each event is chained to the one before by its hash.`} />
      {verification.ok ? (
        <Alert variant="success" title="Chain verified" className="mb-6">
          All {verification.events.toLocaleString()} events match their hashes and links.
        </Alert>
      ) : (
        <Alert variant="error" title="Chain broken" className="mb-6">
          Event #{String(verification.brokenAtSeq)}: {verification.reason}. The log may have been altered; investigate before trusting later events.
        </Alert>
      )}
      <Table>
        <TableHeader>
          <TableRow>
            <TableHead>#</TableHead>
            <TableHead>Time</TableHead>
            <TableHead>Actor</TableHead>
            <TableHead>Action</TableHead>
            <TableHead>Subject</TableHead>
            <TableHead>Hash</TableHead>
          </TableRow>
        </TableHeader>
        <TableBody>
          {events.map((event) => (
            <TableRow key={String(event.seq)}>
              <TableCell className="text-sm">{String(event.seq)}</TableCell>
              <TableCell className="text-sm">
                <LocalTime value={event.at.toISOString()} />
              </TableCell>
              <TableCell className="text-sm">{event.actorLabel}</TableCell>
              <TableCell className="font-mono text-sm">{event.action}</TableCell>
              <TableCell className="text-sm">
                {event.subjectType} <span className="font-mono text-muted-foreground">{event.subjectId}</span>
              </TableCell>
              <TableCell className="font-mono text-xs text-muted-foreground" title={event.hash}>
                {event.hash.slice(0, 12)}…
              </TableCell>
            </TableRow>
          ))}
        </TableBody>
      </Table>
    </>
  );
}

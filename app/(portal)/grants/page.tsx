import { KeyRound } from "lucide-react";
import type { Metadata } from "next";
import Link from "next/link";

import { EmptyState } from "@/components/ui/empty-state";
import { LocalTime } from "@/components/ui/local-time";
import { PageHeader } from "@/components/ui/page-header";
import { StatusBadge } from "@/components/ui/status-badge";
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "@/components/ui/table";
import { requirePageActor } from "@/lib/auth/session";
import { listGrantsForActor } from "@/lib/grants/access";

export const metadata: Metadata = { title: "Grants" };

export default async function GrantsPage() {
  const actor = await requirePageActor(["VENDOR", "APPROVER", "ADMIN"], "/grants");
  const grants = await listGrantsForActor(actor);

  return (
    <>
      <PageHeader title="Grants" description="Approved access windows, live ones first." />
      {grants.length === 0 ? (
        <EmptyState icon={KeyRound} title="No grants yet" description="A grant is created when a request is approved." />
      ) : (
        <Table>
          <TableHeader>
            <TableRow>
              <TableHead>Resource</TableHead>
              <TableHead>Vendor</TableHead>
              <TableHead>Holder</TableHead>
              <TableHead>Status</TableHead>
              <TableHead>Window</TableHead>
            </TableRow>
          </TableHeader>
          <TableBody>
            {grants.map((grant) => (
              <TableRow key={grant.id}>
                <TableCell className="text-sm">
                  <Link href={`/grants/${grant.id}`} className="font-medium text-primary underline-offset-4 hover:underline">
                    {grant.resource.name}
                  </Link>
                  <div className="text-muted-foreground">{grant.accessLevel}</div>
                </TableCell>
                <TableCell className="text-sm">{grant.vendor.name}</TableCell>
                <TableCell className="text-sm">{grant.holder.name}</TableCell>
                <TableCell>
                  <StatusBadge kind="grant" status={grant.status} />
                </TableCell>
                <TableCell className="text-sm">
                  <LocalTime value={grant.startsAt.toISOString()} /> – <LocalTime value={grant.endsAt.toISOString()} />
                </TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      )}
    </>
  );
}

import type { Metadata } from "next";

import { PageHeader } from "@/components/ui/page-header";
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "@/components/ui/table";
import { requirePageActor } from "@/lib/auth/session";
import { listVendorsForAdmin } from "@/lib/vendors/service";

import { RotateExternalIdButton } from "./rotate-button";

export const metadata: Metadata = { title: "Vendors" };

export default async function VendorsPage() {
  const actor = await requirePageActor(["ADMIN"], "/admin/vendors");
  const vendors = await listVendorsForAdmin(actor);

  return (
    <>
      <PageHeader
        title="Vendors"
        description="Vendors are declared in a config file applied with npm run config:apply. The ExternalId is shared only with the vendor's own users."
      />
      <Table>
        <TableHeader>
          <TableRow>
            <TableHead>Vendor</TableHead>
            <TableHead>AWS account</TableHead>
            <TableHead>ExternalId</TableHead>
            <TableHead>Users</TableHead>
            <TableHead>Live grants</TableHead>
            <TableHead>
              <span className="sr-only">Actions</span>
            </TableHead>
          </TableRow>
        </TableHeader>
        <TableBody>
          {vendors.map((vendor) => (
            <TableRow key={vendor.id}>
              <TableCell className="text-sm">
                <div className="font-medium">{vendor.name}</div>
                <div className="font-mono text-muted-foreground">{vendor.slug}</div>
              </TableCell>
              <TableCell className="font-mono text-sm">{vendor.awsAccountId ?? "—"}</TableCell>
              <TableCell className="text-sm">
                <details>
                  <summary className="cursor-pointer">
                    Show<span className="sr-only"> the ExternalId of {vendor.name}</span>
                  </summary>
                  <code className="font-mono break-all">{vendor.externalId}</code>
                </details>
              </TableCell>
              <TableCell className="text-sm">{vendor._count.users}</TableCell>
              <TableCell className="text-sm">{vendor._count.grants}</TableCell>
              <TableCell>
                <RotateExternalIdButton vendorId={vendor.id} vendorName={vendor.name} />
              </TableCell>
            </TableRow>
          ))}
        </TableBody>
      </Table>
    </>
  );
}

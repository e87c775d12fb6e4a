import type { Metadata } from "next";

import { EmptyState } from "@/components/ui/empty-state";
import { PageHeader } from "@/components/ui/page-header";
import { requirePageActor } from "@/lib/auth/session";
import { RESOURCE_KIND_LABELS } from "@/lib/describe";
import { listRequestableResources } from "@/lib/requests/service";

import { NewRequestForm } from "./new-request-form";

export const metadata: Metadata = { title: "New request" };

export default async function NewRequestPage() {
  const actor = await requirePageActor(["VENDOR"], "/requests/new");
  const resources = await listRequestableResources(actor);

  return (
    <>
      <PageHeader title="New access request" description="Ask for time-boxed access. An approver reviews every request." />
      {resources.length === 0 ? (
        <EmptyState
          title="No resources are offered to your organisation"
          description="Ask your contact at the company to offer you a resource, then come back here."
        />
      ) : (
        <NewRequestForm
          resources={resources.map((resource) => ({
            id: resource.id,
            name: resource.name,
            description: resource.description,
            kindLabel: RESOURCE_KIND_LABELS[resource.kind] ?? resource.kind,
            accessLevels: resource.accessLevels,
            maxDurationMinutes: resource.maxDurationMinutes,
          }))}
        />
      )}
    </>
  );
}

"use client";

import { useRouter } from "next/navigation";
import { useState } from "react";

import { Button } from "@/components/ui/button";
import { ConfirmDialog } from "@/components/ui/dialog";

import { rotateExternalIdAction } from "./actions";

export function RotateExternalIdButton({ vendorId, vendorName }: { vendorId: string; vendorName: string }) {
  const router = useRouter();
  const [open, setOpen] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [pending, setPending] = useState(false);

  async function rotate() {
    setPending(true);
    const result = await rotateExternalIdAction(vendorId);
    setPending(false);
    if (!result.ok) {
      setError(result.error);

      return;
    }
    setOpen(false);
    router.refresh();
  }

  return (
    <ConfirmDialog
      open={open}
      onOpenChange={setOpen}
      trigger={
        <Button variant="outline" size="sm" aria-label={`Rotate the ExternalId of ${vendorName}`}>
          Rotate
        </Button>
      }
      title={`Rotate the ExternalId of ${vendorName}?`}
      description={
        error ??
        "The vendor's roles are re-rendered with a new ExternalId. Sessions already issued keep working; the vendor needs the new value to assume its role from its own account."
      }
    >
      <Button variant="destructive" onClick={() => void rotate()} disabled={pending}>
        {pending ? "Rotating…" : "Rotate ExternalId"}
      </Button>
    </ConfirmDialog>
  );
}

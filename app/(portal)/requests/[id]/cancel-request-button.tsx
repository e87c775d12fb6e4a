"use client";

import { useRouter } from "next/navigation";
import { useState } from "react";

import { Button } from "@/components/ui/button";
import { ConfirmDialog } from "@/components/ui/dialog";

import { cancelRequestAction } from "../../actions";

/** Cancels the request; when it was already approved, the confirmation says its grant is revoked. */
export function CancelRequestButton({ requestId, revokesGrant }: { requestId: string; revokesGrant: boolean }) {
  const router = useRouter();
  const [open, setOpen] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [pending, setPending] = useState(false);

  async function cancel() {
    setPending(true);
    const result = await cancelRequestAction(requestId);
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
      trigger={<Button variant="outline">Cancel request</Button>}
      title="Cancel this request?"
      description={
        error ??
        (revokesGrant
          ? "The access this request granted ends at once: open sessions are terminated and no new credentials are issued."
          : "Approvers will no longer see it. You can send a new request later.")
      }
      cancelLabel="Keep it"
    >
      <Button variant="destructive" onClick={cancel} disabled={pending}>
        {pending ? "Cancelling…" : "Cancel request"}
      </Button>
    </ConfirmDialog>
  );
}

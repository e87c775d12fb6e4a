"use client";

import { useRouter } from "next/navigation";
import { useState } from "react";

import { Button } from "@/components/ui/button";

import { retryNotificationAction } from "./actions";

/** Queues a failed notification for another round of delivery attempts. */
export function RetryNotificationButton({ notificationId, label }: { notificationId: string; label: string }) {
  const router = useRouter();
  const [error, setError] = useState<string | null>(null);
  const [pending, setPending] = useState(false);

  async function retry() {
    setPending(true);
    setError(null);
    const result = await retryNotificationAction(notificationId);
    setPending(false);
    if (!result.ok) {
      setError(result.error);

      return;
    }
    router.refresh();
  }

  return (
    <div className="grid justify-items-start gap-1">
      <Button variant="outline" size="sm" onClick={() => void retry()} disabled={pending} aria-label={`Retry ${label}`}>
        {pending ? "Queuing…" : "Retry"}
      </Button>
      {error ? (
        <p role="alert" className="text-xs text-error-foreground">
          {error}
        </p>
      ) : null}
    </div>
  );
}

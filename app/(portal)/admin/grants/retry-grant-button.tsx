"use client";

import { useRouter } from "next/navigation";
import { useState } from "react";

import { Button } from "@/components/ui/button";

import { retryFailedGrantAction } from "./actions";

/** Retries a FAILED grant's activation, then reloads the page with the outcome in `?retried=`. */
export function RetryGrantButton({ grantId, label }: { grantId: string; label: string }) {
  const router = useRouter();
  const [error, setError] = useState<string | null>(null);
  const [pending, setPending] = useState(false);

  async function retry() {
    setPending(true);
    setError(null);
    const result = await retryFailedGrantAction(grantId);
    setPending(false);
    if (!result.ok) {
      setError(result.error);

      return;
    }
    router.push(`/admin/grants?retried=${encodeURIComponent(grantId)}`);
  }

  return (
    <div className="grid justify-items-start gap-1">
      <Button size="sm" variant="outline" onClick={retry} disabled={pending} aria-label={`Retry ${label}`}>
        {pending ? "Retrying…" : "Retry"}
      </Button>
      {error ? (
        <p role="alert" className="text-xs text-destructive">
          {error}
        </p>
      ) : null}
    </div>
  );
}

"use client";

import { useRouter } from "next/navigation";
import { useState } from "react";

import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import type { ReconcileSummary } from "@/lib/reconcile/report";

import { reconcileNowAction } from "./actions";

/** Runs the reconciler now and shows what it repaired and what failed. */
export function ReconcileNowButton() {
  const router = useRouter();
  const [summary, setSummary] = useState<ReconcileSummary | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [pending, setPending] = useState(false);

  async function reconcile() {
    setPending(true);
    setError(null);
    const result = await reconcileNowAction();
    setPending(false);
    if (!result.ok) {
      setSummary(null);
      setError(result.error);

      return;
    }
    setSummary(result.data);
    router.refresh();
  }

  return (
    <div className="grid gap-4">
      <div>
        <Button onClick={reconcile} disabled={pending}>
          {pending ? "Reconciling…" : "Reconcile now"}
        </Button>
      </div>
      <div role="status" className="grid gap-3">
        {error ? <Alert variant="error">{error}</Alert> : null}
        {summary ? <SummaryAlerts summary={summary} /> : null}
      </div>
    </div>
  );
}

function SummaryAlerts({ summary }: { summary: ReconcileSummary }) {
  const checked = `${summary.targetsChecked} ${summary.targetsChecked === 1 ? "target" : "targets"} checked`;

  return (
    <>
      {summary.repairs.length === 0 ? (
        <Alert variant="success" title="No drift found">
          {checked}; every one matched the database.
        </Alert>
      ) : (
        <Alert variant="warning" title={`${summary.repairs.length} ${summary.repairs.length === 1 ? "repair" : "repairs"} made`}>
          <p>{checked}. Each repair is in the audit log as reconcile.repaired.</p>
          <ul className="mt-2 list-disc pl-5">
            {summary.repairs.map((repair, index) => (
              <li key={`${repair.subject}-${index}`}>
                {repair.target}: <span className="font-mono">{repair.subject}</span> {repair.repair} ({repair.differences.join(", ")})
              </li>
            ))}
          </ul>
        </Alert>
      )}
      {summary.targetsSkipped.length > 0 ? (
        <Alert variant="info" title="Some targets were busy">
          Another reconciler was checking {summary.targetsSkipped.join(", ")}, so this run left them alone.
        </Alert>
      ) : null}
      {summary.failures.length > 0 ? (
        <Alert variant="error" title={`${summary.failures.length} ${summary.failures.length === 1 ? "check" : "checks"} failed`}>
          <ul className="list-disc pl-5">
            {summary.failures.map((failure, index) => (
              <li key={`${failure.target}-${index}`}>
                {failure.target}
                {failure.grantId ? ` (grant ${failure.grantId})` : ""}: {failure.message}
              </li>
            ))}
          </ul>
        </Alert>
      ) : null}
    </>
  );
}

"use client";

import { useRouter } from "next/navigation";
import { useState } from "react";

import { Alert } from "@/components/ui/alert";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardHeader, CardTitle } from "@/components/ui/card";
import { ConfirmDialog } from "@/components/ui/dialog";
import { LocalTime } from "@/components/ui/local-time";

import { revokeApiTokenAction } from "./actions";

export type TokenSummary = {
  id: string;
  name: string;
  prefix: string;
  expiresAt: string;
  lastUsedAt: string | null;
  state: "active" | "expired" | "revoked";
};

const STATE_BADGES = { active: "success", expired: "neutral", revoked: "error" } as const;

export function TokenList({ tokens }: { tokens: TokenSummary[] }) {
  const [error, setError] = useState<string | null>(null);

  return (
    <Card>
      <CardHeader>
        <CardTitle>Your tokens</CardTitle>
      </CardHeader>
      <CardContent className="grid gap-3">
        {error ? (
          <Alert variant="error" role="alert">
            {error}
          </Alert>
        ) : null}
        {tokens.length === 0 ? <p className="text-sm text-muted-foreground">You have no tokens.</p> : null}
        <ul className="grid gap-3">
          {tokens.map((token) => (
            <li key={token.id} className="flex flex-wrap items-center justify-between gap-3 border-b pb-3 text-sm last:border-b-0">
              <div>
                <div className="font-medium">
                  {token.name} <Badge variant={STATE_BADGES[token.state]}>{token.state}</Badge>
                </div>
                <div className="text-muted-foreground">
                  <code className="font-mono">{token.prefix}…</code> · expires <LocalTime value={token.expiresAt} />
                  {token.lastUsedAt ? (
                    <>
                      {" "}
                      · last used <LocalTime value={token.lastUsedAt} />
                    </>
                  ) : null}
                </div>
              </div>
              {token.state === "active" ? <RevokeTokenButton token={token} onError={setError} /> : null}
            </li>
          ))}
        </ul>
      </CardContent>
    </Card>
  );
}

/** Revokes a token after a confirmation, because every client that uses it stops working at once. */
function RevokeTokenButton({ token, onError }: { token: TokenSummary; onError: (message: string | null) => void }) {
  const router = useRouter();
  const [open, setOpen] = useState(false);
  const [pending, setPending] = useState(false);

  async function revoke() {
    setPending(true);
    onError(null);
    const result = await revokeApiTokenAction(token.id);
    setPending(false);
    setOpen(false);
    if (!result.ok) {
      onError(result.error);

      return;
    }
    router.refresh();
  }

  return (
    <ConfirmDialog
      open={open}
      onOpenChange={setOpen}
      trigger={
        <Button variant="outline" size="sm" aria-label={`Revoke token ${token.name}`}>
          Revoke
        </Button>
      }
      title={`Revoke token ${token.name}?`}
      description="Requests with this token are rejected from now on. This cannot be undone, so create a new token if you need one."
    >
      <Button variant="destructive" onClick={() => void revoke()} disabled={pending}>
        {pending ? "Revoking…" : "Revoke token"}
      </Button>
    </ConfirmDialog>
  );
}

import type { Metadata } from "next";

import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { PageHeader } from "@/components/ui/page-header";
import { requirePageActor } from "@/lib/auth/session";
import { listApiTokens, MAX_TOKEN_DAYS } from "@/lib/tokens/service";

import { CreateTokenForm } from "./create-token-form";
import { TokenList } from "./token-list";

export const metadata: Metadata = { title: "API tokens" };

export default async function ApiTokensPage() {
  const actor = await requirePageActor(["VENDOR", "APPROVER", "ADMIN"], "/settings/tokens");
  const tokens = await listApiTokens(actor);
  const now = new Date();

  return (
    <>
      <PageHeader
        title="API tokens"
        description="Tokens let scripts and the AWS CLI's credential_process fetch credentials for your grants without a browser."
      />
      <div className="grid gap-6 lg:grid-cols-2">
        <Card>
          <CardHeader>
            <CardTitle>New token</CardTitle>
            <CardDescription>The token is shown once. It expires after at most {MAX_TOKEN_DAYS} days, and you can revoke it at any time.</CardDescription>
          </CardHeader>
          <CardContent>
            <CreateTokenForm />
          </CardContent>
        </Card>
        <TokenList
          tokens={tokens.map((token) => ({
            id: token.id,
            name: token.name,
            prefix: token.prefix,
            expiresAt: token.expiresAt.toISOString(),
            lastUsedAt: token.lastUsedAt?.toISOString() ?? null,
            state: token.revokedAt ? "revoked" : token.expiresAt <= now ? "expired" : "active",
          }))}
        />
      </div>
    </>
  );
}

"use client";

import { useRouter } from "next/navigation";
import { useState } from "react";

import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { CodeBlock } from "@/components/ui/code-block";
import { CopyButton } from "@/components/ui/copy-button";
import { SecretReveal } from "@/components/ui/secret-reveal";

import { issueDatabasePasswordAction, type DatabasePasswordResult } from "../../actions";

export type DatabaseCredentialsProps = {
  grantId: string;
  host: string;
  port: number;
  database: string;
  user: string;
  /** Whether a password was issued before; the button then says it replaces it. */
  hasPassword: boolean;
};

export function DatabaseCredentials({ grantId, host, port, database, user, hasPassword }: DatabaseCredentialsProps) {
  const router = useRouter();
  const [issued, setIssued] = useState<DatabasePasswordResult | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [pending, setPending] = useState(false);
  const replaces = hasPassword || issued !== null;

  async function issuePassword() {
    setPending(true);
    setError(null);
    const result = await issueDatabasePasswordAction(grantId);
    setPending(false);
    if (!result.ok) {
      setError(result.error);

      return;
    }
    setIssued(result.data);
    // Refreshes the server-rendered list of issued credentials; this component keeps its state.
    router.refresh();
  }

  const rows: [string, string][] = [
    ["Host", host],
    ["Port", String(port)],
    ["Database", database],
    ["User", user],
  ];

  return (
    <Card>
      <CardHeader>
        <CardTitle>Database login</CardTitle>
        <CardDescription>A read-only login that stops working when the grant ends.</CardDescription>
      </CardHeader>
      <CardContent className="grid gap-5">
        <dl className="grid gap-2 text-sm sm:grid-cols-[7rem_1fr_auto] sm:items-center">
          {rows.map(([label, value]) => (
            <div key={label} className="contents">
              <dt className="text-muted-foreground">{label}</dt>
              <dd className="font-mono" data-testid={`db-${label.toLowerCase()}`}>
                {value}
              </dd>
              <dd>
                <CopyButton text={value} label={`Copy ${label.toLowerCase()}`} size="sm" variant="ghost" />
              </dd>
            </div>
          ))}
        </dl>

        {error ? <Alert variant="error">{error}</Alert> : null}

        {issued ? (
          <div className="grid gap-4">
            <SecretReveal label="Database password" secret={issued.password} copyLabel="Copy database password" headingLevel="h3" />
            <CodeBlock caption="Connect with psql" code={issued.psqlCommand} copyLabel="Copy psql command" />
            <CodeBlock caption="Connection URI" code={issued.connectionUri} copyLabel="Copy connection URI" />
          </div>
        ) : null}

        <div className="flex flex-wrap items-center gap-3">
          <Button onClick={issuePassword} disabled={pending} variant={replaces ? "outline" : "default"}>
            {pending ? "Setting password…" : replaces ? "New password" : "Create password"}
          </Button>
          <p className="text-sm text-muted-foreground">
            {replaces ? "A new password replaces the previous one at once." : "The password is shown once; you can replace it at any time."}
          </p>
        </div>
      </CardContent>
    </Card>
  );
}

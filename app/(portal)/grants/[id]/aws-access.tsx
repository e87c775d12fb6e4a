"use client";

import { useRouter } from "next/navigation";
import { useState } from "react";

import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { CodeBlock } from "@/components/ui/code-block";
import { LocalTime } from "@/components/ui/local-time";
import { SecretReveal } from "@/components/ui/secret-reveal";

import { issueAwsCredentialsAction, issueRdsTokenAction, type AwsCredentialsResult, type RdsTokenResult } from "../../actions";

export type AwsAccessProps = {
  grantId: string;
  kind: "S3_PREFIX" | "RDS_IAM";
  /** Base URL of the portal, for the credential_process command. */
  portalUrl: string;
  selfAssume: { roleArn: string; externalId: string; command: string } | null;
};

export function AwsAccess({ grantId, kind, portalUrl, selfAssume }: AwsAccessProps) {
  const router = useRouter();
  const [credentials, setCredentials] = useState<AwsCredentialsResult | null>(null);
  const [rdsToken, setRdsToken] = useState<RdsTokenResult | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [pending, setPending] = useState(false);

  async function getCredentials() {
    setPending(true);
    setError(null);
    const result = await issueAwsCredentialsAction(grantId);
    setPending(false);
    if (result.ok) {
      setCredentials(result.data);
      router.refresh();
    } else setError(result.error);
  }

  async function getRdsToken() {
    setPending(true);
    setError(null);
    const result = await issueRdsTokenAction(grantId);
    setPending(false);
    if (result.ok) {
      setRdsToken(result.data);
      router.refresh();
    } else setError(result.error);
  }

  const credentialProcess = [
    `[profile vap-${grantId}]`,
    `credential_process = sh -c 'curl --fail --silent -H "Authorization: Bearer $VAP_API_TOKEN" ${portalUrl}/api/v1/grants/${grantId}/credentials'`,
  ].join("\n");

  return (
    <Card>
      <CardHeader>
        <CardTitle>AWS access</CardTitle>
        <CardDescription>
          Temporary credentials of a role session limited to this grant. They never outlive the grant, and AWS sessions last at least 15 minutes.
        </CardDescription>
      </CardHeader>
      <CardContent className="grid gap-5">
        {error ? <Alert variant="error">{error}</Alert> : null}

        <div className="flex flex-wrap gap-3">
          <Button onClick={() => void getCredentials()} disabled={pending}>
            Get temporary credentials
          </Button>
          {kind === "RDS_IAM" ? (
            <Button variant="outline" onClick={() => void getRdsToken()} disabled={pending}>
              Get database auth token
            </Button>
          ) : null}
        </div>

        {credentials ? (
          <div className="grid gap-4">
            <p className="text-sm">
              Session of <code className="font-mono">{credentials.roleArn}</code>, valid until <LocalTime value={credentials.expiresAt} />.
              These values are shown once.
            </p>
            <CodeBlock caption="Shell exports" code={credentials.shellExports} copyLabel="Copy shell exports" />
            <CodeBlock caption={`~/.aws/credentials profile "${credentials.profileName}"`} code={credentials.credentialsProfile} copyLabel="Copy credentials profile" />
          </div>
        ) : null}

        {rdsToken ? (
          <div className="grid gap-4">
            <SecretReveal
              label="Database auth token"
              secret={rdsToken.token}
              copyLabel="Copy database auth token"
              headingLevel="h3"
              notice="RDS accepts this token for new connections for 15 minutes; get a new one whenever you need to reconnect."
            />
            <CodeBlock caption="Download the RDS CA bundle once" code={rdsToken.downloadCaBundleCommand} copyLabel="Copy CA bundle download command" />
            <CodeBlock caption="Connect with psql (TLS verified)" code={rdsToken.psqlCommand} copyLabel="Copy psql command" />
            <CodeBlock caption="Connection URI" code={rdsToken.connectionUri} copyLabel="Copy connection URI" />
          </div>
        ) : null}

        <CodeBlock
          caption="Fresh credentials on demand (AWS CLI credential_process; create an API token first and export it as VAP_API_TOKEN)"
          code={credentialProcess}
          copyLabel="Copy credential_process profile"
        />

        {selfAssume ? (
          <section aria-labelledby="self-assume-heading" className="grid gap-3">
            <h3 id="self-assume-heading" className="text-sm font-semibold">
              Assume the role from your own AWS account
            </h3>
            <dl className="grid gap-1 text-sm sm:grid-cols-[8rem_1fr]">
              <dt className="text-muted-foreground">Role ARN</dt>
              <dd className="font-mono break-all">{selfAssume.roleArn}</dd>
              <dt className="text-muted-foreground">ExternalId</dt>
              <dd className="font-mono break-all">{selfAssume.externalId}</dd>
            </dl>
            <CodeBlock caption="aws sts assume-role" code={selfAssume.command} copyLabel="Copy assume-role command" />
          </section>
        ) : null}
      </CardContent>
    </Card>
  );
}

import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";

import { Alert } from "@/components/ui/alert";
import { Card, CardContent, CardHeader, CardTitle } from "@/components/ui/card";
import { LocalTime } from "@/components/ui/local-time";
import { PageHeader } from "@/components/ui/page-header";
import { StatusBadge } from "@/components/ui/status-badge";
import { TimeLeft } from "@/components/ui/time-left";
import { requirePageActor, type Actor } from "@/lib/auth/session";
import { parseAwsResourceConfig, renderVendorPrefix } from "@/lib/backends/aws/role";
import { ZPostgresLoginConfig } from "@/lib/backends/postgres-login/config";
import { RESOURCE_KIND_LABELS } from "@/lib/describe";
import { isAppError } from "@/lib/errors";
import { db } from "@/lib/db";
import { formatMinutes } from "@/lib/domain/window";
import { env } from "@/lib/env";
import { getGrantForActor, listGrantObjects, listIssuances } from "@/lib/grants/access";
import { selfAssumeInstructions } from "@/lib/grants/aws-access";

import { AwsAccess } from "./aws-access";
import { DatabaseCredentials } from "./database-credentials";
import { ExtensionForm } from "./extension-form";
import { RevokeGrantButton } from "./revoke-grant-button";
import { S3Exchange } from "./s3-exchange";

export const metadata: Metadata = { title: "Grant" };

async function loadGrant(actor: Actor, id: string) {
  try {
    return await getGrantForActor(actor, id);
  } catch (error) {
    if (isAppError(error) && error.code === "NOT_FOUND") notFound();
    throw error;
  }
}

export default async function GrantPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  const actor = await requirePageActor(["VENDOR", "APPROVER", "ADMIN"], `/grants/${id}`);
  const grant = await loadGrant(actor, id);
  const issuances = await listIssuances(actor, id);
  const now = new Date();
  const usable = grant.status === "ACTIVE" && grant.startsAt <= now && now < grant.endsAt;
  const isHolder = grant.holderId === actor.id;
  const live = grant.status === "SCHEDULED" || grant.status === "ACTIVE" || grant.status === "FAILED";
  const lastUrlExpiry = issuances
    .filter((issuance) => issuance.kind === "PRESIGNED_GET" || issuance.kind === "PRESIGNED_PUT")
    .reduce<Date | null>((latest, issuance) => (latest === null || issuance.expiresAt > latest ? issuance.expiresAt : latest), null);
  const dbConfig = grant.resource.kind === "POSTGRES" ? ZPostgresLoginConfig.safeParse(grant.resource.config) : null;
  const pendingExtension = await db.accessRequest.findFirst({
    where: { extendsGrantId: grant.id, status: "PENDING" },
    select: { id: true, requestedEnd: true },
  });
  const isS3 = grant.resource.kind === "S3_PRESIGN" || grant.resource.kind === "S3_PREFIX";
  const isAws = grant.resource.kind === "S3_PREFIX" || grant.resource.kind === "RDS_IAM";
  const listing = usable && isHolder && isS3 ? await loadListing(actor, grant.id) : null;
  const selfAssume = usable && isAws && actor.role === "VENDOR" ? await loadSelfAssume(actor, grant.id) : null;

  return (
    <>
      <PageHeader
        title={grant.resource.name}
        description={`${RESOURCE_KIND_LABELS[grant.resource.kind] ?? grant.resource.kind} · ${grant.accessLevel} · ${grant.vendor.name}`}
        actions={
          <div className="flex items-center gap-3">
            <StatusBadge kind="grant" status={grant.status} />
            {live && actor.role !== "VENDOR" ? <RevokeGrantButton grantId={grant.id} mode="revoke" /> : null}
            {live && actor.role === "VENDOR" && isHolder ? <RevokeGrantButton grantId={grant.id} mode="give-up" /> : null}
          </div>
        }
      />

      <div className="grid gap-6 lg:grid-cols-3">
        <div className="grid gap-6 lg:col-span-2">
          {usable && isHolder && grant.resource.kind === "POSTGRES" && dbConfig?.success && grant.targetName ? (
            <DatabaseCredentials
              grantId={grant.id}
              host={dbConfig.data.host}
              port={dbConfig.data.port}
              database={dbConfig.data.database}
              user={grant.targetName}
              hasPassword={issuances.some((issuance) => issuance.kind === "DB_PASSWORD")}
            />
          ) : null}
          {usable && isHolder && isAws ? (
            <AwsAccess
              grantId={grant.id}
              kind={grant.resource.kind as "S3_PREFIX" | "RDS_IAM"}
              portalUrl={env.PORTAL_PUBLIC_URL ?? env.NEXTAUTH_URL}
              selfAssume={selfAssume}
            />
          ) : null}
          {usable && isHolder && isS3 ? (
            <S3Exchange
              grantId={grant.id}
              prefix={grant.resource.kind === "S3_PREFIX" ? awsPrefixOf(grant.resource, grant.vendor.slug) : (grant.targetName ?? "")}
              canUpload={grant.accessLevel === "upload" || grant.accessLevel === "read-write"}
              canDownload={grant.accessLevel === "read" || grant.accessLevel === "read-write"}
              initialListing={listing ?? { error: "The file list could not be loaded." }}
            />
          ) : null}
          {!usable ? (
            <Alert variant={grant.status === "FAILED" ? "error" : "info"} title={grantStateTitle(grant.status, grant.startsAt > now)}>
              {grant.status === "FAILED" && grant.lastError ? grant.lastError : grantStateText(grant.status)}
              {grant.status === "REVOKED" && grant.revokeReason ? <p className="mt-2">Reason: {grant.revokeReason}</p> : null}
            </Alert>
          ) : null}
          {grant.status === "REVOKED" && lastUrlExpiry && lastUrlExpiry > now ? (
            grant.resource.kind === "S3_PREFIX" ? (
              // These URLs are signed with the grant's role session, and revocation removed that
              // session's permissions, so S3 rejects them as soon as IAM has applied the change.
              <Alert variant="info" title="Links issued before the revocation no longer work">
                They were signed with this grant&apos;s AWS session, whose permissions the revocation removed. AWS applies the change within
                seconds.
              </Alert>
            ) : (
              <Alert variant="warning" title="Links issued before the revocation still work until they expire">
                Presigned URLs signed with static keys cannot be recalled. The last one issued for this grant stays valid until{" "}
                <LocalTime value={lastUrlExpiry.toISOString()} />.
              </Alert>
            )
          ) : null}
          {usable && !isHolder ? (
            <Alert variant="info">Credentials are issued only to {grant.holder.name}, who requested this access.</Alert>
          ) : null}

          {pendingExtension ? (
            <Alert variant="info" title="Extension waiting for review">
              Requested new end: <LocalTime value={pendingExtension.requestedEnd!.toISOString()} />.{" "}
              <Link href={`/requests/${pendingExtension.id}`} className="text-primary underline-offset-4 hover:underline">
                View the extension request
              </Link>
            </Alert>
          ) : null}
          {isHolder && actor.role === "VENDOR" && (grant.status === "ACTIVE" || grant.status === "SCHEDULED") && grant.endsAt > now && !pendingExtension ? (
            <ExtensionForm grantId={grant.id} maxEndLabel={`The whole grant may last at most ${formatMinutes(grant.resource.maxDurationMinutes)} from its start.`} />
          ) : null}

          <Card>
            <CardHeader>
              <CardTitle>Issued credentials</CardTitle>
            </CardHeader>
            <CardContent>
              {issuances.length === 0 ? (
                <p className="text-sm text-muted-foreground">Nothing has been issued for this grant yet.</p>
              ) : (
                <ul className="grid gap-2 text-sm">
                  {issuances.map((issuance) => (
                    <li key={issuance.id} className="flex flex-wrap justify-between gap-2 border-b pb-2 last:border-b-0">
                      <span>
                        {ISSUANCE_LABELS[issuance.kind] ?? issuance.kind}
                        {issuance.detail ? <span className="text-muted-foreground"> · {issuance.detail}</span> : null}
                      </span>
                      <span className="text-muted-foreground">
                        <LocalTime value={issuance.createdAt.toISOString()} /> · expires <LocalTime value={issuance.expiresAt.toISOString()} />
                      </span>
                    </li>
                  ))}
                </ul>
              )}
            </CardContent>
          </Card>
        </div>

        <Card>
          <CardHeader>
            <CardTitle>Window</CardTitle>
          </CardHeader>
          <CardContent>
            <dl className="grid gap-3 text-sm">
              <div>
                <dt className="text-muted-foreground">Starts</dt>
                <dd>
                  <LocalTime value={grant.startsAt.toISOString()} />
                </dd>
              </div>
              <div>
                <dt className="text-muted-foreground">Ends</dt>
                <dd>
                  <LocalTime value={grant.endsAt.toISOString()} />
                </dd>
              </div>
              {usable ? (
                <div>
                  <dt className="text-muted-foreground">Time left</dt>
                  <dd className="font-medium">
                    <TimeLeft until={grant.endsAt.toISOString()} />
                  </dd>
                </div>
              ) : null}
              <div>
                <dt className="text-muted-foreground">Holder</dt>
                <dd>{grant.holder.name}</dd>
              </div>
              <div>
                <dt className="text-muted-foreground">Request</dt>
                <dd>
                  <Link href={`/requests/${grant.requestId}`} className="text-primary underline-offset-4 hover:underline">
                    View request and history
                  </Link>
                </dd>
              </div>
            </dl>
          </CardContent>
        </Card>
      </div>
    </>
  );
}

/** Renders the vendor's S3 prefix of an S3_PREFIX grant, whose targetName is the role ARN; "" when the config is invalid. */
function awsPrefixOf(resource: { slug: string; kind: string; config: unknown }, vendorSlug: string): string {
  try {
    const parsed = parseAwsResourceConfig(resource);

    return parsed.kind === "S3_PREFIX" ? renderVendorPrefix(parsed.config, vendorSlug) : "";
  } catch (error) {
    if (isAppError(error)) return "";
    throw error;
  }
}

async function loadListing(actor: Actor, grantId: string) {
  try {
    const { objects, truncated } = await listGrantObjects(actor, grantId);

    return {
      objects: objects.map((object) => ({ key: object.key, size: object.size, lastModified: object.lastModified?.toISOString() ?? null })),
      truncated,
    };
  } catch (error) {
    if (isAppError(error)) return { error: error.message };
    throw error;
  }
}

async function loadSelfAssume(actor: Actor, grantId: string) {
  try {
    const instructions = await selfAssumeInstructions(actor, grantId);

    return instructions ? { roleArn: instructions.roleArn, externalId: instructions.externalId, command: instructions.command } : null;
  } catch (error) {
    if (isAppError(error)) return null;
    throw error;
  }
}

const ISSUANCE_LABELS: Record<string, string> = {
  DB_PASSWORD: "Database password",
  PRESIGNED_PUT: "Upload URL",
  PRESIGNED_GET: "Download URL",
  STS_CREDENTIALS: "Temporary AWS credentials",
  RDS_IAM_TOKEN: "RDS IAM auth token",
};

function grantStateTitle(status: string, startsLater: boolean): string {
  if (status === "SCHEDULED") return startsLater ? "Access has not started yet" : "Access is being provisioned";
  if (status === "FAILED") return "Provisioning failed";
  if (status === "REVOKED") return "Access was revoked";

  return "Access has ended";
}

function grantStateText(status: string): string {
  if (status === "SCHEDULED") return "Credentials become available here when the window starts. Reload the page then.";
  if (status === "REVOKED") return "No credentials can be issued. Ask for access again if you still need it.";

  return "No credentials can be issued for this grant. Send a new request if you need access again.";
}

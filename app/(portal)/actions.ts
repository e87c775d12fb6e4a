"use server";

import { revalidatePath } from "next/cache";

import { runAction, type ActionResult } from "@/lib/actions";
import { requireActor } from "@/lib/auth/session";
import { issueDatabasePassword, issueDownloadUrl, issueUploadUrl, listGrantObjects } from "@/lib/grants/access";
import { issueAwsCredentials, issueRdsToken } from "@/lib/grants/aws-access";
import { revokeGrantAsActor, type RevokeGrantInput } from "@/lib/grants/revoke";
import { createExtensionRequest } from "@/lib/requests/extension";
import { cancelRequest, createRequest } from "@/lib/requests/service";
import type { CreateExtensionInput, CreateRequestInput, ReviewInput } from "@/lib/requests/schemas";
import { reviewRequest, type ReviewOutcome } from "@/lib/reviews/service";

export async function createRequestAction(input: CreateRequestInput): Promise<ActionResult<{ id: string }>> {
  return runAction("createRequest", async () => {
    const actor = await requireActor(["VENDOR"]);
    const request = await createRequest(actor, input);
    revalidatePath("/requests");

    return { id: request.id };
  });
}

export async function cancelRequestAction(requestId: string): Promise<ActionResult<null>> {
  return runAction("cancelRequest", async () => {
    const actor = await requireActor(["VENDOR", "ADMIN"]);
    await cancelRequest(actor, requestId);
    revalidatePath(`/requests/${requestId}`);

    return null;
  });
}

export async function reviewRequestAction(input: ReviewInput): Promise<ActionResult<ReviewOutcome>> {
  return runAction("reviewRequest", async () => {
    const actor = await requireActor(["APPROVER", "ADMIN"]);
    const outcome = await reviewRequest(actor, input);
    revalidatePath("/reviews");
    revalidatePath(`/requests/${input.requestId}`);

    return outcome;
  });
}

export type DatabasePasswordResult = {
  password: string;
  host: string;
  port: number;
  database: string;
  user: string;
  psqlCommand: string;
  connectionUri: string;
  endsAt: string;
};

export async function issueDatabasePasswordAction(grantId: string): Promise<ActionResult<DatabasePasswordResult>> {
  return runAction("issueDatabasePassword", async () => {
    const actor = await requireActor(["VENDOR"]);
    const { password, details, endsAt } = await issueDatabasePassword(actor, grantId);

    return {
      password,
      host: details.host,
      port: details.port,
      database: details.database,
      user: details.user,
      psqlCommand: details.buildPsqlCommand(password),
      connectionUri: details.buildUri(password),
      endsAt: endsAt.toISOString(),
    };
  });
}

export type PresignedUpload = { url: string; method: string; headers: Record<string, string>; key: string; expiresAt: string };

export async function issueUploadUrlAction(grantId: string, fileName: string): Promise<ActionResult<PresignedUpload>> {
  return runAction("issueUploadUrl", async () => {
    const actor = await requireActor(["VENDOR"]);
    const upload = await issueUploadUrl(actor, grantId, fileName);

    return { url: upload.url, method: upload.method, headers: upload.headers, key: upload.key, expiresAt: upload.expiresAt.toISOString() };
  });
}

export async function issueDownloadUrlAction(grantId: string, key: string): Promise<ActionResult<{ url: string; expiresAt: string }>> {
  return runAction("issueDownloadUrl", async () => {
    const actor = await requireActor(["VENDOR"]);
    const download = await issueDownloadUrl(actor, grantId, key);

    return { url: download.url, expiresAt: download.expiresAt.toISOString() };
  });
}

export type ObjectSummary = { key: string; size: number; lastModified: string | null };

export async function listGrantObjectsAction(grantId: string): Promise<ActionResult<{ objects: ObjectSummary[]; truncated: boolean }>> {
  return runAction("listGrantObjects", async () => {
    const actor = await requireActor(["VENDOR"]);
    const listing = await listGrantObjects(actor, grantId);

    return {
      objects: listing.objects.map((object) => ({
        key: object.key,
        size: object.size,
        lastModified: object.lastModified ? object.lastModified.toISOString() : null,
      })),
      truncated: listing.truncated,
    };
  });
}

export async function revokeGrantAction(input: RevokeGrantInput): Promise<ActionResult<{ grantId: string }>> {
  return runAction("revokeGrant", async () => {
    const actor = await requireActor(["VENDOR", "APPROVER", "ADMIN"]);
    const result = await revokeGrantAsActor(actor, input);
    revalidatePath(`/grants/${result.grantId}`);

    return result;
  });
}

export async function createExtensionRequestAction(input: CreateExtensionInput): Promise<ActionResult<{ id: string }>> {
  return runAction("createExtensionRequest", async () => {
    const actor = await requireActor(["VENDOR"]);
    const request = await createExtensionRequest(actor, input);
    revalidatePath(`/grants/${input.grantId}`);

    return { id: request.id };
  });
}

export type AwsCredentialsResult = {
  shellExports: string;
  credentialsProfile: string;
  credentialProcessJson: string;
  profileName: string;
  expiresAt: string;
  roleArn: string;
};

export async function issueAwsCredentialsAction(grantId: string): Promise<ActionResult<AwsCredentialsResult>> {
  return runAction("issueAwsCredentials", async () => {
    const actor = await requireActor(["VENDOR"]);
    const issued = await issueAwsCredentials(actor, grantId);

    return {
      shellExports: issued.shellExports,
      credentialsProfile: issued.credentialsProfile,
      credentialProcessJson: issued.credentialProcessJson,
      profileName: issued.profileName,
      expiresAt: issued.session.credentials.expiration.toISOString(),
      roleArn: issued.session.roleArn,
    };
  });
}

export type RdsTokenResult = { token: string; usableUntil: string; psqlCommand: string; connectionUri: string; downloadCaBundleCommand: string };

export async function issueRdsTokenAction(grantId: string): Promise<ActionResult<RdsTokenResult>> {
  return runAction("issueRdsToken", async () => {
    const actor = await requireActor(["VENDOR"]);
    const token = await issueRdsToken(actor, grantId);

    return {
      token: token.token,
      usableUntil: token.usableUntil.toISOString(),
      psqlCommand: token.psqlCommand,
      connectionUri: token.uri,
      downloadCaBundleCommand: token.downloadCaBundleCommand,
    };
  });
}

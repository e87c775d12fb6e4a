import "server-only";

import { GetCallerIdentityCommand } from "@aws-sdk/client-sts";

import { env } from "@/lib/env";
import { AppError } from "@/lib/errors";

import type { AwsClients } from "./clients";
import { toSetupError } from "./errors";

const ASSUMED_ROLE_ARN = /^arn:(aws[\w-]*):sts::(\d{12}):assumed-role\/([\w+=,.@-]+)\/[\w+=,.@-]+$/;

/**
 * Converts the caller ARN that sts:GetCallerIdentity returns into the principal ARN that a trust
 * policy names: the role ARN for a role session, the ARN itself for an IAM user.
 *
 * NOTE: a role session ARN does not contain the role's path, so this returns `role/<name>`, which
 * is only right for a role at the path `/`. Set AWS_PORTAL_PRINCIPAL_ARN for a role under a path.
 */
export function principalArnOfCaller(callerArn: string): string {
  const session = ASSUMED_ROLE_ARN.exec(callerArn);
  if (session) {
    const [, partition, accountId, roleName] = session;

    return `arn:${partition}:iam::${accountId}:role/${roleName}`;
  }
  if (/^arn:aws[\w-]*:iam::\d{12}:user\/[\w+=,.@/-]+$/.test(callerArn)) return callerArn;

  throw new AppError(
    "MISCONFIGURED",
    `The portal runs as ${callerArn}, which a trust policy cannot name. Run it as an IAM role or user, or set AWS_PORTAL_PRINCIPAL_ARN.`,
  );
}

const principalArnByClients = new WeakMap<AwsClients, Promise<string>>();

/**
 * Returns the ARN of the portal's own identity for vendor role trust policies: AWS_PORTAL_PRINCIPAL_ARN
 * when set, otherwise derived from sts:GetCallerIdentity, once per set of clients.
 */
export async function resolvePortalPrincipalArn(clients: AwsClients): Promise<string> {
  if (env.AWS_PORTAL_PRINCIPAL_ARN) return env.AWS_PORTAL_PRINCIPAL_ARN;

  let principalArn = principalArnByClients.get(clients);
  if (!principalArn) {
    principalArn = clients.sts
      .send(new GetCallerIdentityCommand({}))
      .then((identity) => principalArnOfCaller(identity.Arn ?? ""))
      .catch((error: unknown) => {
        // A failure is not cached, so the next call tries STS again.
        principalArnByClients.delete(clients);
        if (error instanceof AppError) throw error;

        throw (
          toSetupError(error) ??
          new AppError("PROVISIONING_FAILED", "sts:GetCallerIdentity failed, so the portal cannot name itself in trust policies. Check its AWS credentials.", { cause: error })
        );
      });
    principalArnByClients.set(clients, principalArn);
  }

  return principalArn;
}

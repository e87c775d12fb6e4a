// Instructions for a vendor to assume its role from its own AWS account. Pure: no I/O. The ExternalId
// in the result is a secret shared with the vendor: show it only to the vendor's users and admins.

import { SESSION_TAG_GRANT, type PolicyDocument } from "@/lib/backends/aws/policies";
import { AppError } from "@/lib/errors";

import { parseAwsResourceConfig, vendorRoleOf } from "./role";
import { roleSessionNameFor } from "./session-names";
import { computeSessionDuration, type SessionGrant } from "./session-duration";
import type { SessionResource, SessionUser } from "./sts";

export type SelfAssumeInput = {
  grant: SessionGrant;
  /** The user who will run the command; their email goes into the suggested session name. */
  user: SessionUser;
  vendor: { slug: string; externalId: string; awsAccountId: string | null };
  resource: SessionResource;
  now: Date;
};

export type SelfAssumeInstructions = {
  roleArn: string;
  externalId: string;
  /** The vendor's account, which the trust policy admits during the grant window. */
  vendorAccountId: string;
  roleSessionName: string;
  /**
   * Session length the command requests: the time left in the grant, at most the role's
   * MaxSessionDuration. AWS caps it at 3600 when the vendor runs the command with role credentials.
   */
  durationSeconds: number;
  /** The session tag the trust policy requires; without it AssumeRole is denied. */
  tags: { Key: string; Value: string }[];
  /** `aws sts assume-role` command, one argument per line. */
  command: string;
  /** Identity policy that the vendor's IAM principal needs in its own account to run the command. */
  callerPolicy: PolicyDocument;
};

function shellQuote(value: string): string {
  return /^[\w+=,.@:/-]+$/.test(value) ? value : `'${value.replaceAll("'", `'\\''`)}'`;
}

/**
 * Describes how the vendor assumes the grant's role from its own account: the role ARN, the
 * ExternalId and the exact `aws sts assume-role` command with the grant's session tag. Throws
 * AppError INVALID_STATE when the vendor has no AWS account on record or less than 15 minutes remain.
 */
export function describeSelfAssume(input: SelfAssumeInput): SelfAssumeInstructions {
  const { vendor } = input;
  if (!vendor.awsAccountId) {
    throw new AppError(
      "INVALID_STATE",
      "This vendor has no AWS account on record, so the role cannot be assumed from the vendor's account. Ask an admin to add the account id, or use the temporary credentials instead.",
    );
  }

  const role = vendorRoleOf(parseAwsResourceConfig(input.resource), vendor.slug);
  const durationSeconds = computeSessionDuration({ grant: input.grant, now: input.now, maxSessionSeconds: role.maxSessionSeconds });
  const roleSessionName = roleSessionNameFor(input.grant.id, input.user.email);
  const tags = [{ Key: SESSION_TAG_GRANT, Value: input.grant.id }];

  const command = [
    "aws sts assume-role",
    `--role-arn ${shellQuote(role.roleArn)}`,
    `--role-session-name ${shellQuote(roleSessionName)}`,
    `--external-id ${shellQuote(vendor.externalId)}`,
    `--tags ${shellQuote(`Key=${SESSION_TAG_GRANT},Value=${input.grant.id}`)}`,
    `--duration-seconds ${durationSeconds}`,
  ].join(" \\\n  ");

  return {
    roleArn: role.roleArn,
    externalId: vendor.externalId,
    vendorAccountId: vendor.awsAccountId,
    roleSessionName,
    durationSeconds,
    tags,
    command,
    callerPolicy: {
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Action: ["sts:AssumeRole", "sts:TagSession"], Resource: role.roleArn }],
    },
  };
}

// The vendor role's inline permission policy and the per-grant session policy. Pure: no I/O.

import { AppError } from "@/lib/errors";

import { S3_LEVEL_ACTIONS } from "../config";
import {
  PRINCIPAL_TAG_GRANT_KEY,
  assertLiteralPolicyValue,
  assertUniqueStatementIds,
  assertValidGrantId,
  assertValidWindow,
  mergeConditions,
  statementIdPrefix,
  windowCondition,
  type PolicyCondition,
} from "./conditions";
import type { PermissionPolicyOptions, PolicyDocument, PolicyStatement, RevokedGrant, RoleGrant } from "./types";

type S3Grant = Extract<RoleGrant, { kind: "S3_PREFIX" }>;
type RdsGrant = Extract<RoleGrant, { kind: "RDS_IAM" }>;

const SSE_HEADER_KEY = "s3:x-amz-server-side-encryption";
const SSE_KMS_KEY_ID_KEY = "s3:x-amz-server-side-encryption-aws-kms-key-id";

const KMS_KEY_ARN = /^arn:aws[\w-]*:kms:([a-z0-9-]+):\d{12}:key\/[\w-]+$/;

/**
 * Rejects a prefix that could match more than its own folder. A prefix must end in "/", because
 * `vendor-uploads/acme*` would also match `vendor-uploads/acme-corp/`, and it must not contain a
 * character that IAM reads as a wildcard or a policy variable.
 */
export function assertGrantablePrefix(prefix: string): void {
  assertLiteralPolicyValue(prefix, "S3 prefix");

  if (!prefix.endsWith("/") || prefix === "/") {
    throw new AppError(
      "MISCONFIGURED",
      `S3 prefix "${prefix}" cannot be granted: it must end with / and name a folder, such as vendor-uploads/acme/, so that it never matches a sibling folder that starts with the same characters.`,
    );
  }
}

function assertValidGrant(grant: RoleGrant): void {
  assertValidGrantId(grant.grantId);
  assertValidWindow(grant.grantId, grant.startsAt, grant.endsAt);

  if (grant.kind === "S3_PREFIX") {
    assertLiteralPolicyValue(grant.bucket, "S3 bucket name");
    assertGrantablePrefix(grant.prefix);
    if (grant.encryption.type === "aws:kms") kmsKeyRegion(grant.encryption.kmsKeyArn);
  } else {
    assertLiteralPolicyValue(grant.region, "AWS region");
    assertLiteralPolicyValue(grant.accountId, "AWS account id");
    assertLiteralPolicyValue(grant.resourceId, "RDS resource id");
    assertLiteralPolicyValue(grant.dbUser, "Database user");
    if (grant.resourceId.includes("/") || grant.dbUser.includes("/")) {
      throw new AppError("MISCONFIGURED", `Grant ${grant.grantId}: the RDS resource id and database user must not contain /.`);
    }
  }
}

function kmsKeyRegion(kmsKeyArn: string): string {
  const match = KMS_KEY_ARN.exec(kmsKeyArn);
  if (!match) {
    throw new AppError("MISCONFIGURED", `KMS key "${kmsKeyArn}" is not a KMS key ARN such as arn:aws:kms:eu-west-1:123456789012:key/<key-id>.`);
  }

  return match[1]!;
}

function bucketArn(grant: S3Grant): string {
  return `arn:${grant.partition ?? "aws"}:s3:::${grant.bucket}`;
}

function objectArnPattern(grant: S3Grant): string {
  return `arn:${grant.partition ?? "aws"}:s3:::${grant.bucket}/${grant.prefix}*`;
}

function dbUserArn(grant: RdsGrant): string {
  return `arn:${grant.partition ?? "aws"}:rds-db:${grant.region}:${grant.accountId}:dbuser:${grant.resourceId}/${grant.dbUser}`;
}

function uploads(grant: S3Grant): boolean {
  return (S3_LEVEL_ACTIONS[grant.level] as readonly string[]).includes("s3:PutObject");
}

/**
 * Lists the KMS actions SSE-KMS needs from the caller. The S3 User Guide names kms:GenerateDataKey
 * and kms:Decrypt for uploading an SSE-KMS object, and a read needs kms:Decrypt only.
 */
function kmsActions(grant: S3Grant): string[] {
  return uploads(grant) ? ["kms:GenerateDataKey", "kms:Decrypt"] : ["kms:Decrypt"];
}

/**
 * Conditions on every Allow statement of a grant in the role's permission policy.
 *
 * Each grant's statements are tied to its own session tag: the portal issues sessions tagged
 * `vap-grant=<grantId>`, and a self-assumed session must carry such a tag by the trust policy.
 * Removing a revoked grant's statements therefore cuts off the sessions already issued for it,
 * while sessions of the vendor's other grants (other tag values) keep working. The documented
 * alternative, a Deny on `aws:TokenIssueTime` earlier than the revocation, would cut off every
 * session of the role issued before the revocation, other grants' included, and must stay in
 * place for the role's maximum session duration. Tags are exact and per grant; the cost is that
 * every session must be tagged, and a session without a `vap-grant` tag can do nothing.
 */
function grantAllowConditions(grant: RoleGrant, extra: PolicyCondition = {}): PolicyCondition {
  return mergeConditions(
    { StringEquals: { [PRINCIPAL_TAG_GRANT_KEY]: grant.grantId } },
    windowCondition(grant.startsAt, grant.endsAt),
    extra,
  );
}

function vpcEndpointCondition(grant: S3Grant): PolicyCondition {
  return grant.requiredVpcEndpointId ? { StringEquals: { "aws:SourceVpce": grant.requiredVpcEndpointId } } : {};
}

function listBucketStatement(grant: S3Grant, conditions: PolicyCondition): PolicyStatement {
  return {
    Sid: `${statementIdPrefix(grant.grantId)}List`,
    Effect: "Allow",
    Action: "s3:ListBucket",
    Resource: bucketArn(grant),
    Condition: mergeConditions({ StringLike: { "s3:prefix": [grant.prefix, `${grant.prefix}*`] } }, conditions),
  };
}

function objectStatement(grant: S3Grant, conditions: PolicyCondition): PolicyStatement {
  const actions = [...S3_LEVEL_ACTIONS[grant.level]];

  return {
    Sid: `${statementIdPrefix(grant.grantId)}Objects`,
    Effect: "Allow",
    Action: actions.length === 1 ? actions[0]! : actions,
    Resource: objectArnPattern(grant),
    Condition: conditions,
  };
}

function kmsStatement(grant: S3Grant, kmsKeyArn: string, conditions: PolicyCondition): PolicyStatement {
  return {
    Sid: `${statementIdPrefix(grant.grantId)}Kms`,
    Effect: "Allow",
    Action: kmsActions(grant),
    Resource: kmsKeyArn,
    // kms:ViaService limits the key to requests that S3 makes in the key's region for the session.
    Condition: mergeConditions({ StringEquals: { "kms:ViaService": `s3.${kmsKeyRegion(kmsKeyArn)}.amazonaws.com` } }, conditions),
  };
}

/** Upload grants that share a bucket, prefix and encryption setting, and so share their encryption denies. */
type EncryptionGroup = { grants: S3Grant[] };

function encryptionGroupKey(grant: S3Grant): string {
  const kmsKeyArn = grant.encryption.type === "aws:kms" ? grant.encryption.kmsKeyArn : "";

  return JSON.stringify([grant.bucket, grant.prefix, grant.encryption.type, kmsKeyArn]);
}

function groupUploadGrants(grants: readonly S3Grant[]): EncryptionGroup[] {
  const groups = new Map<string, EncryptionGroup>();

  for (const grant of grants.filter(uploads)) {
    const key = encryptionGroupKey(grant);
    const group = groups.get(key) ?? { grants: [] };
    group.grants.push(grant);
    groups.set(key, group);
  }

  return [...groups.values()];
}

/**
 * Denies uploads under a prefix that do not ask for the configured server-side encryption. IAM
 * evaluates a negated operator such as StringNotEquals as true when the key is missing, so the
 * second statement alone would also deny a missing header. The Null statement states that case on
 * its own, so a reader of the policy does not have to know that rule.
 *
 * The denies apply to sessions tagged with one of the group's grants, so a grant on the same prefix
 * with another encryption setting is not blocked by them, and one set serves every grant of the
 * group. They carry no window, because outside its window a grant allows nothing to deny.
 *
 * NOTE: UploadPart requests of a multipart upload are authorized as s3:PutObject and carry no
 * encryption header (only CreateMultipartUpload does). Whether these denies block UploadPart is not
 * checked against S3, and a simulator cannot show which keys S3 puts in that request's context.
 * Single PUTs, presigned ones included, are not affected.
 */
function encryptionDenyStatements(group: EncryptionGroup): PolicyStatement[] {
  const grantIds = group.grants.map((grant) => grant.grantId).sort();
  const first = group.grants.find((grant) => grant.grantId === grantIds[0])!;
  const sidPrefix = statementIdPrefix(first.grantId);
  const tagCondition = { StringEquals: { [PRINCIPAL_TAG_GRANT_KEY]: grantIds.length === 1 ? grantIds[0]! : grantIds } };
  const deny = (suffix: string, condition: PolicyCondition): PolicyStatement => ({
    Sid: `${sidPrefix}${suffix}`,
    Effect: "Deny",
    Action: "s3:PutObject",
    Resource: objectArnPattern(first),
    Condition: mergeConditions(tagCondition, condition),
  });

  const statements = [
    deny("DenyNoSse", { Null: { [SSE_HEADER_KEY]: "true" } }),
    deny("DenyWrongSse", { StringNotEquals: { [SSE_HEADER_KEY]: first.encryption.type } }),
  ];

  if (first.encryption.type === "aws:kms") {
    statements.push(deny("DenyWrongKey", { StringNotEquals: { [SSE_KMS_KEY_ID_KEY]: first.encryption.kmsKeyArn } }));
  }

  return statements;
}

function s3AllowStatements(grant: S3Grant): PolicyStatement[] {
  const allowConditions = grantAllowConditions(grant, vpcEndpointCondition(grant));
  const statements = [listBucketStatement(grant, allowConditions), objectStatement(grant, allowConditions)];

  if (grant.encryption.type === "aws:kms") {
    // The KMS request comes from S3, not through the vendor's VPC endpoint, so it has no aws:SourceVpce.
    statements.push(kmsStatement(grant, grant.encryption.kmsKeyArn, grantAllowConditions(grant)));
  }

  return statements;
}

function rdsStatement(grant: RdsGrant, conditions: PolicyCondition): PolicyStatement {
  return {
    Sid: `${statementIdPrefix(grant.grantId)}Connect`,
    Effect: "Allow",
    Action: "rds-db:connect",
    Resource: dbUserArn(grant),
    Condition: conditions,
  };
}

/**
 * Denies everything to sessions of recently revoked grants. Removing a grant's statements already
 * cuts its sessions off, but IAM applies policy changes with a delay (eventual consistency). The
 * explicit deny is a second barrier during that delay, and stays while the caller passes the grant.
 */
function revokedGrantsStatement(revokedGrants: readonly RevokedGrant[]): PolicyStatement | undefined {
  const grantIds = [...new Set(revokedGrants.map((revoked) => revoked.grantId))].sort();
  if (grantIds.length === 0) return undefined;

  grantIds.forEach(assertValidGrantId);

  return {
    Sid: "DenyRevokedGrants",
    Effect: "Deny",
    Action: "*",
    Resource: "*",
    Condition: { StringEquals: { [PRINCIPAL_TAG_GRANT_KEY]: grantIds.length === 1 ? grantIds[0]! : grantIds } },
  };
}

/**
 * Renders the role's inline permission policy from its grants: for each grant that has not ended at
 * `now`, statements limited to the grant's resources, its level, its window and its session tag.
 * A grant that is also listed in `revokedGrants` is denied, because the explicit deny wins.
 * Returns a policy with no statements when there is nothing to render; IAM rejects that, so
 * delete the inline policy instead of writing it.
 */
export function renderPermissionPolicy(grants: readonly RoleGrant[], options: PermissionPolicyOptions): PolicyDocument {
  grants.forEach(assertValidGrant);

  const live = grants.filter((grant) => grant.endsAt > options.now);
  const statements: PolicyStatement[] = [];

  for (const grant of live) {
    if (grant.kind === "S3_PREFIX") {
      statements.push(...s3AllowStatements(grant));
    } else {
      statements.push(rdsStatement(grant, grantAllowConditions(grant)));
    }
  }

  const s3Grants = live.filter((grant): grant is S3Grant => grant.kind === "S3_PREFIX");
  for (const group of groupUploadGrants(s3Grants)) {
    statements.push(...encryptionDenyStatements(group));
  }

  const revokedStatement = revokedGrantsStatement(options.revokedGrants ?? []);
  if (revokedStatement) statements.push(revokedStatement);

  assertUniqueStatementIds(statements);

  return { Version: "2012-10-17", Statement: statements };
}

/**
 * Renders the session policy passed to AssumeRole when the portal issues a session for one grant.
 * It narrows the session to that grant's resources, actions and window. It needs no tag condition
 * or encryption denies: a session's permissions are the intersection of the session policy and the
 * role's permission policy, whose statements for this grant already carry them.
 */
export function renderSessionPolicy(grant: RoleGrant): PolicyDocument {
  assertValidGrant(grant);

  const window = windowCondition(grant.startsAt, grant.endsAt);
  const statements: PolicyStatement[] = [];

  if (grant.kind === "S3_PREFIX") {
    statements.push(listBucketStatement(grant, window), objectStatement(grant, window));
    if (grant.encryption.type === "aws:kms") {
      statements.push(kmsStatement(grant, grant.encryption.kmsKeyArn, window));
    }
  } else {
    statements.push(rdsStatement(grant, window));
  }

  return { Version: "2012-10-17", Statement: statements };
}

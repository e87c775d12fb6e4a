// The IAM policies an operator attaches when setting the portal up in an AWS account. They are
// rendered here, rather than only written in the docs, so the simulator tests prove what they allow.
import type { PolicyDocument } from "../policies/types";

export type PortalIdentityInput = {
  accountId: string;
  /** AWS partition of the account (aws, aws-cn or aws-us-gov); aws when unset. */
  partition?: string;
  /** IAM path of the vendor roles, such as "/vendor-access/". */
  rolePath: string;
  /** Name of the managed policy every vendor role carries as its permissions boundary. */
  boundaryPolicyName: string;
};

export type BoundaryInput = {
  accountId: string;
  /** AWS partition of the account (aws, aws-cn or aws-us-gov); aws when unset. */
  partition?: string;
  /** Exchange buckets, and the key prefix under which every vendor prefix lives ("vendor-uploads/"). */
  exchange: { bucket: string; prefixRoot: string }[];
  /** RDS Proxy or instance resource ids vendors may connect to with IAM auth. */
  rds: { region: string; resourceId: string }[];
};

export function boundaryPolicyArn(input: PortalIdentityInput): string {
  return `arn:${input.partition ?? "aws"}:iam::${input.accountId}:policy${input.rolePath}${input.boundaryPolicyName}`;
}

/**
 * The portal's own identity policy. The portal may change only roles under the vendor path that
 * carry the boundary (iam:PermissionsBoundary is evaluated by PutRolePolicy, DeleteRolePolicy,
 * UpdateAssumeRolePolicy and GetRole), may issue sessions only for those roles, and may never
 * remove or change the boundary, so nothing it writes can exceed what the boundary allows.
 */
export function renderPortalIdentityPolicy(input: PortalIdentityInput): PolicyDocument {
  const vendorRoles = `arn:${input.partition ?? "aws"}:iam::${input.accountId}:role${input.rolePath}*`;
  const boundary = boundaryPolicyArn(input);

  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "WriteVendorRolePolicies",
        Effect: "Allow",
        Action: ["iam:GetRole", "iam:PutRolePolicy", "iam:DeleteRolePolicy", "iam:UpdateAssumeRolePolicy"],
        Resource: vendorRoles,
        Condition: { StringEquals: { "iam:PermissionsBoundary": boundary } },
      },
      {
        // These two actions do not evaluate iam:PermissionsBoundary, so they cannot carry the condition.
        Sid: "ReadVendorRolePolicies",
        Effect: "Allow",
        Action: ["iam:GetRolePolicy", "iam:ListRolePolicies"],
        Resource: vendorRoles,
      },
      {
        Sid: "IssueVendorSessions",
        Effect: "Allow",
        Action: ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"],
        Resource: vendorRoles,
      },
      {
        Sid: "NeverTouchBoundaries",
        Effect: "Deny",
        Action: [
          "iam:DeleteRolePermissionsBoundary",
          "iam:PutRolePermissionsBoundary",
          "iam:AttachRolePolicy",
          "iam:CreateRole",
          "iam:CreatePolicyVersion",
          "iam:DeletePolicy",
          "iam:DeletePolicyVersion",
          "iam:SetDefaultPolicyVersion",
        ],
        Resource: "*",
      },
    ],
  };
}

/**
 * The permissions boundary of every vendor role: the most any grant can ever give, whatever the
 * portal writes into the role's inline policy.
 */
export function renderVendorRoleBoundary(input: BoundaryInput): PolicyDocument {
  const partition = input.partition ?? "aws";
  const statements: PolicyDocument["Statement"] = [];
  for (const { bucket, prefixRoot } of input.exchange) {
    statements.push(
      {
        Sid: `List${sidPart(bucket)}`,
        Effect: "Allow",
        Action: "s3:ListBucket",
        Resource: `arn:${partition}:s3:::${bucket}`,
        Condition: { StringLike: { "s3:prefix": [`${prefixRoot}*`] } },
      },
      {
        Sid: `Objects${sidPart(bucket)}`,
        Effect: "Allow",
        Action: ["s3:GetObject", "s3:PutObject"],
        Resource: `arn:${partition}:s3:::${bucket}/${prefixRoot}*`,
      },
    );
  }
  if (input.rds.length > 0) {
    statements.push({
      Sid: "ConnectThroughIamAuth",
      Effect: "Allow",
      Action: "rds-db:connect",
      Resource: input.rds.map(({ region, resourceId }) => `arn:${partition}:rds-db:${region}:${input.accountId}:dbuser:${resourceId}/*`),
    });
  }

  return { Version: "2012-10-17", Statement: statements };
}

function sidPart(text: string): string {
  return text.replace(/[^A-Za-z0-9]/g, "");
}

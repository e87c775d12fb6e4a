// Inputs of the pure policy renderers. Times are UTC; windows are half-open [startsAt, endsAt).

/** One live grant on a vendor role, as the renderers see it. */
export type RoleGrant =
  | {
      kind: "S3_PREFIX";
      grantId: string;
      /** AWS partition of the bucket (aws, aws-cn or aws-us-gov); aws when unset. */
      partition?: string;
      startsAt: Date;
      endsAt: Date;
      level: "read" | "upload" | "read-write";
      bucket: string;
      /** The vendor's rendered prefix, always ending in "/". */
      prefix: string;
      encryption: { type: "AES256" } | { type: "aws:kms"; kmsKeyArn: string };
      requiredVpcEndpointId?: string;
    }
  | {
      kind: "RDS_IAM";
      grantId: string;
      /** AWS partition of the database (aws, aws-cn or aws-us-gov); aws when unset. */
      partition?: string;
      startsAt: Date;
      endsAt: Date;
      region: string;
      accountId: string;
      resourceId: string;
      dbUser: string;
    };

export type TrustPolicyInput = {
  /** ARN of the portal's own identity, which may always assume the role to issue sessions. */
  portalPrincipalArn: string;
  /** The vendor's AWS account, if it assumes the role itself; trust windows are rendered only then. */
  vendorAccountId: string | null;
  /** AWS partition of the role, and so of the vendor's account ARN; aws when unset. */
  partition?: string;
  externalId: string;
  grants: readonly RoleGrant[];
};

export type PolicyLimits = {
  /** Role trust policy, default 2,048 characters (an account quota that can be raised). */
  trustPolicyMaxChars: number;
  /** All inline policies of a role together: 10,240 characters. */
  inlinePoliciesMaxChars: number;
  /** Session policy passed to AssumeRole: 2,048 characters. */
  sessionPolicyMaxChars: number;
};

export const DEFAULT_POLICY_LIMITS: PolicyLimits = {
  trustPolicyMaxChars: 2048,
  inlinePoliciesMaxChars: 10_240,
  sessionPolicyMaxChars: 2048,
};

/** Session tag keys the portal sets on every session it issues, and that vendors must set when self-assuming. */
export const SESSION_TAG_GRANT = "vap-grant";
export const SESSION_TAG_USER = "vap-user";

export type PolicyDocument = {
  Version: "2012-10-17";
  Statement: PolicyStatement[];
};

export type PolicyStatement = {
  Sid?: string;
  Effect: "Allow" | "Deny";
  Principal?: Record<string, string | string[]> | "*";
  Action: string | string[];
  Resource?: string | string[];
  Condition?: Record<string, Record<string, string | string[] | boolean>>;
};

/** A grant revoked recently enough that sessions issued for it before the revocation may still be live. */
export type RevokedGrant = { grantId: string; revokedAt: Date };

export type TrustPolicyOptions = {
  now: Date;
  /** Whether overlapping or touching grant windows share one trust statement, which saves space. On by default. */
  mergeWindows?: boolean;
};

export type PermissionPolicyOptions = {
  now: Date;
  /** Grants whose sessions get an explicit deny. Each one costs space, so pass only those revoked recently. */
  revokedGrants?: readonly RevokedGrant[];
};

/** Policy sizes in characters, counted as IAM counts them (whitespace outside strings excluded). */
export type PolicySizes = {
  trustPolicyChars: number;
  permissionPolicyChars: number;
};

export type PolicySizeProblem = {
  policy: "trust" | "permission" | "session";
  limit: keyof PolicyLimits;
  chars: number;
  maxChars: number;
  overBy: number;
  /** Sentence naming the limit, the excess and what to do, safe to show to an admin. */
  message: string;
};

export type RoleStateInput = {
  trustInput: Omit<TrustPolicyInput, "grants">;
  grants: readonly RoleGrant[];
  now: Date;
  revokedGrants?: readonly RevokedGrant[];
  limits?: PolicyLimits;
  mergeTrustWindows?: boolean;
};

/** The whole desired state of one vendor role, rendered from its grants. */
export type RoleState = {
  trustPolicy: PolicyDocument;
  /** The role's one inline permission policy, or null when it has nothing to allow or deny and should be deleted. */
  permissionPolicy: PolicyDocument | null;
  sizes: PolicySizes;
  /** Empty when both policies fit. IAM rejects a policy over its limit, so write neither policy while this is not empty. */
  problems: PolicySizeProblem[];
};

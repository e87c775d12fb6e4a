// Grants and accounts shared by the policy tests. Test-only: nothing outside *.test.ts imports this.

import type { RoleGrant, TrustPolicyInput } from "./types";

export const ROLE_ACCOUNT = "111122223333";
export const VENDOR_ACCOUNT = "444455556666";
export const OTHER_ACCOUNT = "777788889999";

export const ROLE_ARN = `arn:aws:iam::${ROLE_ACCOUNT}:role/vendor-access/vap-acme`;
export const PORTAL_ROLE_ARN = `arn:aws:iam::${ROLE_ACCOUNT}:role/vendor-access-portal`;
export const EXTERNAL_ID = "3f2b8c1e-6d4a-4b9e-9a7f-2c5d8e1f0a3b";

export const BUCKET = "acme-vendor-exchange";
export const PREFIX = "vendor-uploads/acme/";
export const SIBLING_PREFIX = "vendor-uploads/acme-corp/";
export const KMS_KEY_ARN = `arn:aws:kms:eu-west-1:${ROLE_ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
export const OTHER_KMS_KEY_ARN = `arn:aws:kms:eu-west-1:${ROLE_ACCOUNT}:key/99999999-12ab-34cd-56ef-1234567890ab`;
export const VPC_ENDPOINT_ID = "vpce-0a1b2c3d4e5f67890";

export const NOW = new Date("2026-03-01T08:00:00Z");

/** Returns the time `hours` after NOW. */
export const hoursFromNow = (hours: number) => new Date(NOW.getTime() + hours * 3_600_000);

type S3GrantOverrides = Partial<Extract<RoleGrant, { kind: "S3_PREFIX" }>>;
type RdsGrantOverrides = Partial<Extract<RoleGrant, { kind: "RDS_IAM" }>>;

/** Builds an S3 grant from hour 1 to hour 9 after NOW, reading under PREFIX with SSE-S3. */
export function s3Grant(overrides: S3GrantOverrides = {}): RoleGrant {
  return {
    kind: "S3_PREFIX",
    grantId: "grantS3",
    startsAt: hoursFromNow(1),
    endsAt: hoursFromNow(9),
    level: "read",
    bucket: BUCKET,
    prefix: PREFIX,
    encryption: { type: "AES256" },
    ...overrides,
  };
}

/** Builds an RDS IAM grant from hour 1 to hour 9 after NOW. */
export function rdsGrant(overrides: RdsGrantOverrides = {}): RoleGrant {
  return {
    kind: "RDS_IAM",
    grantId: "grantRds",
    startsAt: hoursFromNow(1),
    endsAt: hoursFromNow(9),
    region: "eu-west-1",
    accountId: ROLE_ACCOUNT,
    resourceId: "prx-0123abcd",
    dbUser: "vendor_ro",
    ...overrides,
  };
}

export function trustInput(grants: RoleGrant[], overrides: Partial<TrustPolicyInput> = {}): TrustPolicyInput {
  return {
    portalPrincipalArn: PORTAL_ROLE_ARN,
    vendorAccountId: VENDOR_ACCOUNT,
    externalId: EXTERNAL_ID,
    grants,
    ...overrides,
  };
}

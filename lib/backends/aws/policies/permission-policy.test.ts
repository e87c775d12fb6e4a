import { describe, expect, test } from "vitest";

import { AppError } from "@/lib/errors";

import { assertGrantablePrefix, renderPermissionPolicy, renderSessionPolicy } from "./permission-policy";
import {
  BUCKET,
  KMS_KEY_ARN,
  NOW,
  PREFIX,
  ROLE_ACCOUNT,
  VPC_ENDPOINT_ID,
  hoursFromNow,
  rdsGrant,
  s3Grant,
} from "./test-fixtures";
import type { PolicyStatement } from "./types";

const WINDOW = {
  DateGreaterThanEquals: { "aws:CurrentTime": "2026-03-01T09:00:00Z" },
  DateLessThan: { "aws:CurrentTime": "2026-03-01T17:00:00Z" },
};
const OBJECTS = `arn:aws:s3:::${BUCKET}/${PREFIX}*`;

const bySid = (statements: PolicyStatement[]) => Object.fromEntries(statements.map((s) => [s.Sid, s]));

describe("renderPermissionPolicy for S3", () => {
  test("read grant statements", () => {
    const policy = renderPermissionPolicy([s3Grant()], { now: NOW });

    expect(policy).toEqual({
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "grantS3List",
          Effect: "Allow",
          Action: "s3:ListBucket",
          Resource: `arn:aws:s3:::${BUCKET}`,
          Condition: {
            StringLike: { "s3:prefix": [PREFIX, `${PREFIX}*`] },
            StringEquals: { "aws:PrincipalTag/vap-grant": "grantS3" },
            ...WINDOW,
          },
        },
        {
          Sid: "grantS3Objects",
          Effect: "Allow",
          Action: "s3:GetObject",
          Resource: OBJECTS,
          Condition: { StringEquals: { "aws:PrincipalTag/vap-grant": "grantS3" }, ...WINDOW },
        },
      ],
    });
  });

  test.each([
    ["read", "s3:GetObject", []],
    ["upload", "s3:PutObject", ["grantS3DenyNoSse", "grantS3DenyWrongSse"]],
    ["read-write", ["s3:GetObject", "s3:PutObject"], ["grantS3DenyNoSse", "grantS3DenyWrongSse"]],
  ] as const)("%s level actions and denies", (level, actions, denySids) => {
    const policy = renderPermissionPolicy([s3Grant({ level })], { now: NOW });
    const statements = bySid(policy.Statement);

    expect(statements.grantS3Objects!.Action).toEqual(actions);
    expect(policy.Statement.filter((s) => s.Effect === "Deny").map((s) => s.Sid)).toEqual(denySids);
  });

  test("resources in the grant's partition", () => {
    const policy = renderPermissionPolicy(
      [s3Grant({ grantId: "g-s3", partition: "aws-cn", level: "read-write" }), rdsGrant({ grantId: "g-rds", partition: "aws-cn", region: "cn-north-1" })],
      { now: NOW },
    );
    const resources = policy.Statement.flatMap((statement) => (Array.isArray(statement.Resource) ? statement.Resource : [statement.Resource ?? ""]));

    expect(resources.length).toBeGreaterThan(0);
    expect(resources.filter((resource) => !resource.startsWith("arn:aws-cn:"))).toEqual([]);
  });

  test("upload denies for SSE-S3", () => {
    const statements = bySid(renderPermissionPolicy([s3Grant({ level: "upload" })], { now: NOW }).Statement);

    expect(statements.grantS3DenyNoSse).toEqual({
      Sid: "grantS3DenyNoSse",
      Effect: "Deny",
      Action: "s3:PutObject",
      Resource: OBJECTS,
      Condition: {
        StringEquals: { "aws:PrincipalTag/vap-grant": "grantS3" },
        Null: { "s3:x-amz-server-side-encryption": "true" },
      },
    });
    expect(statements.grantS3DenyWrongSse!.Condition).toEqual({
      StringEquals: { "aws:PrincipalTag/vap-grant": "grantS3" },
      StringNotEquals: { "s3:x-amz-server-side-encryption": "AES256" },
    });
  });

  test("upload with KMS adds key statements", () => {
    const grant = s3Grant({ level: "upload", encryption: { type: "aws:kms", kmsKeyArn: KMS_KEY_ARN } });
    const statements = bySid(renderPermissionPolicy([grant], { now: NOW }).Statement);

    expect(statements.grantS3DenyWrongSse!.Condition!.StringNotEquals).toEqual({ "s3:x-amz-server-side-encryption": "aws:kms" });
    expect(statements.grantS3DenyWrongKey!.Condition!.StringNotEquals).toEqual({
      "s3:x-amz-server-side-encryption-aws-kms-key-id": KMS_KEY_ARN,
    });
    expect(statements.grantS3Kms).toEqual({
      Sid: "grantS3Kms",
      Effect: "Allow",
      Action: ["kms:GenerateDataKey", "kms:Decrypt"],
      Resource: KMS_KEY_ARN,
      Condition: {
        StringEquals: { "kms:ViaService": "s3.eu-west-1.amazonaws.com", "aws:PrincipalTag/vap-grant": "grantS3" },
        ...WINDOW,
      },
    });
  });

  test("read with KMS may only decrypt", () => {
    const grant = s3Grant({ encryption: { type: "aws:kms", kmsKeyArn: KMS_KEY_ARN } });
    const statements = bySid(renderPermissionPolicy([grant], { now: NOW }).Statement);

    expect(statements.grantS3Kms!.Action).toEqual(["kms:Decrypt"]);
    expect(statements.grantS3DenyWrongKey).toBeUndefined();
  });

  test("VPC endpoint required on S3 allows only", () => {
    const grant = s3Grant({ level: "upload", requiredVpcEndpointId: VPC_ENDPOINT_ID, encryption: { type: "aws:kms", kmsKeyArn: KMS_KEY_ARN } });
    const statements = bySid(renderPermissionPolicy([grant], { now: NOW }).Statement);

    expect(statements.grantS3List!.Condition!.StringEquals!["aws:SourceVpce"]).toBe(VPC_ENDPOINT_ID);
    expect(statements.grantS3Objects!.Condition!.StringEquals!["aws:SourceVpce"]).toBe(VPC_ENDPOINT_ID);
    expect(statements.grantS3Kms!.Condition!.StringEquals!["aws:SourceVpce"]).toBeUndefined();
    expect(statements.grantS3DenyNoSse!.Condition!.StringEquals!["aws:SourceVpce"]).toBeUndefined();
  });

  test("grants on one prefix share denies", () => {
    const grants = [
      s3Grant({ grantId: "b2", level: "upload" }),
      s3Grant({ grantId: "a1", level: "read-write", startsAt: hoursFromNow(10), endsAt: hoursFromNow(12) }),
      s3Grant({ grantId: "c3" }),
    ];
    const denies = renderPermissionPolicy(grants, { now: NOW }).Statement.filter((s) => s.Effect === "Deny");

    expect(denies.map((s) => s.Sid)).toEqual(["a1DenyNoSse", "a1DenyWrongSse"]);
    expect(denies[0]!.Condition!.StringEquals).toEqual({ "aws:PrincipalTag/vap-grant": ["a1", "b2"] });
  });

  test("other encryption on one prefix gets own denies", () => {
    const grants = [
      s3Grant({ grantId: "a1", level: "upload" }),
      s3Grant({ grantId: "b2", level: "upload", encryption: { type: "aws:kms", kmsKeyArn: KMS_KEY_ARN } }),
    ];
    const denies = renderPermissionPolicy(grants, { now: NOW }).Statement.filter((s) => s.Effect === "Deny");

    expect(denies.map((s) => s.Sid)).toEqual(["a1DenyNoSse", "a1DenyWrongSse", "b2DenyNoSse", "b2DenyWrongSse", "b2DenyWrongKey"]);
    expect(denies[1]!.Condition!.StringEquals).toEqual({ "aws:PrincipalTag/vap-grant": "a1" });
    expect(denies[3]!.Condition!.StringEquals).toEqual({ "aws:PrincipalTag/vap-grant": "b2" });
  });
});

describe("renderPermissionPolicy for RDS", () => {
  test("connect statement for the db user", () => {
    expect(renderPermissionPolicy([rdsGrant()], { now: NOW }).Statement).toEqual([
      {
        Sid: "grantRdsConnect",
        Effect: "Allow",
        Action: "rds-db:connect",
        Resource: `arn:aws:rds-db:eu-west-1:${ROLE_ACCOUNT}:dbuser:prx-0123abcd/vendor_ro`,
        Condition: { StringEquals: { "aws:PrincipalTag/vap-grant": "grantRds" }, ...WINDOW },
      },
    ]);
  });

  test.each([
    ["resource id with /", { resourceId: "prx-1/x" }],
    ["db user with wildcard", { dbUser: "vendor*" }],
    ["db user with variable", { dbUser: "${aws:username}" }],
  ])("rejects %s", (_name, overrides) => {
    expect(() => renderPermissionPolicy([rdsGrant(overrides)], { now: NOW })).toThrow(AppError);
  });
});

describe("renderPermissionPolicy for the role", () => {
  test("leaves out ended grants", () => {
    const ended = s3Grant({ grantId: "ended", startsAt: hoursFromNow(-5), endsAt: NOW });
    const policy = renderPermissionPolicy([ended, rdsGrant()], { now: NOW });

    expect(policy.Statement.map((s) => s.Sid)).toEqual(["grantRdsConnect"]);
  });

  test("keeps scheduled grants", () => {
    const scheduled = rdsGrant({ startsAt: hoursFromNow(48), endsAt: hoursFromNow(50) });

    expect(renderPermissionPolicy([scheduled], { now: NOW }).Statement).toHaveLength(1);
  });

  test("no grants gives no statements", () => {
    expect(renderPermissionPolicy([], { now: NOW }).Statement).toEqual([]);
  });

  test("revoked grants get one deny", () => {
    const policy = renderPermissionPolicy([rdsGrant()], {
      now: NOW,
      revokedGrants: [
        { grantId: "r2", revokedAt: NOW },
        { grantId: "r1", revokedAt: NOW },
        { grantId: "r2", revokedAt: hoursFromNow(-1) },
      ],
    });

    expect(policy.Statement.at(-1)).toEqual({
      Sid: "DenyRevokedGrants",
      Effect: "Deny",
      Action: "*",
      Resource: "*",
      Condition: { StringEquals: { "aws:PrincipalTag/vap-grant": ["r1", "r2"] } },
    });
  });

  test("Sid keeps only letters and digits", () => {
    const policy = renderPermissionPolicy([rdsGrant({ grantId: "g-1.a" })], { now: NOW });

    expect(policy.Statement[0]!.Sid).toBe("g1aConnect");
  });

  test("rejects colliding Sids", () => {
    const grants = [rdsGrant({ grantId: "g-1" }), rdsGrant({ grantId: "g_1" })];

    expect(() => renderPermissionPolicy(grants, { now: NOW })).toThrow("statement id g1Connect");
  });

  test("rejects a KMS key that is not an ARN", () => {
    const grant = s3Grant({ encryption: { type: "aws:kms", kmsKeyArn: "alias/vendor" } });

    expect(() => renderPermissionPolicy([grant], { now: NOW })).toThrow("is not a KMS key ARN");
  });
});

describe("assertGrantablePrefix", () => {
  test.each(["vendor-uploads/acme/", "a/", "vendor uploads/acme corp/"])("accepts %j", (prefix) => {
    expect(() => assertGrantablePrefix(prefix)).not.toThrow();
  });

  test.each(["vendor-uploads/acme", "", "/", "vendor-uploads/*/", "vendor-uploads/acme?/", "vendor-uploads/${aws:username}/"])(
    "rejects %j",
    (prefix) => {
      expect(() => assertGrantablePrefix(prefix)).toThrow(AppError);
    },
  );

  test("renderer rejects a prefix without /", () => {
    expect(() => renderPermissionPolicy([s3Grant({ prefix: "vendor-uploads/acme" })], { now: NOW })).toThrow("must end with /");
  });
});

describe("renderSessionPolicy", () => {
  test("S3 session has allows without tag", () => {
    const policy = renderSessionPolicy(s3Grant({ level: "upload", requiredVpcEndpointId: VPC_ENDPOINT_ID }));

    expect(policy).toEqual({
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "grantS3List",
          Effect: "Allow",
          Action: "s3:ListBucket",
          Resource: `arn:aws:s3:::${BUCKET}`,
          Condition: { StringLike: { "s3:prefix": [PREFIX, `${PREFIX}*`] }, ...WINDOW },
        },
        { Sid: "grantS3Objects", Effect: "Allow", Action: "s3:PutObject", Resource: OBJECTS, Condition: WINDOW },
      ],
    });
  });

  test("KMS session may use the key", () => {
    const policy = renderSessionPolicy(s3Grant({ encryption: { type: "aws:kms", kmsKeyArn: KMS_KEY_ARN } }));

    expect(policy.Statement.map((s) => s.Sid)).toEqual(["grantS3List", "grantS3Objects", "grantS3Kms"]);
    expect(policy.Statement[2]!.Condition).toEqual({
      StringEquals: { "kms:ViaService": "s3.eu-west-1.amazonaws.com" },
      ...WINDOW,
    });
  });

  test("RDS session connects as the db user", () => {
    expect(renderSessionPolicy(rdsGrant()).Statement).toEqual([
      {
        Sid: "grantRdsConnect",
        Effect: "Allow",
        Action: "rds-db:connect",
        Resource: `arn:aws:rds-db:eu-west-1:${ROLE_ACCOUNT}:dbuser:prx-0123abcd/vendor_ro`,
        Condition: WINDOW,
      },
    ]);
  });
});

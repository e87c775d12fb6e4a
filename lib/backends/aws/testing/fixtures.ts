// Resource configs and clients shared by the AWS provider's tests. No request leaves the process:
// clients get static credentials (so the SDK never calls the instance metadata service) and either
// a fake request handler or an aws-sdk-client-mock stub.

import { STSClient } from "@aws-sdk/client-sts";

import { createAwsClients, type AwsClients } from "../clients";
import type { FakeIam } from "./fake-iam";

export const ACCOUNT_ID = "111111111111";
export const VENDOR_ACCOUNT_ID = "222222222222";
export const PORTAL_PRINCIPAL_ARN = `arn:aws:iam::${ACCOUNT_ID}:role/vendor-access-portal`;
export const EXTERNAL_ID = "ext-0123456789abcdef0123456789abcdef";

export const ROLE_CONFIG = { accountId: ACCOUNT_ID, roleNameTemplate: "vap-{vendor}", rolePath: "/vendor-access/", maxSessionSeconds: 3600 };

export const S3_CONFIG = {
  region: "eu-west-1",
  bucket: "vendor-exchange",
  prefixTemplate: "vendor-uploads/{vendor}/",
  encryption: { type: "AES256" },
  role: ROLE_CONFIG,
};

export const KMS_KEY_ARN = `arn:aws:kms:eu-west-1:${ACCOUNT_ID}:key/0b1c2d3e-4f5a-6b7c-8d9e-0f1a2b3c4d5e`;

export const S3_KMS_CONFIG = { ...S3_CONFIG, encryption: { type: "aws:kms", kmsKeyArn: KMS_KEY_ARN } };

export const RDS_CONFIG = {
  region: "eu-west-1",
  endpoint: "replica-proxy.proxy-abc123.eu-west-1.rds.amazonaws.com",
  port: 5432,
  resourceId: "prx-0123abcd",
  database: "warehouse",
  dbUser: "vendor_readonly",
  role: ROLE_CONFIG,
};

export const STATIC_TEST_CREDENTIALS = { accessKeyId: "AKIDTESTTEST", secretAccessKey: "test-secret-key" };

/** Clients whose IAM calls go to `fake` through the SDK's full middleware stack, retries included. */
export function clientsWithFakeIam(fake: FakeIam, options: { maxAttempts?: number } = {}): AwsClients {
  return createAwsClients({
    region: "us-east-1",
    credentials: STATIC_TEST_CREDENTIALS,
    requestHandler: fake.requestHandler,
    maxAttempts: options.maxAttempts ?? 3,
  });
}

/** Clients for tests that stub STS with aws-sdk-client-mock. */
export function clientsWithStubbedSts(): AwsClients & { sts: STSClient } {
  return createAwsClients({ region: "eu-west-1", credentials: STATIC_TEST_CREDENTIALS });
}

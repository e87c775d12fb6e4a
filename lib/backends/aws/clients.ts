import "server-only";

import { IAMClient, type IAMClientConfig } from "@aws-sdk/client-iam";
import { S3Client } from "@aws-sdk/client-s3";
import { STSClient } from "@aws-sdk/client-sts";
import { Signer } from "@aws-sdk/rds-signer";

/** Temporary credentials of one role session, as STS returns them. A bearer secret: never log or store it. */
export type SessionCredentials = {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  expiration: Date;
};

/**
 * The AWS clients of the provider. Tests pass their own (mocked or with a fake request handler);
 * production code takes the process-wide set from getAwsClients().
 */
export type AwsClients = {
  /** IAM with the portal's own identity, for writing trust and permission policies. */
  iam: IAMClient;
  /** STS with the portal's own identity, for AssumeRole into vendor roles. */
  sts: STSClient;
  /** S3 signed with a role session, for presigned URLs. Presigning sends no request. */
  createSessionS3Client(input: { region: string; credentials: SessionCredentials }): S3Client;
  /** RDS IAM auth token signer with a role session. Signing sends no request. */
  createRdsSigner(input: { region: string; hostname: string; port: number; username: string; credentials: SessionCredentials }): Signer;
};

export type AwsClientOptions = {
  /**
   * Attempts per request, first try included, for the SDK's standard retry mode (exponential backoff
   * with full jitter, longer for throttling). Unset, the SDK reads AWS_MAX_ATTEMPTS or uses 3.
   */
  maxAttempts?: number;
  /** For tests only; unset, the SDK uses the default provider chain. */
  credentials?: IAMClientConfig["credentials"];
  /** For tests only; unset, the SDK reads AWS_REGION or the shared config file. */
  region?: string;
  /** For tests only: returns responses without a network, so the SDK's own retry and parsing still run. */
  requestHandler?: IAMClientConfig["requestHandler"];
};

/**
 * Creates the clients. Region, credentials (default provider chain: environment, shared files, SSO,
 * container and instance roles) and endpoints (AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_IAM, _STS, _S3)
 * come from the SDK's standard sources, so the same code runs against AWS or a local emulator.
 */
export function createAwsClients(options: AwsClientOptions = {}): AwsClients {
  const shared = {
    retryMode: "standard",
    ...(options.maxAttempts === undefined ? {} : { maxAttempts: options.maxAttempts }),
    ...(options.credentials === undefined ? {} : { credentials: options.credentials }),
    ...(options.region === undefined ? {} : { region: options.region }),
    ...(options.requestHandler === undefined ? {} : { requestHandler: options.requestHandler }),
  };

  return {
    iam: new IAMClient(shared),
    sts: new STSClient(shared),
    createSessionS3Client: ({ region, credentials }) =>
      new S3Client({
        region,
        credentials,
        // By default the SDK signs a CRC32 checksum of an empty body into presigned PUT URLs, and S3
        // then rejects every non-empty upload through them.
        requestChecksumCalculation: "WHEN_REQUIRED",
        responseChecksumValidation: "WHEN_REQUIRED",
      }),
    createRdsSigner: ({ region, hostname, port, username, credentials }) => new Signer({ region, hostname, port, username, credentials }),
  };
}

let processClients: AwsClients | undefined;

/** Returns the process-wide clients, created on first use. */
export function getAwsClients(): AwsClients {
  processClients ??= createAwsClients();

  return processClients;
}

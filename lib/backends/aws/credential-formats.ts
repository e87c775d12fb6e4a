// Ways to hand temporary AWS credentials to a vendor. Pure: no I/O. Every output contains the
// secret access key and session token, so show or download it once and never log it.

import type { SessionCredentials } from "./clients";

/** Quotes a value for POSIX shells: inside single quotes only `'` itself needs escaping. */
function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

/** Formats `export` lines for a POSIX shell, with AWS_REGION when given. */
export function formatShellExports(credentials: SessionCredentials, options: { region?: string } = {}): string {
  const lines = [
    `# Temporary AWS credentials; they expire at ${credentials.expiration.toISOString()}.`,
    `export AWS_ACCESS_KEY_ID=${shellQuote(credentials.accessKeyId)}`,
    `export AWS_SECRET_ACCESS_KEY=${shellQuote(credentials.secretAccessKey)}`,
    `export AWS_SESSION_TOKEN=${shellQuote(credentials.sessionToken)}`,
  ];
  if (options.region) lines.push(`export AWS_REGION=${shellQuote(options.region)}`);

  return `${lines.join("\n")}\n`;
}

/**
 * Reduces text to a profile name that the AWS CLI and SDKs read back unchanged: letters, digits and
 * `_.-`, never empty.
 */
export function sanitizeProfileName(name: string): string {
  const sanitized = name.replace(/[^A-Za-z0-9_.-]+/g, "-").replace(/^-+|-+$/g, "");

  return sanitized || "vendor-access";
}

/** Formats a profile block for `~/.aws/credentials`, for use with `--profile <name>` or AWS_PROFILE. */
export function formatCredentialsProfile(credentials: SessionCredentials, profileName: string): string {
  return [
    `[${sanitizeProfileName(profileName)}]`,
    `# Expires at ${credentials.expiration.toISOString()}.`,
    `aws_access_key_id = ${credentials.accessKeyId}`,
    `aws_secret_access_key = ${credentials.secretAccessKey}`,
    `aws_session_token = ${credentials.sessionToken}`,
    "",
  ].join("\n");
}

/**
 * Formats the JSON that a `credential_process` command prints, in the format of the AWS CLI and SDKs
 * (Version 1). The SDK treats the credentials as expired at `Expiration` and runs the process again.
 */
export function formatCredentialProcessJson(credentials: SessionCredentials): string {
  return JSON.stringify({
    Version: 1,
    AccessKeyId: credentials.accessKeyId,
    SecretAccessKey: credentials.secretAccessKey,
    SessionToken: credentials.sessionToken,
    Expiration: credentials.expiration.toISOString(),
  });
}

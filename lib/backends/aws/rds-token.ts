import "server-only";

import { AppError } from "@/lib/errors";

import { getAwsClients, type AwsClients, type SessionCredentials } from "./clients";
import type { RdsIamConfig } from "./config";
import { parseAwsResourceConfig } from "./role";
import { assertGrantRunning, issueSigningSession, type IssueSessionInput, type SessionGrant } from "./sts";

/** RDS accepts an IAM auth token for 15 minutes after signing; @aws-sdk/rds-signer signs it for exactly that. */
export const RDS_AUTH_TOKEN_SECONDS = 900;

export type RdsAuthTokenInput = {
  config: RdsIamConfig;
  grant: SessionGrant;
  /** Role session credentials to sign with. */
  credentials: SessionCredentials;
  now: Date;
  clients?: AwsClients;
};

/** An IAM auth token with ready connection details. The token, `uri` and `psqlCommand` are secrets. */
export type RdsAuthToken = {
  token: string;
  /** When RDS stops accepting the token for new connections: 15 minutes after signing, or the session's expiration if earlier. */
  expiresAt: Date;
  /** The earlier of `expiresAt` and the grant end: the role's rds-db:connect statement ends with the grant. */
  usableUntil: Date;
  host: string;
  port: number;
  database: string;
  user: string;
  /** File name that `sslrootcert` names; download it from `caBundleUrl` first. */
  caBundleFile: string;
  caBundleUrl: string;
  /** `curl` command that downloads the CA bundle under `caBundleFile`. */
  downloadCaBundleCommand: string;
  /** postgresql:// URI with the token as password, sslmode=verify-full and sslrootcert. */
  uri: string;
  /** `psql` command that passes the token in PGPASSWORD, so it stays out of the process list. */
  psqlCommand: string;
};

function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

/** Quotes a value for a libpq keyword=value connection string, when it has a space, quote or backslash. */
function conninfoQuote(value: string): string {
  if (/^[^\s'\\]+$/.test(value)) return value;

  return `'${value.replaceAll("\\", "\\\\").replaceAll("'", "\\'")}'`;
}

/** Returns the CA bundle's file name, from the last segment of its URL. */
export function caBundleFileName(caBundleUrl: string): string {
  const lastSegment = new URL(caBundleUrl).pathname.split("/").at(-1) ?? "";
  const sanitized = lastSegment.replace(/[^A-Za-z0-9._-]/g, "");

  return sanitized && !sanitized.startsWith(".") ? sanitized : "rds-ca-bundle.pem";
}

/** Reads the signing time and lifetime that SigV4 put into the token's query string. */
function tokenExpiry(token: string): Date {
  const query = new URLSearchParams(token.slice(token.indexOf("?") + 1));
  const signedAt = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(query.get("X-Amz-Date") ?? "");
  const expiresIn = Number(query.get("X-Amz-Expires"));
  if (!signedAt || !Number.isInteger(expiresIn)) {
    throw new AppError("PROVISIONING_FAILED", "The signed IAM auth token has no X-Amz-Date or X-Amz-Expires. Try again.");
  }
  const [, year, month, day, hour, minute, second] = signedAt.map(Number);

  return new Date(Date.UTC(year!, month! - 1, day!, hour!, minute!, second!) + expiresIn * 1000);
}

/**
 * Signs an RDS IAM auth token for the resource's database user with the role session, and builds the
 * connection details. RDS checks the token only when a connection opens, so connections opened
 * before the token expires or the grant ends stay open after that.
 */
export async function createRdsAuthToken(input: RdsAuthTokenInput): Promise<RdsAuthToken> {
  const { config } = input;
  assertGrantRunning(input.grant, input.now);
  if (input.credentials.expiration.getTime() <= input.now.getTime()) {
    throw new AppError("INVALID_STATE", "The AWS session used to sign the IAM auth token has expired. Request the token again.");
  }

  const signer = (input.clients ?? getAwsClients()).createRdsSigner({
    region: config.region,
    hostname: config.endpoint,
    port: config.port,
    username: config.dbUser,
    credentials: input.credentials,
  });
  const token = await signer.getAuthToken();

  const expiresAt = new Date(Math.min(tokenExpiry(token).getTime(), input.credentials.expiration.getTime()));
  const caBundleFile = caBundleFileName(config.caBundleUrl);
  const conninfo = [
    `host=${conninfoQuote(config.endpoint)}`,
    `port=${config.port}`,
    `dbname=${conninfoQuote(config.database)}`,
    `user=${conninfoQuote(config.dbUser)}`,
    "sslmode=verify-full",
    `sslrootcert=${conninfoQuote(caBundleFile)}`,
  ].join(" ");
  const uri =
    `postgresql://${encodeURIComponent(config.dbUser)}:${encodeURIComponent(token)}@${config.endpoint}:${config.port}/${encodeURIComponent(config.database)}` +
    `?sslmode=verify-full&sslrootcert=${encodeURIComponent(caBundleFile)}`;

  return {
    token,
    expiresAt,
    usableUntil: new Date(Math.min(expiresAt.getTime(), input.grant.endsAt.getTime())),
    host: config.endpoint,
    port: config.port,
    database: config.database,
    user: config.dbUser,
    caBundleFile,
    caBundleUrl: config.caBundleUrl,
    downloadCaBundleCommand: `curl -fsS -o ${shellQuote(caBundleFile)} ${shellQuote(config.caBundleUrl)}`,
    uri,
    psqlCommand: `PGPASSWORD=${shellQuote(token)} psql ${shellQuote(conninfo)}`,
  };
}

/** Issues a signing session for the grant and signs an IAM auth token with it. */
export async function issueGrantRdsToken(input: IssueSessionInput): Promise<RdsAuthToken> {
  const parsed = parseAwsResourceConfig(input.resource);
  if (parsed.kind !== "RDS_IAM") throw new AppError("INVALID_STATE", "This grant is not for an RDS database.");
  const session = await issueSigningSession(input);

  return createRdsAuthToken({ config: parsed.config, grant: input.grant, credentials: session.credentials, now: input.now, clients: input.clients });
}

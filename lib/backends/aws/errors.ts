// Maps AWS SDK errors to AppError messages that are safe to store in Grant.lastError and show to
// admins and the grant holder. AWS's own message is quoted only for policy errors, because access
// errors name the portal's principal and internal ARNs.

import { AppError } from "@/lib/errors";

/** Maximum length, in characters, of an AWS error message quoted in an AppError message. */
const MAX_QUOTED_CHARS = 300;

const THROTTLING_NAMES = new Set(["Throttling", "ThrottlingException", "RequestLimitExceeded", "TooManyRequestsException", "SlowDown"]);
const TRANSIENT_NAMES = new Set(["ServiceFailure", "ServiceFailureException", "ServiceUnavailable", "InternalError", "TimeoutError", "RequestTimeout"]);
const NETWORK_CODES = new Set(["ECONNRESET", "ECONNREFUSED", "EPIPE", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH", "ENOTFOUND", "EAI_AGAIN"]);

type SdkErrorShape = {
  name?: string;
  message?: string;
  code?: string;
  $metadata?: { httpStatusCode?: number; attempts?: number };
};

function shapeOf(error: unknown): SdkErrorShape {
  return typeof error === "object" && error !== null ? (error as SdkErrorShape) : {};
}

/** Returns the error's name without the SDK's `Exception` suffix, as AWS documents its error codes. */
export function awsErrorCode(error: unknown): string {
  const name = shapeOf(error).name ?? "UnknownError";

  return name.endsWith("Exception") && name !== "Exception" ? name.slice(0, -"Exception".length) : name;
}

export function isAccessDenied(error: unknown): boolean {
  const code = awsErrorCode(error);

  return code === "AccessDenied" || code === "UnauthorizedOperation" || shapeOf(error).$metadata?.httpStatusCode === 403;
}

function isThrottling(error: unknown): boolean {
  return THROTTLING_NAMES.has(shapeOf(error).name ?? "") || shapeOf(error).$metadata?.httpStatusCode === 429;
}

function isTransient(error: unknown): boolean {
  const shape = shapeOf(error);
  const status = shape.$metadata?.httpStatusCode ?? 0;

  return TRANSIENT_NAMES.has(shape.name ?? "") || NETWORK_CODES.has(shape.code ?? "") || (status >= 500 && status <= 599);
}

function quote(message: string | undefined): string {
  const text = (message ?? "").replace(/\s+/g, " ").trim();
  if (text.length <= MAX_QUOTED_CHARS) return text;

  return `${text.slice(0, MAX_QUOTED_CHARS)}…`;
}

function attemptsOf(error: unknown): string {
  const attempts = shapeOf(error).$metadata?.attempts;

  return attempts && attempts > 1 ? ` after ${attempts} attempts` : "";
}

/**
 * Maps a failure of the portal's own AWS set-up (no credentials, no region) to AppError
 * MISCONFIGURED, or returns undefined for every other error.
 */
export function toSetupError(error: unknown): AppError | undefined {
  const shape = shapeOf(error);
  if (shape.name === "CredentialsProviderError") {
    return new AppError(
      "MISCONFIGURED",
      "The portal found no AWS credentials. Give it an identity through the default provider chain (instance or task role, AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY).",
      { cause: error },
    );
  }
  if (shape.message === "Region is missing") {
    return new AppError("MISCONFIGURED", "The portal has no AWS region. Set AWS_REGION (for example eu-west-1) in its environment.", { cause: error });
  }

  return undefined;
}

/** Context of the failed IAM call, for the message. */
export type AwsCallContext = {
  /** The IAM or STS action, such as iam:PutRolePolicy. */
  action: string;
  roleName: string;
  roleArn: string;
  accountId: string;
  rolePath: string;
  /** Policy that the call wrote, for policy errors. */
  policy?: "trust" | "permission";
};

/** Maps an IAM error from writing a vendor role's policies to an AppError naming the action and the fix. */
export function toIamAppError(error: unknown, context: AwsCallContext): AppError {
  const setup = toSetupError(error);
  if (setup) return setup;

  const code = awsErrorCode(error);
  const shape = shapeOf(error);
  const policy = context.policy === "trust" ? "trust policy" : "permission policy";

  if (isAccessDenied(error)) {
    return new AppError(
      "PROVISIONING_FAILED",
      `The portal's AWS identity is not allowed to call ${context.action} on role ${context.roleArn}. Allow ${context.action} on roles under ${context.rolePath} in account ${context.accountId} in the portal's IAM policy, and give the role the permissions boundary that policy requires, then retry the grant.`,
      { cause: error },
    );
  }
  if (code === "NoSuchEntity") {
    return new AppError(
      "MISCONFIGURED",
      `IAM role ${context.roleName} does not exist in account ${context.accountId}. Create it under the path ${context.rolePath} (ARN ${context.roleArn}), then retry the grant.`,
      { cause: error },
    );
  }
  if (code === "MalformedPolicyDocument") {
    return new AppError("PROVISIONING_FAILED", `IAM rejected the ${policy} of role ${context.roleName} as malformed: ${quote(shape.message)}`, { cause: error });
  }
  if (code === "LimitExceeded") {
    return new AppError(
      "PROVISIONING_FAILED",
      `IAM rejected the ${policy} of role ${context.roleName} because it exceeds an IAM quota: ${quote(shape.message)}. End or revoke other grants on this role, or raise the quota, then retry the grant.`,
      { cause: error },
    );
  }
  if (code === "UnmodifiableEntity") {
    return new AppError(
      "MISCONFIGURED",
      `IAM role ${context.roleName} cannot be modified (it is a service-linked or protected role). Point the resource at a role that the portal manages.`,
      { cause: error },
    );
  }
  if (isThrottling(error)) {
    return new AppError(
      "PROVISIONING_FAILED",
      `IAM throttled ${context.action} on role ${context.roleName}${attemptsOf(error)}. The worker retries activation and expiry on its own; if this repeats, lower the rate of IAM calls in account ${context.accountId}.`,
      { cause: error },
    );
  }
  if (isTransient(error)) {
    return new AppError(
      "PROVISIONING_FAILED",
      `${context.action} on role ${context.roleName} failed with a temporary error (${code})${attemptsOf(error)}. The worker retries activation and expiry on its own; a revocation can be retried now.`,
      { cause: error },
    );
  }

  return new AppError("PROVISIONING_FAILED", `${context.action} on role ${context.roleName} failed with ${code}${attemptsOf(error)}.`, { cause: error });
}

/** Request of the failed AssumeRole call, for the message. */
export type AssumeRoleContext = { roleArn: string; roleName: string; durationSeconds: number; maxSessionSeconds: number };

/** Maps an STS AssumeRole error to an AppError that names what to check. */
export function toStsAppError(error: unknown, context: AssumeRoleContext): AppError {
  const setup = toSetupError(error);
  if (setup) return setup;

  const code = awsErrorCode(error);
  const shape = shapeOf(error);

  if (isAccessDenied(error)) {
    return new AppError(
      "PROVISIONING_FAILED",
      `The portal may not assume role ${context.roleArn} (sts:AssumeRole with sts:TagSession and sts:SetSourceIdentity). If the grant was activated in the last minute, try again shortly, because IAM applies trust policy changes with a delay. Otherwise check that the role's trust policy names the portal and that the portal's IAM policy allows these actions on the role.`,
      { cause: error },
    );
  }
  if (code === "ValidationError" && /DurationSeconds|session duration|role chaining/i.test(shape.message ?? "")) {
    return new AppError(
      "MISCONFIGURED",
      `STS rejected a session of ${context.durationSeconds} seconds for role ${context.roleName}: ${quote(shape.message)}. Set maxSessionSeconds in the resource config (now ${context.maxSessionSeconds}) to at most the role's MaxSessionDuration, and to at most 3600 when the portal itself runs on a role session, because role chaining limits sessions to 1 hour.`,
      { cause: error },
    );
  }
  if (code === "PackedPolicyTooLarge") {
    return new AppError(
      "MISCONFIGURED",
      `STS rejected the session for role ${context.roleName} because its session policy and session tags are too large: ${quote(shape.message)}. Shorten the resource's bucket name, prefix or KMS key ARN.`,
      { cause: error },
    );
  }
  if (code === "MalformedPolicyDocument") {
    return new AppError("PROVISIONING_FAILED", `STS rejected the session policy for role ${context.roleName} as malformed: ${quote(shape.message)}`, { cause: error });
  }
  if (code === "RegionDisabled") {
    return new AppError(
      "MISCONFIGURED",
      `STS is not activated in the portal's region, so role ${context.roleName} cannot be assumed. Activate the region's STS endpoint in the account settings of IAM, or set AWS_REGION to an active region.`,
      { cause: error },
    );
  }
  if (isThrottling(error) || isTransient(error)) {
    return new AppError("PROVISIONING_FAILED", `sts:AssumeRole on role ${context.roleName} failed with a temporary error (${code})${attemptsOf(error)}. Try again in a minute.`, {
      cause: error,
    });
  }

  return new AppError("PROVISIONING_FAILED", `sts:AssumeRole on role ${context.roleName} failed with ${code}${attemptsOf(error)}.`, { cause: error });
}

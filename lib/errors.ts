export type AppErrorCode =
  | "UNAUTHENTICATED"
  | "FORBIDDEN"
  | "NOT_FOUND"
  | "INVALID_INPUT"
  | "CONFLICT"
  | "INVALID_STATE"
  | "PROVISIONING_FAILED"
  | "MISCONFIGURED";

/** Field-level messages, keyed by the form field name. */
export type FieldErrors = Record<string, string[]>;

/**
 * The one error type domain code throws. `message` is safe to show to the user;
 * internals go in `cause`, which is logged but never sent to the browser.
 */
export class AppError extends Error {
  readonly code: AppErrorCode;
  readonly fieldErrors?: FieldErrors;

  constructor(code: AppErrorCode, message: string, options?: { cause?: unknown; fieldErrors?: FieldErrors }) {
    super(message, { cause: options?.cause });
    this.name = "AppError";
    this.code = code;
    this.fieldErrors = options?.fieldErrors;
  }
}

export function isAppError(error: unknown): error is AppError {
  return error instanceof AppError;
}

export function notFound(what: string): AppError {
  return new AppError("NOT_FOUND", `${what} was not found.`);
}

const HTTP_STATUS: Record<AppErrorCode, number> = {
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  INVALID_INPUT: 400,
  CONFLICT: 409,
  INVALID_STATE: 409,
  PROVISIONING_FAILED: 502,
  MISCONFIGURED: 500,
};

export function httpStatusOf(error: AppError): number {
  return HTTP_STATUS[error.code];
}

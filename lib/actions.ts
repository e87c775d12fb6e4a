import "server-only";

import { AppError, type FieldErrors } from "@/lib/errors";
import { errorFields, log } from "@/lib/log";

export type ActionResult<T> =
  | { ok: true; data: T }
  | { ok: false; error: string; code: string; fieldErrors?: FieldErrors };

/**
 * The boundary for server actions: runs the domain call and maps its errors to a result the form
 * can show. Unknown errors are logged once here and become a generic message.
 */
export async function runAction<T>(name: string, body: () => Promise<T>): Promise<ActionResult<T>> {
  try {
    return { ok: true, data: await body() };
  } catch (error) {
    if (error instanceof AppError) {
      if (error.cause !== undefined) log.warn({ action: name, code: error.code, ...errorFields(error.cause) }, "action failed");

      return { ok: false, error: error.message, code: error.code, fieldErrors: error.fieldErrors };
    }
    // Next.js signals redirect() and notFound() by throwing; they must pass through.
    if (isNextControlFlow(error)) throw error;
    log.error({ action: name, ...errorFields(error) }, "action failed unexpectedly");

    return { ok: false, error: "Something went wrong on our side. Try again, and contact an admin if it persists.", code: "INTERNAL" };
  }
}

function isNextControlFlow(error: unknown): boolean {
  const digest = (error as { digest?: unknown } | null)?.digest;

  return typeof digest === "string" && (digest.startsWith("NEXT_REDIRECT") || digest.startsWith("NEXT_HTTP_ERROR_FALLBACK"));
}

import "server-only";

import pino from "pino";

import { env } from "@/lib/env";

// Structured logs. Never log passwords, tokens, keys, presigned URLs or request bodies;
// the redact list is a second line of defence for fields with those names.
export const log = pino({
  // With SKIP_ENV_VALIDATION=1, as during `next build`, env holds raw values without zod defaults.
  level: env.LOG_LEVEL ?? "info",
  base: { service: "vendor-access-portal" },
  redact: {
    paths: ["password", "*.password", "secret", "*.secret", "token", "*.token", "url", "*.url", "secretAccessKey", "*.secretAccessKey"],
    censor: "[redacted]",
  },
});

export function errorFields(error: unknown): Record<string, unknown> {
  if (error instanceof Error) {
    return { err: { name: error.name, message: error.message, code: (error as { code?: unknown }).code } };
  }

  return { err: String(error) };
}

import type { z } from "zod";

import { AppError, type FieldErrors } from "@/lib/errors";

/** Collects zod issues by top-level field name, for showing each message beside its field. */
export function fieldErrorsOf(error: z.ZodError): FieldErrors {
  const errors: FieldErrors = {};
  for (const issue of error.issues) {
    const field = String(issue.path[0] ?? "form");
    (errors[field] ??= []).push(issue.message);
  }

  return errors;
}

/** Parses input or throws AppError("INVALID_INPUT") carrying the field messages. */
export function parseInput<T extends z.ZodType>(schema: T, input: unknown): z.output<T> {
  const result = schema.safeParse(input);
  if (!result.success) {
    throw new AppError("INVALID_INPUT", "Some fields need attention.", { fieldErrors: fieldErrorsOf(result.error) });
  }

  return result.data;
}

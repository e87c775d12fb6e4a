import { z } from "zod";

export const JUSTIFICATION_MIN = 10;
export const JUSTIFICATION_MAX = 2000;
export const COMMENT_MAX = 2000;

const optionalDate = z
  .string()
  .trim()
  .optional()
  .transform((value, context) => {
    if (!value) return undefined;
    const date = new Date(value);
    if (Number.isNaN(date.getTime())) {
      context.addIssue({ code: "custom", message: "Enter a valid date and time." });

      return z.NEVER;
    }

    return date;
  });

/**
 * Form input for a new access request. Times arrive as ISO 8601 strings with an offset: the form
 * converts the viewer's local time before sending, so the server never guesses a time zone.
 */
export const ZCreateRequestInput = z.object({
  resourceId: z.string().trim().min(1, "Choose a resource."),
  accessLevel: z.string().trim().min(1, "Choose an access level."),
  startMode: z.enum(["now", "at"], { error: "Choose when access should start." }),
  start: optionalDate,
  endMode: z.enum(["duration", "at"], { error: "Choose an end time or a duration." }),
  end: optionalDate,
  durationMinutes: z
    .string()
    .trim()
    .optional()
    .transform((value, context) => {
      if (!value) return undefined;
      if (!/^\d{1,7}$/.test(value)) {
        context.addIssue({ code: "custom", message: "Enter the duration as a whole number of minutes." });

        return z.NEVER;
      }

      return Number(value);
    }),
  justification: z
    .string()
    .trim()
    .min(JUSTIFICATION_MIN, `Explain why you need access (at least ${JUSTIFICATION_MIN} characters).`)
    .max(JUSTIFICATION_MAX, `Shorten the justification to ${JUSTIFICATION_MAX} characters or fewer.`),
});
export type CreateRequestInput = z.input<typeof ZCreateRequestInput>;

export const ZReviewInput = z.object({
  requestId: z.string().trim().min(1),
  decision: z.enum(["APPROVE", "DENY"], { error: "Choose approve or deny." }),
  comment: z
    .string()
    .trim()
    .max(COMMENT_MAX, `Shorten the comment to ${COMMENT_MAX} characters or fewer.`)
    .default(""),
  /** Approver's new end for a fixed window or an extension (ISO 8601). */
  endsAt: optionalDate,
  /** Approver's new duration for an "as soon as approved" request. */
  durationMinutes: z
    .union([z.number(), z.string().trim()])
    .optional()
    .transform((value, context) => {
      if (value === undefined || value === "") return undefined;
      const minutes = Number(value);
      if (!Number.isInteger(minutes) || minutes < 5) {
        context.addIssue({ code: "custom", message: "Enter the duration as a whole number of minutes, at least 5." });

        return z.NEVER;
      }

      return minutes;
    }),
});
export type ReviewInput = z.input<typeof ZReviewInput>;

export const ZCreateExtensionInput = z.object({
  grantId: z.string().trim().min(1),
  endsAt: z
    .string()
    .trim()
    .min(1, "Enter the new end time.")
    .transform((value, context) => {
      const date = new Date(value);
      if (Number.isNaN(date.getTime())) {
        context.addIssue({ code: "custom", message: "Enter a valid date and time." });

        return z.NEVER;
      }

      return date;
    }),
  justification: z
    .string()
    .trim()
    .min(JUSTIFICATION_MIN, `Explain why you need more time (at least ${JUSTIFICATION_MIN} characters).`)
    .max(JUSTIFICATION_MAX, `Shorten the justification to ${JUSTIFICATION_MAX} characters or fewer.`),
});
export type CreateExtensionInput = z.input<typeof ZCreateExtensionInput>;

import { z } from "zod";

import { findPrefixTemplateProblem } from "@/lib/domain/object-key";
import { AppError } from "@/lib/errors";

/** SigV4 presigned URLs are valid for at most 7 days. */
export const MAX_PRESIGNED_URL_TTL_SECONDS = 7 * 24 * 60 * 60;

export const DEFAULT_PRESIGNED_URL_TTL_SECONDS = 900;

/** S3 accepts at most 5 GiB in one PutObject, so larger files need multipart upload. */
export const MAX_SINGLE_PUT_BYTES = 5 * 1024 ** 3;

// S3 general purpose bucket names: 3 to 63 characters of lower-case letters, digits, dots and
// hyphens, starting and ending with a letter or digit.
const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

export const ZS3PresignConfig = z
  .strictObject({
    bucket: z
      .string()
      .regex(BUCKET_NAME, "must be an S3 bucket name: 3 to 63 lower-case letters, digits, dots and hyphens")
      .refine((name) => !name.includes(".."), "must not contain two dots in a row"),
    prefixTemplate: z.string().superRefine((template, context) => {
      const problem = findPrefixTemplateProblem(template);
      if (problem) {
        context.addIssue({ code: "custom", message: problem });
      }
    }),
    serverSideEncryption: z.enum(["AES256", "aws:kms"]).default("AES256"),
    // KMS key id, alias or ARN, required with aws:kms.
    kmsKeyId: z.string().min(1).optional(),
    maxUploadBytes: z.number().int().positive().max(MAX_SINGLE_PUT_BYTES).default(MAX_SINGLE_PUT_BYTES),
    urlTtlSeconds: z.number().int().min(1).max(MAX_PRESIGNED_URL_TTL_SECONDS).default(DEFAULT_PRESIGNED_URL_TTL_SECONDS),
  })
  .superRefine((config, context) => {
    if (config.serverSideEncryption === "aws:kms" && !config.kmsKeyId) {
      context.addIssue({ code: "custom", path: ["kmsKeyId"], message: "is required when serverSideEncryption is aws:kms" });
    }

    if (config.serverSideEncryption === "AES256" && config.kmsKeyId) {
      context.addIssue({ code: "custom", path: ["kmsKeyId"], message: "must be empty unless serverSideEncryption is aws:kms" });
    }
  });

export type S3PresignConfig = z.infer<typeof ZS3PresignConfig>;

/**
 * Parses a resource's stored config. Throws AppError MISCONFIGURED listing every invalid field,
 * because a bad stored config is for an admin to fix, not the vendor.
 */
export function parseS3PresignConfig(input: unknown): S3PresignConfig {
  const result = ZS3PresignConfig.safeParse(input);
  if (result.success) {
    return result.data;
  }

  const problems = result.error.issues.map((issue) => `${issue.path.join(".") || "config"}: ${issue.message}`);

  throw new AppError("MISCONFIGURED", `The S3 presign resource config is invalid. Fix it in the resource settings: ${problems.join("; ")}`, {
    cause: result.error,
  });
}

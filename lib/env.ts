import { createEnv } from "@t3-oss/env-nextjs";
import { z } from "zod";

const booleanSetting = z
  .enum(["true", "false", "1", "0"])
  .transform((value) => value === "true" || value === "1");

// The one place that reads process.env. Every setting is listed with a comment in .env.example.
export const env = createEnv({
  server: {
    NODE_ENV: z.enum(["development", "test", "production"]).default("development"),
    DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/, error: "must be a postgresql:// URL" }),
    NEXTAUTH_SECRET: z.string().min(32, "must be at least 32 characters; generate one with `openssl rand -base64 32`"),
    NEXTAUTH_URL: z.url({ error: "must be the portal's public base URL, for example https://access.example.com" }),
    LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
    S3_COMPAT_ENDPOINT: z.url().optional(),
    S3_COMPAT_REGION: z.string().min(1).default("us-east-1"),
    S3_COMPAT_ACCESS_KEY_ID: z.string().min(1).optional(),
    S3_COMPAT_SECRET_ACCESS_KEY: z.string().min(1).optional(),
    S3_COMPAT_FORCE_PATH_STYLE: booleanSetting.default(true),
    AWS_PORTAL_PRINCIPAL_ARN: z
      .string()
      .regex(/^arn:aws[\w-]*:iam::\d{12}:(role|user)\/[\w+=,.@/-]+$/, "must be the ARN of an IAM role or user, such as arn:aws:iam::123456789012:role/vendor-access-portal")
      .optional(),
    // Notifications, all optional: mail over SMTP, else .eml files in MAIL_OUTBOX_DIR, else no mail.
    SMTP_URL: z.url({ protocol: /^smtps?$/, error: "must be an smtp:// or smtps:// URL, for example smtps://user:password@smtp.example.com:465" }).optional(),
    MAIL_FROM: z.string().trim().min(3).default("Vendor Access Portal <no-reply@localhost>"),
    MAIL_OUTBOX_DIR: z.string().min(1).optional(),
    NOTIFY_WEBHOOK_URL: z.url({ protocol: /^https?$/, error: "must be the http:// or https:// URL of an incoming webhook" }).optional(),
    PORTAL_PUBLIC_URL: z.url({ protocol: /^https?$/, error: "must be the portal's public base URL, for example https://access.example.com" }).optional(),
  },
  client: {},
  experimental__runtimeEnv: {},
  skipValidation: process.env.SKIP_ENV_VALIDATION === "1",
  emptyStringAsUndefined: true,
  onValidationError: (issues) => {
    const lines = issues.map((issue) => {
      const name = issue.path?.map((segment) => (typeof segment === "object" ? segment.key : segment)).join(".") ?? "";
      const value = process.env[name];
      const problem = value === undefined || value === "" ? `is not set (${issue.message})` : issue.message;

      return `  ${name}: ${problem}`;
    });
    throw new Error(`Invalid or missing settings (see .env.example):\n${lines.join("\n")}`);
  },
});

const NAMED_SETTING = /^[A-Z][A-Z0-9_]*_URL$/;

/**
 * Reads a setting that a resource refers to by name, such as the management connection URL of a
 * PostgreSQL target. Only names ending in `_URL` may be read, so resource config cannot pull in
 * unrelated secrets like NEXTAUTH_SECRET.
 */
export function readNamedSetting(name: string): string | undefined {
  if (!NAMED_SETTING.test(name)) {
    throw new Error(`Setting name "${name}" is invalid: it must be upper-case letters, digits and underscores ending in _URL`);
  }
  const value = process.env[name];

  return value === "" ? undefined : value;
}

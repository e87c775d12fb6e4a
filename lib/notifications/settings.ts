/** Email transport: an SMTP server, or `.eml` files in a folder for local development. */
export type EmailTransportSettings = { kind: "smtp"; url: string } | { kind: "outbox"; dir: string };

export type NotificationSettings = {
  /** Null when neither SMTP_URL nor MAIL_OUTBOX_DIR is set: then no email notifications are created. */
  email: EmailTransportSettings | null;
  from: string;
  /** Null when NOTIFY_WEBHOOK_URL is unset: then no webhook notifications are created. */
  webhookUrl: string | null;
  /** Base of the links in messages, without a trailing slash. */
  baseUrl: string;
};

/** The notification settings as lib/env.ts parses them. */
export type NotificationSettingSource = {
  SMTP_URL?: string;
  MAIL_OUTBOX_DIR?: string;
  /** Optional only because `next build` skips validation and with it the default. */
  MAIL_FROM?: string;
  NOTIFY_WEBHOOK_URL?: string;
  PORTAL_PUBLIC_URL?: string;
  NEXTAUTH_URL: string;
};

export const DEFAULT_MAIL_FROM = "Vendor Access Portal <no-reply@localhost>";

/** Picks the email transport and the link base. SMTP wins over the outbox folder; PORTAL_PUBLIC_URL over NEXTAUTH_URL. */
export function resolveNotificationSettings(source: NotificationSettingSource): NotificationSettings {
  let email: EmailTransportSettings | null = null;
  if (source.SMTP_URL) email = { kind: "smtp", url: source.SMTP_URL };
  else if (source.MAIL_OUTBOX_DIR) email = { kind: "outbox", dir: source.MAIL_OUTBOX_DIR };

  return {
    email,
    from: source.MAIL_FROM ?? DEFAULT_MAIL_FROM,
    webhookUrl: source.NOTIFY_WEBHOOK_URL ?? null,
    baseUrl: (source.PORTAL_PUBLIC_URL ?? source.NEXTAUTH_URL).replace(/\/+$/, ""),
  };
}

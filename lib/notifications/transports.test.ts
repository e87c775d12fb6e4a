import { describe, expect, test } from "vitest";

import { resolveNotificationSettings } from "./settings";
import { DeliveryError, describeDeliveryError, secretsOfUrl } from "./transports";

const WEBHOOK_URL = "https://hooks.example.com/services/T000/B000/s3cr3tT0ken";
const SMTP_URL = "smtps://mailer:p%40ss-w0rd@smtp.example.com:465";

describe("describeDeliveryError", () => {
  const secrets = [...secretsOfUrl(WEBHOOK_URL), ...secretsOfUrl(SMTP_URL)];

  test("keeps a DeliveryError message", () => {
    expect(describeDeliveryError(new DeliveryError("webhook responded with HTTP 500"), secrets)).toBe("webhook responded with HTTP 500");
  });

  test("prefixes the error code", () => {
    const error = Object.assign(new Error("Greeting never received"), { code: "ETIMEDOUT" });

    expect(describeDeliveryError(error, secrets)).toBe("ETIMEDOUT: Greeting never received");
  });

  test.each([
    { name: "webhook URL", message: `request to ${WEBHOOK_URL} failed`, hidden: "s3cr3tT0ken" },
    { name: "SMTP URL", message: `cannot connect to ${SMTP_URL}`, hidden: "p%40ss-w0rd" },
    { name: "decoded SMTP password", message: "server echoed p@ss-w0rd back", hidden: "p@ss-w0rd" },
    { name: "SMTP user", message: "Invalid login for mailer", hidden: "mailer" },
    { name: "any other URL", message: "redirected to https://other.example/x?token=abc", hidden: "token=abc" },
  ])("hides $name", ({ message, hidden }) => {
    const text = describeDeliveryError(new Error(message), secrets);

    expect(text).not.toContain(hidden);
    expect(text).toContain("[redacted");
  });

  test("cuts long messages to 500 characters", () => {
    expect(describeDeliveryError(new Error("x".repeat(2000)), secrets)).toHaveLength(500);
  });

  test("names non-errors generically", () => {
    expect(describeDeliveryError("boom", secrets)).toBe("delivery failed with an unexpected error");
  });
});

describe("DeliveryError", () => {
  test("retryable unless marked", () => {
    expect(new DeliveryError("a").retryable).toBe(true);
    expect(new DeliveryError("b", { retryable: false }).retryable).toBe(false);
  });
});

describe("resolveNotificationSettings", () => {
  const base = { NEXTAUTH_URL: "https://auth.example.com/" };

  test("nothing configured", () => {
    expect(resolveNotificationSettings(base)).toEqual({
      email: null,
      from: "Vendor Access Portal <no-reply@localhost>",
      webhookUrl: null,
      baseUrl: "https://auth.example.com",
    });
  });

  test("SMTP wins over the outbox folder", () => {
    expect(resolveNotificationSettings({ ...base, SMTP_URL, MAIL_OUTBOX_DIR: "/tmp/outbox" }).email).toEqual({ kind: "smtp", url: SMTP_URL });
  });

  test("outbox folder without SMTP", () => {
    expect(resolveNotificationSettings({ ...base, MAIL_OUTBOX_DIR: "/tmp/outbox" }).email).toEqual({ kind: "outbox", dir: "/tmp/outbox" });
  });

  test("PORTAL_PUBLIC_URL wins over NEXTAUTH_URL", () => {
    expect(resolveNotificationSettings({ ...base, PORTAL_PUBLIC_URL: "https://portal.example.com//" }).baseUrl).toBe("https://portal.example.com");
  });
});

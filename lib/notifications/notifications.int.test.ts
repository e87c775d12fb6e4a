// Notifications against real PostgreSQL: rows and send jobs written in the workflow's own
// transactions, and delivery to a webhook receiver, an SMTP receiver and an outbox folder, all
// on 127.0.0.1. Send and reminder handlers run directly; no worker is started.
import { randomBytes } from "node:crypto";
import { readdir, readFile, rm } from "node:fs/promises";
import path from "node:path";

import type PgBoss from "pg-boss";
import { afterAll, beforeAll, describe, expect, test, vi } from "vitest";

import { recordAudit, userActor } from "@/lib/audit";
import type { Actor } from "@/lib/auth/session";
import { applyPortalConfig } from "@/lib/config/apply";
import { db } from "@/lib/db";
import { AppError } from "@/lib/errors";
import { expireGrant } from "@/lib/grants/lifecycle";
import { revokeGrantAsActor } from "@/lib/grants/revoke";
import { getBoss, QUEUES, stopBoss } from "@/lib/jobs/queue";
import { createExtensionRequest } from "@/lib/requests/extension";
import { createRequest } from "@/lib/requests/service";
import { reviewRequest } from "@/lib/reviews/service";

import { retryFailedNotification } from "./admin";
import { readNotificationSettings } from "./config";
import { deliverNotification, handleSendNotificationJobs } from "./deliver";
import type { SendNotificationJobData } from "./enqueue";
import { sendGrantEndingReminder } from "./reminders";
import type { NotificationSettings } from "./settings";
import { decodeQuotedPrintable, findClosedPort, startSmtpServer, startWebhookServer, type WebhookServer } from "./test-servers";

// Set before lib/env.ts loads, so enqueueNotifications finds both channels configured. Deliveries
// in these tests pass their own settings that point at the local receivers.
const { outboxDir } = await vi.hoisted(async () => {
  const { mkdtemp } = await import("node:fs/promises");
  const os = await import("node:os");
  const nodePath = await import("node:path");
  const dir = await mkdtemp(nodePath.join(os.tmpdir(), "vap-outbox-"));
  process.env.MAIL_OUTBOX_DIR = dir;
  process.env.NOTIFY_WEBHOOK_URL = "http://127.0.0.1:9/services/placeholder";
  process.env.PORTAL_PUBLIC_URL = "https://portal.test.example";

  return { outboxDir: dir };
});

const PORTAL = "https://portal.test.example";
const MINUTE = 60_000;
const suffix = randomBytes(4).toString("hex");
const email = (name: string) => `${name}-${suffix}@notify.example`;
const FIRST_ATTEMPT = { retryCount: 0, retryLimit: 5 };

const actors: Record<string, Actor> = {};
const resources: Record<string, string> = {};
let webhook: WebhookServer;

async function actorFor(address: string): Promise<Actor> {
  const user = await db.user.findUniqueOrThrow({ where: { email: address }, include: { vendor: true } });

  return { id: user.id, email: user.email, name: user.name, role: user.role, vendorId: user.vendorId, vendorName: user.vendor?.name ?? null };
}

function requestInput(resource: string, durationMinutes = 60) {
  return {
    resourceId: resources[resource]!,
    accessLevel: "read",
    startMode: "now" as const,
    endMode: "duration" as const,
    durationMinutes: String(durationMinutes),
    justification: "Collecting the March invoices for an audit.",
  };
}

function settingsWith(overrides: Partial<NotificationSettings>): NotificationSettings {
  return { ...readNotificationSettings(), ...overrides };
}

async function notificationsOf(where: { requestId?: string; grantId?: string; event?: string }) {
  return db.notification.findMany({ where, orderBy: [{ channel: "asc" }, { recipient: "asc" }] });
}

async function sendJobsFor(notificationIds: string[]) {
  return db.$queryRaw<{ notificationId: string; state: string; retryLimit: number; retryDelay: number; retryBackoff: boolean }[]>`
    SELECT data->>'notificationId' AS "notificationId", state::text AS state, retry_limit AS "retryLimit",
      retry_delay AS "retryDelay", retry_backoff AS "retryBackoff"
    FROM pgboss.job WHERE name = ${QUEUES.sendNotification} AND data->>'notificationId' = ANY(${notificationIds})`;
}

async function reminderJobsFor(grantId: string) {
  return db.$queryRaw<{ at: string; startAfter: Date }[]>`
    SELECT data->>'at' AS at, start_after AS "startAfter"
    FROM pgboss.job WHERE name = ${QUEUES.grantEndingReminder} AND data->>'grantId' = ${grantId}`;
}

async function expectAppError(promise: Promise<unknown>, code: string): Promise<AppError> {
  const error = await promise.then(
    () => null,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(AppError);
  expect((error as AppError).code).toBe(code);

  return error as AppError;
}

/** Creates a request for the "named" resource and returns it with its webhook notification. */
async function createRequestWithWebhookRow() {
  const request = await createRequest(actors.vendor!, requestInput("named"));
  const [row] = await db.notification.findMany({ where: { requestId: request.id, channel: "WEBHOOK" } });
  if (!row) throw new Error(`request ${request.id} has no webhook notification`);

  return { request, row };
}

beforeAll(async () => {
  webhook = await startWebhookServer();
  const s3Resource = (slug: string) => ({
    slug: `${slug}-${suffix}`,
    name: `${slug} files`,
    kind: "S3_PRESIGN" as const,
    config: { bucket: "vendor-exchange", prefixTemplate: "vendor-uploads/{vendor}/" },
    accessLevels: ["read"],
    maxDurationMinutes: 240,
    vendors: [`acme-${suffix}`],
  });

  await applyPortalConfig(
    {
      vendors: [{ slug: `acme-${suffix}`, name: "Acme Logistics" }],
      users: [
        { email: email("vendor"), name: "Alex Vendor", role: "VENDOR", vendor: `acme-${suffix}`, initialPassword: "a-long-password-1" },
        { email: email("alice"), name: "Alice Approver", role: "APPROVER", initialPassword: "a-long-password-2" },
        { email: email("bob"), name: "Bob Approver", role: "APPROVER", initialPassword: "a-long-password-3" },
        { email: email("carol"), name: "Carol Approver", role: "APPROVER", initialPassword: "a-long-password-4" },
        { email: email("dave"), name: "Dave Approver", role: "APPROVER", initialPassword: "a-long-password-5", disabled: true },
        { email: email("erin"), name: "Erin Admin", role: "ADMIN", initialPassword: "a-long-password-6" },
      ],
      approverGroups: [{ slug: `notify-${suffix}`, name: "Notify group", members: [email("bob")] }],
      resources: [
        { ...s3Resource("named"), approvers: { users: [email("alice"), email("dave")], groups: [`notify-${suffix}`] } },
        { ...s3Resource("auto"), approvers: { users: [email("alice")], groups: [] }, autoApprove: { levels: ["read"], maxMinutes: 60 } },
      ],
    },
    { source: "notifications test", actorLabel: "system:test" },
  );

  for (const name of ["vendor", "alice", "bob", "carol", "erin"]) actors[name] = await actorFor(email(name));
  for (const slug of ["named", "auto"]) {
    resources[slug] = (await db.resource.findUniqueOrThrow({ where: { slug: `${slug}-${suffix}` } })).id;
  }
});

afterAll(async () => {
  const live = await db.grant.findMany({ where: { resourceId: { in: Object.values(resources) }, status: { in: ["ACTIVE", "SCHEDULED"] } } });
  for (const grant of live) await expireGrant(grant.id, new Date(grant.endsAt.getTime() + 1));
  await stopBoss();
  await db.$disconnect();
  await webhook?.close();
  await rm(outboxDir, { recursive: true, force: true });
  delete process.env.MAIL_OUTBOX_DIR;
  delete process.env.NOTIFY_WEBHOOK_URL;
  delete process.env.PORTAL_PUBLIC_URL;
});

describe("enqueueNotifications", () => {
  test("new request emails eligible approvers", async () => {
    const request = await createRequest(actors.vendor!, requestInput("named"));
    const rows = await notificationsOf({ requestId: request.id, event: "request.created" });
    const emails = rows.filter((row) => row.channel === "EMAIL");

    // Alice is named, Bob is in the named group; Dave is named but disabled; Carol and Erin are not named.
    expect(emails.map((row) => row.recipient)).toEqual([email("alice"), email("bob")]);
    for (const row of emails) {
      expect(row.status).toBe("PENDING");
      expect(row.subject).toBe(`Review access request: named files for Acme Logistics`);
      expect(row.body).toContain(`${PORTAL}/requests/${request.id}`);
      expect(row.body).toContain("Collecting the March invoices for an audit.");
    }
    expect(rows.filter((row) => row.channel === "WEBHOOK").map((row) => row.recipient)).toEqual(["webhook"]);
  });

  test("every row gets a send job with retries", async () => {
    const request = await createRequest(actors.vendor!, requestInput("named"));
    const rows = await notificationsOf({ requestId: request.id });
    const jobs = await sendJobsFor(rows.map((row) => row.id));

    expect(jobs.map((job) => job.notificationId).sort()).toEqual(rows.map((row) => row.id).sort());
    for (const job of jobs) {
      expect(job.state).toBe("created");
      expect(job.retryLimit).toBe(5);
      expect(job.retryDelay).toBe(30);
      expect(job.retryBackoff).toBe(true);
    }
  });

  test("rolled-back change leaves no rows or jobs", async () => {
    const request = await createRequest(actors.vendor!, requestInput("named"));
    const rowsBefore = await db.notification.count();
    const jobsBefore = await db.$queryRaw<{ count: bigint }[]>`SELECT count(*) AS count FROM pgboss.job WHERE name = ${QUEUES.sendNotification}`;

    const outcome = db.$transaction(async (tx) => {
      await recordAudit(tx, {
        actor: userActor(actors.vendor!),
        action: "request.created",
        subjectType: "request",
        subjectId: request.id,
        vendorId: request.vendorId,
        requestId: request.id,
      });
      expect(await tx.notification.count({ where: { requestId: request.id } })).toBeGreaterThan(await db.notification.count({ where: { requestId: request.id } }));
      throw new Error("roll back on purpose");
    });
    await expect(outcome).rejects.toThrow("roll back on purpose");

    const jobsAfter = await db.$queryRaw<{ count: bigint }[]>`SELECT count(*) AS count FROM pgboss.job WHERE name = ${QUEUES.sendNotification}`;
    expect(await db.notification.count()).toBe(rowsBefore);
    expect(jobsAfter[0]?.count).toBe(jobsBefore[0]?.count);
  });

  test("approval notifies requester and schedules reminder", async () => {
    const request = await createRequest(actors.vendor!, requestInput("named"));
    const outcome = await reviewRequest(actors.alice!, { requestId: request.id, decision: "APPROVE", comment: "" });
    const grantId = outcome.grantId!;
    const grant = await db.grant.findUniqueOrThrow({ where: { id: grantId } });

    const approved = await notificationsOf({ requestId: request.id, event: "request.approved" });
    expect(approved.map((row) => [row.channel, row.recipient])).toEqual([
      ["EMAIL", email("vendor")],
      ["WEBHOOK", "webhook"],
    ]);
    expect(approved[0]?.subject).toBe("Access approved: named files");
    expect(approved[0]?.body).toContain("was approved by Alice Approver.");
    expect(approved[0]?.body).toContain(`${PORTAL}/grants/${grantId}`);
    expect(approved[1]?.body).toContain("Access request approved by Alice Approver");

    expect(grant.status).toBe("ACTIVE");
    const activated = await notificationsOf({ grantId, event: "grant.activated" });
    expect(activated.map((row) => row.recipient)).toEqual([email("vendor")]);
    expect(activated[0]?.subject).toBe("Access is active: named files");

    const reminders = await reminderJobsFor(grantId);
    expect(reminders.map((job) => job.at)).toEqual([grant.endsAt.toISOString()]);
    expect(reminders[0]?.startAfter.getTime()).toBe(grant.endsAt.getTime() - 15 * MINUTE);
  });

  test("denial notifies requester with the reason", async () => {
    const request = await createRequest(actors.vendor!, requestInput("named"));
    await reviewRequest(actors.bob!, { requestId: request.id, decision: "DENY", comment: "Use the anonymised copy instead." });

    const rows = await notificationsOf({ requestId: request.id, event: "request.denied" });
    expect(rows.map((row) => [row.channel, row.recipient])).toEqual([
      ["EMAIL", email("vendor")],
      ["WEBHOOK", "webhook"],
    ]);
    expect(rows[0]?.subject).toBe("Access request denied: named files");
    expect(rows[0]?.body).toContain("Reason: Use the anonymised copy instead.");
    expect(rows[0]?.body).toContain(`${PORTAL}/requests/${request.id}`);
    expect(rows[1]?.body).toContain("Access request denied by Bob Approver");
  });

  test("auto-approval sends no approver emails", async () => {
    const request = await createRequest(actors.vendor!, requestInput("auto", 30));
    expect(request.status).toBe("APPROVED");

    const created = await notificationsOf({ requestId: request.id, event: "request.created" });
    expect(created.map((row) => row.channel)).toEqual(["WEBHOOK"]);
    const approved = await notificationsOf({ requestId: request.id, event: "request.approved" });
    expect(approved.map((row) => [row.channel, row.recipient])).toEqual([
      ["EMAIL", email("vendor")],
      ["WEBHOOK", "webhook"],
    ]);
    expect(approved[0]?.body).toContain("approved by the resource's auto-approval rule");
  });

  test("grant under 15 minutes gets no reminder", async () => {
    const request = await createRequest(actors.vendor!, requestInput("auto", 10));
    const grant = await db.grant.findUniqueOrThrow({ where: { requestId: request.id } });

    expect(grant.status).toBe("ACTIVE");
    expect(await reminderJobsFor(grant.id)).toEqual([]);
  });

  test("extension emails approvers, then holder once", async () => {
    const request = await createRequest(actors.vendor!, requestInput("named"));
    const { grantId } = await reviewRequest(actors.alice!, { requestId: request.id, decision: "APPROVE", comment: "" });
    const grant = await db.grant.findUniqueOrThrow({ where: { id: grantId! } });
    const newEnd = new Date(grant.endsAt.getTime() + 30 * MINUTE);

    const extension = await createExtensionRequest(actors.vendor!, {
      grantId: grant.id,
      endsAt: newEnd.toISOString(),
      justification: "The invoice export needs another half hour.",
    });
    const reviewRows = await notificationsOf({ requestId: extension.id, event: "request.created" });
    expect(reviewRows.filter((row) => row.channel === "EMAIL").map((row) => row.recipient)).toEqual([email("alice"), email("bob")]);
    expect(reviewRows[0]?.subject).toBe("Review extension request: named files for Acme Logistics");
    expect(reviewRows[0]?.body).toContain(`${PORTAL}/requests/${extension.id}`);

    await reviewRequest(actors.bob!, { requestId: extension.id, decision: "APPROVE", comment: "" });
    const approved = await notificationsOf({ requestId: extension.id, event: "request.approved" });
    expect(approved.map((row) => row.channel)).toEqual(["WEBHOOK"]);
    expect(approved[0]?.body).toContain("Extension request approved by Bob Approver");
    const extended = await notificationsOf({ grantId: grant.id, event: "grant.extended" });
    expect(extended.map((row) => row.recipient)).toEqual([email("vendor")]);
    expect(extended[0]?.subject).toBe("Access extended: named files");

    const reminders = await reminderJobsFor(grant.id);
    expect(reminders.map((job) => job.at).sort()).toEqual([grant.endsAt.toISOString(), newEnd.toISOString()].sort());
  });

  test("revocation emails holder and posts webhook", async () => {
    const request = await createRequest(actors.vendor!, requestInput("named"));
    const { grantId } = await reviewRequest(actors.alice!, { requestId: request.id, decision: "APPROVE", comment: "" });
    await revokeGrantAsActor(actors.alice!, { grantId: grantId!, reason: "The audit was moved to next month." });

    const rows = await notificationsOf({ grantId: grantId!, event: "grant.revoked" });
    expect(rows.map((row) => [row.channel, row.recipient])).toEqual([
      ["EMAIL", email("vendor")],
      ["WEBHOOK", "webhook"],
    ]);
    expect(rows[0]?.body).toContain("was revoked by Alice Approver.");
    expect(rows[0]?.body).toContain("Reason: The audit was moved to next month.");
    expect(rows[1]?.body).toContain(`${PORTAL}/grants/${grantId}`);
  });
});

describe("webhook delivery", () => {
  test("posts JSON text to the local receiver", async () => {
    webhook.respondWith(200);
    const { request, row } = await createRequestWithWebhookRow();
    const before = webhook.received.length;

    const outcome = await deliverNotification(row.id, FIRST_ATTEMPT, { settings: settingsWith({ webhookUrl: webhook.url }) });

    expect(outcome).toEqual({ status: "sent" });
    const received = webhook.received.slice(before);
    expect(received).toHaveLength(1);
    expect(received[0]?.path).toBe("/services/T000/B000/s3cr3tT0ken");
    expect(received[0]?.contentType).toBe("application/json");
    const payload = JSON.parse(received[0]!.body) as { text: string };
    expect(payload.text).toContain("New access request: Alex Vendor (Acme Logistics) asks for read access to named files");
    expect(payload.text).toContain(`${PORTAL}/requests/${request.id}`);

    const stored = await db.notification.findUniqueOrThrow({ where: { id: row.id } });
    expect(stored.status).toBe("SENT");
    expect(stored.sentAt).not.toBeNull();
    expect(stored.attempts).toBe(1);
    expect(stored.lastError).toBeNull();
    expect(await deliverNotification(row.id, FIRST_ATTEMPT, { settings: settingsWith({ webhookUrl: webhook.url }) })).toEqual({ status: "skipped", reason: "already-sent" });
  });

  test("HTTP 500 ends FAILED after retries, workflow untouched", async () => {
    webhook.respondWith(500);
    const { request, row } = await createRequestWithWebhookRow();
    const requestBefore = await db.accessRequest.findUniqueOrThrow({ where: { id: request.id } });
    const auditBefore = await db.auditEvent.count({ where: { requestId: request.id } });
    const settings = settingsWith({ webhookUrl: webhook.url });
    const before = webhook.received.length;

    for (let retryCount = 0; retryCount < 5; retryCount++) {
      const outcome = await deliverNotification(row.id, { retryCount, retryLimit: 5 }, { settings });
      expect(outcome).toEqual({ status: "retry", error: "webhook responded with HTTP 500" });
      const stored = await db.notification.findUniqueOrThrow({ where: { id: row.id } });
      expect(stored.status).toBe("PENDING");
      expect(stored.attempts).toBe(retryCount + 1);
    }
    const last = await deliverNotification(row.id, { retryCount: 5, retryLimit: 5 }, { settings });

    expect(last).toEqual({ status: "failed", error: "webhook responded with HTTP 500" });
    expect(webhook.received.length - before).toBe(6);
    const stored = await db.notification.findUniqueOrThrow({ where: { id: row.id } });
    expect(stored.status).toBe("FAILED");
    expect(stored.attempts).toBe(6);
    expect(stored.lastError).toBe("webhook responded with HTTP 500");
    expect(stored.sentAt).toBeNull();
    const requestAfter = await db.accessRequest.findUniqueOrThrow({ where: { id: request.id } });
    expect(requestAfter.status).toBe("PENDING");
    expect(requestAfter.updatedAt).toEqual(requestBefore.updatedAt);
    expect(await db.auditEvent.count({ where: { requestId: request.id } })).toBe(auditBefore);
  });

  test("HTTP 404 fails without retries", async () => {
    webhook.respondWith(404);
    const { row } = await createRequestWithWebhookRow();

    const outcome = await deliverNotification(row.id, FIRST_ATTEMPT, { settings: settingsWith({ webhookUrl: webhook.url }) });

    expect(outcome).toEqual({ status: "failed", error: "webhook responded with HTTP 404" });
  });

  test("unanswered request times out", async () => {
    webhook.respondWith("hang");
    const { row } = await createRequestWithWebhookRow();

    const outcome = await deliverNotification(row.id, FIRST_ATTEMPT, { settings: settingsWith({ webhookUrl: webhook.url }), webhookTimeoutMs: 300 });

    expect(outcome).toEqual({ status: "retry", error: "webhook request timed out after 0.3 s" });
    webhook.respondWith(200);
  });

  test("refused connection stores no URL", async () => {
    const { row } = await createRequestWithWebhookRow();
    const closedUrl = `http://127.0.0.1:${await findClosedPort()}/services/T000/B000/s3cr3tT0ken`;

    const outcome = await deliverNotification(row.id, FIRST_ATTEMPT, { settings: settingsWith({ webhookUrl: closedUrl }) });

    expect(outcome).toEqual({ status: "retry", error: "webhook request failed: ECONNREFUSED" });
    const stored = await db.notification.findUniqueOrThrow({ where: { id: row.id } });
    expect(stored.lastError).not.toContain("s3cr3t");
    expect(stored.body).not.toContain("s3cr3t");
  });

  test("admin retry re-queues a FAILED row", async () => {
    webhook.respondWith(404);
    const { row } = await createRequestWithWebhookRow();
    const settings = settingsWith({ webhookUrl: webhook.url });
    await deliverNotification(row.id, FIRST_ATTEMPT, { settings });

    await expectAppError(retryFailedNotification(actors.alice!, row.id), "NOT_FOUND");
    await retryFailedNotification(actors.erin!, row.id);

    const queued = await db.notification.findUniqueOrThrow({ where: { id: row.id } });
    expect(queued.status).toBe("PENDING");
    expect(queued.lastError).toBe("webhook responded with HTTP 404");
    expect(await sendJobsFor([row.id])).toHaveLength(2);

    webhook.respondWith(200);
    expect(await deliverNotification(row.id, FIRST_ATTEMPT, { settings })).toEqual({ status: "sent" });
    await expectAppError(retryFailedNotification(actors.erin!, row.id), "INVALID_STATE");
    await expectAppError(retryFailedNotification(actors.erin!, "no-such-notification"), "NOT_FOUND");
  });
});

describe("worker send handler", () => {
  test("fails only the job whose delivery will retry", async () => {
    webhook.respondWith(500);
    const boss: PgBoss = await getBoss();
    // Earlier tests left send jobs behind; this test fetches only its own.
    await db.$executeRaw`DELETE FROM pgboss.job WHERE name = ${QUEUES.sendNotification}`;
    const request = await createRequest(actors.vendor!, requestInput("named"));
    const rows = await notificationsOf({ requestId: request.id });

    const jobs = await boss.fetch<SendNotificationJobData>(QUEUES.sendNotification, { batchSize: 10, includeMetadata: true });
    expect(jobs.map((job) => job.data.notificationId).sort()).toEqual(rows.map((row) => row.id).sort());
    await handleSendNotificationJobs(boss, jobs, { settings: settingsWith({ webhookUrl: webhook.url, email: { kind: "outbox", dir: outboxDir } }) });

    const stored = await notificationsOf({ requestId: request.id });
    expect(stored.map((row) => [row.channel, row.status])).toEqual([
      ["EMAIL", "SENT"],
      ["EMAIL", "SENT"],
      ["WEBHOOK", "PENDING"],
    ]);
    const states = await sendJobsFor(rows.map((row) => row.id));
    const webhookRow = rows.find((row) => row.channel === "WEBHOOK")!;
    expect(states.find((job) => job.notificationId === webhookRow.id)?.state).toBe("retry");
    expect(states.filter((job) => job.notificationId !== webhookRow.id).map((job) => job.state)).toEqual(["active", "active"]);
    webhook.respondWith(200);
  });
});

describe("email delivery", () => {
  test("outbox folder gets an .eml with To, Subject and link", async () => {
    const request = await createRequest(actors.vendor!, requestInput("named"));
    const { grantId } = await reviewRequest(actors.alice!, { requestId: request.id, decision: "APPROVE", comment: "" });
    const [row] = await db.notification.findMany({ where: { requestId: request.id, event: "request.approved", channel: "EMAIL" } });

    const outcome = await deliverNotification(row!.id, FIRST_ATTEMPT, { settings: settingsWith({ email: { kind: "outbox", dir: outboxDir } }) });

    expect(outcome).toEqual({ status: "sent" });
    const files = (await readdir(outboxDir)).filter((name) => name.endsWith(`-${row!.id}.eml`));
    expect(files).toHaveLength(1);
    const source = await readFile(path.join(outboxDir, files[0]!), "utf8");
    expect(source).toMatch(new RegExp(`^To: ${email("vendor").replaceAll(".", "\\.")}\\r$`, "m"));
    expect(source).toMatch(/^Subject: Access approved: named files\r$/m);
    expect(source).toMatch(/^From: Vendor Access Portal <no-reply@localhost>\r$/m);
    expect(decodeQuotedPrintable(source)).toContain(`${PORTAL}/grants/${grantId}`);
  });

  test("SMTP receiver gets envelope, headers and link", async () => {
    const smtp = await startSmtpServer();
    try {
      const request = await createRequest(actors.vendor!, requestInput("named"));
      const [row] = await db.notification.findMany({ where: { requestId: request.id, event: "request.created", recipient: email("alice") } });

      const outcome = await deliverNotification(row!.id, FIRST_ATTEMPT, { settings: settingsWith({ email: { kind: "smtp", url: smtp.url } }) });

      expect(outcome).toEqual({ status: "sent" });
      expect(smtp.received).toHaveLength(1);
      expect(smtp.received[0]?.from).toBe("no-reply@localhost");
      expect(smtp.received[0]?.to).toEqual([email("alice")]);
      expect(smtp.received[0]?.data).toMatch(/^Subject: Review access request: named files for Acme Logistics\r$/m);
      expect(decodeQuotedPrintable(smtp.received[0]!.data)).toContain(`${PORTAL}/requests/${request.id}`);
    } finally {
      await smtp.close();
    }
  });

  test("SMTP 550 fails without retries", async () => {
    const smtp = await startSmtpServer({ rejectRecipients: true });
    try {
      const request = await createRequest(actors.vendor!, requestInput("named"));
      const [row] = await db.notification.findMany({ where: { requestId: request.id, event: "request.created", recipient: email("bob") } });

      const outcome = await deliverNotification(row!.id, FIRST_ATTEMPT, { settings: settingsWith({ email: { kind: "smtp", url: smtp.url } }) });

      expect(outcome.status).toBe("failed");
      const stored = await db.notification.findUniqueOrThrow({ where: { id: row!.id } });
      expect(stored.status).toBe("FAILED");
      expect(stored.lastError).toContain("550");
    } finally {
      await smtp.close();
    }
  });

  test("SMTP refused connection retries", async () => {
    const request = await createRequest(actors.vendor!, requestInput("named"));
    const [row] = await db.notification.findMany({ where: { requestId: request.id, event: "request.created", recipient: email("alice") } });
    const url = `smtp://mailer:hunter2-password@127.0.0.1:${await findClosedPort()}`;

    const outcome = await deliverNotification(row!.id, FIRST_ATTEMPT, { settings: settingsWith({ email: { kind: "smtp", url } }) });

    expect(outcome.status).toBe("retry");
    const stored = await db.notification.findUniqueOrThrow({ where: { id: row!.id } });
    expect(stored.status).toBe("PENDING");
    expect(stored.lastError).toContain("ECONNREFUSED");
    expect(stored.lastError).not.toContain("hunter2");
  });
});

describe("grant ending reminder", () => {
  test("created once, only for the scheduled end", async () => {
    const request = await createRequest(actors.vendor!, requestInput("auto", 30));
    const grant = await db.grant.findUniqueOrThrow({ where: { requestId: request.id } });
    const remindAt = new Date(grant.endsAt.getTime() - 15 * MINUTE);
    const data = { grantId: grant.id, at: grant.endsAt.toISOString() };

    expect(await sendGrantEndingReminder({ ...data, at: new Date(grant.endsAt.getTime() - MINUTE).toISOString() }, remindAt)).toBe("stale");
    expect(await sendGrantEndingReminder(data, remindAt)).toBe("created");
    expect(await sendGrantEndingReminder(data, remindAt)).toBe("duplicate");

    const rows = await notificationsOf({ grantId: grant.id, event: "grant.ending_soon" });
    expect(rows.map((row) => [row.channel, row.recipient])).toEqual([["EMAIL", email("vendor")]]);
    expect(rows[0]?.body).toContain("ends in 15 min");
    expect(rows[0]?.body).toContain(`${PORTAL}/grants/${grant.id}`);
    expect(await sendJobsFor([rows[0]!.id])).toHaveLength(1);
  });

  test("revoked grant gets no reminder", async () => {
    const request = await createRequest(actors.vendor!, requestInput("auto", 30));
    const grant = await db.grant.findUniqueOrThrow({ where: { requestId: request.id } });
    await revokeGrantAsActor(actors.vendor!, { grantId: grant.id });

    const outcome = await sendGrantEndingReminder({ grantId: grant.id, at: grant.endsAt.toISOString() }, new Date(grant.endsAt.getTime() - 15 * MINUTE));

    expect(outcome).toBe("stale");
    expect(await notificationsOf({ grantId: grant.id, event: "grant.ending_soon" })).toEqual([]);
    // The holder ended it, so only the webhook hears about it.
    const revoked = await notificationsOf({ grantId: grant.id, event: "grant.revoked" });
    expect(revoked.map((row) => row.channel)).toEqual(["WEBHOOK"]);
  });
});

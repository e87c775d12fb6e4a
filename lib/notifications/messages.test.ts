import { describe, expect, test } from "vitest";

import {
  describeActor,
  escapeSlackText,
  planNotifications,
  WEBHOOK_RECIPIENT,
  type GrantFacts,
  type NotificationEvent,
  type PlannedNotification,
  type RequestFacts,
} from "./messages";

const BASE_URL = "https://access.example.com";
const BOTH = { baseUrl: BASE_URL, email: true, webhook: true };

const vendorUser = { id: "user-vendor", name: "Alex Vendor", email: "Alex@Acme.example", disabled: false };
const alice = { name: "Alice Approver", email: "alice@portal.example", disabled: false };
const bob = { name: "Bob Approver", email: "bob@portal.example", disabled: false };

const accessRequest: RequestFacts = {
  id: "req-1",
  kind: "ACCESS",
  resourceName: "Warehouse",
  vendorName: "Acme Logistics",
  requester: vendorUser,
  accessLevel: "read",
  windowKind: "RELATIVE",
  requestedStart: null,
  requestedEnd: null,
  durationMinutes: 90,
  justification: "Checking the nightly export.",
  extendsGrant: null,
};

const extensionRequest: RequestFacts = {
  ...accessRequest,
  id: "req-ext",
  kind: "EXTENSION",
  windowKind: "FIXED",
  requestedStart: new Date("2026-03-12T10:00:00Z"),
  requestedEnd: new Date("2026-03-12T12:00:00Z"),
  durationMinutes: null,
  extendsGrant: { id: "grant-1", endsAt: new Date("2026-03-12T10:00:00Z") },
};

const grant: GrantFacts = {
  id: "grant-1",
  resourceName: "Warehouse",
  vendorName: "Acme Logistics",
  holder: vendorUser,
  accessLevel: "read",
  startsAt: new Date("2026-03-12T09:00:00Z"),
  endsAt: new Date("2026-03-12T10:00:00Z"),
};

function emails(planned: PlannedNotification[]) {
  return planned.filter((notification) => notification.channel === "EMAIL");
}

function webhooks(planned: PlannedNotification[]) {
  return planned.filter((notification) => notification.channel === "WEBHOOK");
}

type Case = {
  name: string;
  event: NotificationEvent;
  recipients: string[];
  subject: string;
  link: string;
  webhook: boolean;
};

const CASES: Case[] = [
  {
    name: "new access request",
    event: { action: "request.created", request: accessRequest, approvers: [alice, bob] },
    recipients: ["alice@portal.example", "bob@portal.example"],
    subject: "Review access request: Warehouse for Acme Logistics",
    link: `${BASE_URL}/requests/req-1`,
    webhook: true,
  },
  {
    name: "new extension request",
    event: { action: "request.created", request: extensionRequest, approvers: [alice] },
    recipients: ["alice@portal.example"],
    subject: "Review extension request: Warehouse for Acme Logistics",
    link: `${BASE_URL}/requests/req-ext`,
    webhook: true,
  },
  {
    name: "approved access request",
    event: { action: "request.approved", request: accessRequest, grant, decidedBy: "Alice Approver" },
    recipients: ["alex@acme.example"],
    subject: "Access approved: Warehouse",
    link: `${BASE_URL}/grants/grant-1`,
    webhook: true,
  },
  {
    name: "denied access request",
    event: { action: "request.denied", request: accessRequest, decidedBy: "Bob Approver", comments: ["Use the staging copy."] },
    recipients: ["alex@acme.example"],
    subject: "Access request denied: Warehouse",
    link: `${BASE_URL}/requests/req-1`,
    webhook: true,
  },
  {
    name: "denied extension request",
    event: { action: "request.denied", request: extensionRequest, decidedBy: "Bob Approver", comments: [] },
    recipients: ["alex@acme.example"],
    subject: "Extension request denied: Warehouse",
    link: `${BASE_URL}/requests/req-ext`,
    webhook: true,
  },
  {
    name: "expired request",
    event: { action: "request.expired", request: accessRequest },
    recipients: ["alex@acme.example"],
    subject: "Access request expired: Warehouse",
    link: `${BASE_URL}/requests/req-1`,
    webhook: false,
  },
  {
    name: "activated grant",
    event: { action: "grant.activated", grant },
    recipients: ["alex@acme.example"],
    subject: "Access is active: Warehouse",
    link: `${BASE_URL}/grants/grant-1`,
    webhook: false,
  },
  {
    name: "expired grant",
    event: { action: "grant.expired", grant },
    recipients: ["alex@acme.example"],
    subject: "Access ended: Warehouse",
    link: `${BASE_URL}/grants/grant-1`,
    webhook: false,
  },
  {
    name: "extended grant",
    event: { action: "grant.extended", grant, previousEndsAt: new Date("2026-03-12T09:30:00Z") },
    recipients: ["alex@acme.example"],
    subject: "Access extended: Warehouse",
    link: `${BASE_URL}/grants/grant-1`,
    webhook: false,
  },
  {
    name: "grant revoked by an approver",
    event: { action: "grant.revoked", grant, revokedBy: "Alice Approver", revokedByHolder: false, reason: "Vendor contract ended." },
    recipients: ["alex@acme.example"],
    subject: "Access revoked: Warehouse",
    link: `${BASE_URL}/grants/grant-1`,
    webhook: true,
  },
  {
    name: "failed grant",
    event: { action: "grant.failed", grant, reason: "The warehouse refused the connection." },
    recipients: ["alex@acme.example"],
    subject: "Access could not be set up: Warehouse",
    link: `${BASE_URL}/grants/grant-1`,
    webhook: true,
  },
  {
    name: "grant ending reminder",
    event: { action: "grant.ending_soon", grant, now: new Date("2026-03-12T09:45:00Z") },
    recipients: ["alex@acme.example"],
    subject: "Access ends at 12 Mar 2026, 10:00 UTC: Warehouse",
    link: `${BASE_URL}/grants/grant-1`,
    webhook: false,
  },
];

describe("planNotifications", () => {
  test.each(CASES)("$name: recipients, subject and link", ({ event, recipients, subject, link, webhook }) => {
    const planned = planNotifications(event, BOTH);

    expect(emails(planned).map((notification) => notification.recipient)).toEqual(recipients);
    for (const email of emails(planned)) {
      expect(email.subject).toBe(subject);
      expect(email.body).toContain(link);
      expect(email.event).toBe(event.action);
    }
    expect(webhooks(planned)).toHaveLength(webhook ? 1 : 0);
    for (const message of webhooks(planned)) {
      expect(message.recipient).toBe(WEBHOOK_RECIPIENT);
      expect(message.body).toContain(BASE_URL);
    }
  });

  test.each(CASES)("$name: request and grant ids on every row", ({ event }) => {
    for (const notification of planNotifications(event, BOTH)) {
      if ("request" in event) expect(notification.requestId).toBe(event.request.id);
      else expect(notification.grantId).toBe(event.grant.id);
    }
  });

  test("approved extension emails nobody", () => {
    const planned = planNotifications({ action: "request.approved", request: extensionRequest, grant: null, decidedBy: "Alice Approver" }, BOTH);

    expect(emails(planned)).toEqual([]);
    expect(webhooks(planned)).toHaveLength(1);
    expect(webhooks(planned)[0]?.body).toContain("Extension request approved by Alice Approver");
  });

  test("disabled and repeated recipients left out", () => {
    const planned = planNotifications(
      { action: "request.created", request: accessRequest, approvers: [alice, { ...bob, disabled: true }, { ...alice, email: "ALICE@portal.example" }] },
      BOTH,
    );

    expect(emails(planned).map((notification) => notification.recipient)).toEqual(["alice@portal.example"]);
  });

  test("disabled requester gets no email", () => {
    const request = { ...accessRequest, requester: { ...vendorUser, disabled: true } };
    const planned = planNotifications({ action: "request.denied", request, decidedBy: "Bob", comments: [] }, BOTH);

    expect(emails(planned)).toEqual([]);
    expect(webhooks(planned)).toHaveLength(1);
  });

  test("holder revoking own grant gets no email", () => {
    const planned = planNotifications({ action: "grant.revoked", grant, revokedBy: "Alex Vendor", revokedByHolder: true, reason: "Given up early by the holder." }, BOTH);

    expect(emails(planned)).toEqual([]);
    expect(webhooks(planned)).toHaveLength(1);
  });

  test.each([
    { name: "email only", options: { baseUrl: BASE_URL, email: true, webhook: false }, channels: ["EMAIL", "EMAIL"] },
    { name: "webhook only", options: { baseUrl: BASE_URL, email: false, webhook: true }, channels: ["WEBHOOK"] },
    { name: "neither", options: { baseUrl: BASE_URL, email: false, webhook: false }, channels: [] },
  ])("channels: $name", ({ options, channels }) => {
    const planned = planNotifications({ action: "request.created", request: accessRequest, approvers: [alice, bob] }, options);

    expect(planned.map((notification) => notification.channel)).toEqual(channels);
  });

  test("trailing slash of base URL dropped", () => {
    const planned = planNotifications({ action: "grant.activated", grant }, { ...BOTH, baseUrl: "https://access.example.com/portal/" });

    expect(planned[0]?.body).toContain("https://access.example.com/portal/grants/grant-1\n");
  });

  test("approver email carries the request details", () => {
    const [email] = planNotifications({ action: "request.created", request: accessRequest, approvers: [alice] }, BOTH);

    expect(email?.body).toContain("Hello Alice Approver,");
    expect(email?.body).toContain("Alex Vendor (Acme Logistics) asks for read access to Warehouse.");
    expect(email?.body).toContain("Window: 1 h 30 min from approval");
    expect(email?.body).toContain("Justification: Checking the nightly export.");
  });

  test("extension email shows current and requested end", () => {
    const [email] = planNotifications({ action: "request.created", request: extensionRequest, approvers: [alice] }, BOTH);

    expect(email?.body).toContain("Current end: 12 Mar 2026, 10:00 UTC");
    expect(email?.body).toContain("Requested end: 12 Mar 2026, 12:00 UTC");
  });

  test("denial email lists reviewer comments", () => {
    const [email] = planNotifications({ action: "request.denied", request: accessRequest, decidedBy: "Bob Approver", comments: ["Use the staging copy."] }, BOTH);

    expect(email?.body).toContain("was denied by Bob Approver.");
    expect(email?.body).toContain("Reason: Use the staging copy.");
  });

  test("reminder states the time left", () => {
    const [email] = planNotifications({ action: "grant.ending_soon", grant, now: new Date("2026-03-12T09:46:00Z") }, BOTH);

    expect(email?.body).toContain("ends in 14 min, at 12 Mar 2026, 10:00 UTC");
  });

  test("webhook text escapes Slack markup in names", () => {
    const request = { ...accessRequest, requester: { ...vendorUser, name: "<!channel> & <https://evil.example|click>" } };
    const [message] = webhooks(planNotifications({ action: "request.created", request, approvers: [] }, BOTH));

    expect(message?.body).toContain("&lt;!channel&gt; &amp; &lt;https://evil.example|click&gt;");
    expect(message?.body).not.toContain("<!channel>");
    expect(message?.subject).toBe("New access request: Warehouse for Acme Logistics");
  });

  test("email bodies are not escaped", () => {
    const request = { ...accessRequest, justification: "Rows with id < 100 & status = 'late'" };
    const [email] = emails(planNotifications({ action: "request.created", request, approvers: [alice] }, BOTH));

    expect(email?.body).toContain("Justification: Rows with id < 100 & status = 'late'");
  });
});

describe("escapeSlackText", () => {
  test.each([
    ["a & b", "a &amp; b"],
    ["<@U123>", "&lt;@U123&gt;"],
    ["plain text", "plain text"],
  ])("%s", (input, expected) => {
    expect(escapeSlackText(input)).toBe(expected);
  });
});

describe("describeActor", () => {
  test.each([
    { label: "user:alice@portal.example", name: "Alice Approver", expected: "Alice Approver" },
    { label: "user:alice@portal.example", name: null, expected: "a portal user" },
    { label: "rule:auto-approve", name: null, expected: "the resource's auto-approval rule" },
    { label: "system:worker", name: null, expected: "the portal" },
  ])("$label with name $name", ({ label, name, expected }) => {
    expect(describeActor({ label, name })).toBe(expected);
  });
});

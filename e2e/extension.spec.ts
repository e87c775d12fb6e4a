import type { Locator, Page } from "@playwright/test";

import { formatDateTime } from "../lib/format-time";

import { connect, createPassword, readLoginDetails } from "./database-login";
import { createApprovedGrant, expect, pageHeader, RESOURCES, test, uniqueTag, USERS } from "./fixtures";

// Berlin is UTC+1 or UTC+2, so a form that read the local time as UTC would move the end by an hour or two.
const TIME_ZONE = "Europe/Berlin";
const MINUTE_MS = 60_000;
const EXTENSION_MS = 30 * MINUTE_MS;

/** Returns a locator for the `<time>` element in the grant page's "Ends" row. */
function grantEnd(page: Page): Locator {
  return page.locator("dt", { hasText: /^Ends$/ }).locator("xpath=following-sibling::dd[1]").locator("time");
}

async function readGrantEnd(page: Page): Promise<Date> {
  const value = await grantEnd(page).getAttribute("datetime");
  expect(value, "datetime attribute of the grant's end").toBeTruthy();

  return new Date(value!);
}

/** Formats an instant as a datetime-local input value ("2026-12-04T21:30") in `timeZone`. */
function toDateTimeLocal(instant: Date, timeZone: string): string {
  const parts = new Intl.DateTimeFormat("en-US", {
    timeZone,
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
  }).formatToParts(instant);
  const part = (type: Intl.DateTimeFormatPartTypes) => parts.find((candidate) => candidate.type === type)?.value ?? "";

  return `${part("year")}-${part("month")}-${part("day")}T${part("hour")}:${part("minute")}`;
}

test.describe("grant extension", () => {
  test("approved extension moves the end", async ({ pageAs, approverPage }) => {
    const vendorPage = await pageAs(USERS.acmeVendor, { timezoneId: TIME_ZONE });
    const tag = uniqueTag();
    const { requestId } = await createApprovedGrant(vendorPage, approverPage, {
      resource: RESOURCES.warehouse,
      accessLevel: "read",
      durationMinutes: 60,
      justification: `Month-end shipment report e2e-${tag}`,
    });
    const details = await readLoginDetails(vendorPage);
    const password = await createPassword(vendorPage);

    const originalEnd = await readGrantEnd(vendorPage);
    await expect(grantEnd(vendorPage)).toHaveText(formatDateTime(originalEnd, TIME_ZONE));

    // A datetime-local field has minute precision, so the new end is the start of that minute.
    const requestedEnd = new Date(Math.floor((originalEnd.getTime() + EXTENSION_MS) / MINUTE_MS) * MINUTE_MS);
    const justification = `The report run needs another half hour e2e-${tag}`;
    await vendorPage.getByLabel("New end (your time zone)", { exact: true }).fill(toDateTimeLocal(requestedEnd, TIME_ZONE));
    await vendorPage.getByLabel("Why you need more time", { exact: true }).fill(justification);
    await vendorPage.getByRole("button", { name: "Request extension", exact: true }).click();

    const pendingNotice = vendorPage.getByText("Extension waiting for review", { exact: true });
    await expect(pendingNotice).toBeVisible();
    await expect(vendorPage.getByText(`Requested new end: ${formatDateTime(requestedEnd, TIME_ZONE)}.`)).toBeVisible();
    await expect(vendorPage.getByRole("heading", { name: "Need more time?", exact: true })).toHaveCount(0);
    await expect(grantEnd(vendorPage)).toHaveAttribute("datetime", originalEnd.toISOString());

    // The approver finds the extension in the review queue and approves it.
    await approverPage.goto("/reviews");
    const row = approverPage.getByRole("row").filter({ hasText: justification });
    await expect(row).toHaveCount(1);
    await expect(row).toContainText("Extension · read");
    await row.getByRole("link", { name: RESOURCES.warehouse, exact: true }).click();
    await approverPage.waitForURL(/\/requests\/[^/?#]+$/);
    await expect(approverPage.getByRole("heading", { level: 1, name: `Extension: ${RESOURCES.warehouse}` })).toBeVisible();

    const comment = `Another half hour is fine e2e-${tag}`;
    await approverPage.getByLabel("Comment", { exact: true }).fill(comment);
    await approverPage.getByRole("button", { name: "Approve", exact: true }).click();
    await expect(approverPage.getByRole("list", { name: "Status history" }).getByText(comment)).toBeVisible();
    await expect(pageHeader(approverPage).getByText("Approved", { exact: true })).toBeVisible();
    await expect(approverPage.getByRole("heading", { name: "Your review", exact: true })).toHaveCount(0);

    // The vendor's grant shows the new end in the browser's time zone.
    await vendorPage.reload();
    await expect(pendingNotice).toHaveCount(0);
    await expect(pageHeader(vendorPage).getByText("Active", { exact: true })).toBeVisible();
    await expect(grantEnd(vendorPage)).toHaveAttribute("datetime", requestedEnd.toISOString());
    await expect(grantEnd(vendorPage)).toHaveText(formatDateTime(requestedEnd, TIME_ZONE));

    // The password issued before the extension still signs in, and the login now ends later.
    const { client } = await connect(details, password);
    try {
      await expect
        .poll(async () => {
          const { rows } = await client.query<{ validUntil: Date | null }>(
            "SELECT rolvaliduntil AS \"validUntil\" FROM pg_roles WHERE rolname = current_user",
          );

          return rows[0]?.validUntil?.toISOString();
        })
        .toBe(requestedEnd.toISOString());
    } finally {
      await client.end();
    }

    await vendorPage.goto(`/requests/${requestId}`);
    await expect(vendorPage.getByRole("list", { name: "Status history" }).getByText("Grant extended", { exact: true })).toBeVisible();
  });
});

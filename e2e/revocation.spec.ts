import type { Page } from "@playwright/test";
import { DatabaseError } from "pg";

import { ADMIN_SHUTDOWN, connect, createPassword, INVALID_PASSWORD, readLoginDetails, signInError } from "./database-login";
import { createApprovedGrant, expect, pageHeader, RESOURCES, test, uniqueTag } from "./fixtures";

const GIVE_UP_REASON = "Given up early by the holder.";

/** Checks that the holder's grant page shows the grant as revoked for `reason` and offers no credentials. */
async function expectRevokedForHolder(page: Page, reason: string): Promise<void> {
  await expect(pageHeader(page).getByText("Revoked", { exact: true })).toBeVisible();
  await expect(page.getByText("Access was revoked", { exact: true })).toBeVisible();
  await expect(page.getByText(`Reason: ${reason}`, { exact: true })).toBeVisible();
  await expect(page.getByRole("heading", { name: "Database login", exact: true })).toHaveCount(0);
  await expect(page.getByRole("button", { name: "Create password", exact: true })).toHaveCount(0);
  await expect(page.getByRole("button", { name: "New password", exact: true })).toHaveCount(0);
  await expect(page.getByRole("button", { name: "Give up access", exact: true })).toHaveCount(0);
  await expect(page.getByRole("heading", { name: "Need more time?", exact: true })).toHaveCount(0);
}

/** Returns the error a query on an open session fails with, or null when the query succeeds. */
async function queryError(run: () => Promise<unknown>): Promise<unknown> {
  try {
    await run();
  } catch (error) {
    return error;
  }

  return null;
}

test.describe("grant revocation", () => {
  test("approver revokes with a reason", async ({ vendorPage, approverPage }) => {
    const tag = uniqueTag();
    const { grantId } = await createApprovedGrant(vendorPage, approverPage, {
      resource: RESOURCES.warehouse,
      accessLevel: "read",
      durationMinutes: 60,
      justification: `Carrier invoice check e2e-${tag}`,
    });
    const details = await readLoginDetails(vendorPage);
    const password = await createPassword(vendorPage);

    const session = await connect(details, password);
    try {
      const { rows } = await session.client.query<{ user: string }>("SELECT current_user AS user");
      expect(rows[0]?.user).toBe(details.user);

      await approverPage.goto(`/grants/${grantId}`);
      await expect(pageHeader(approverPage).getByText("Active", { exact: true })).toBeVisible();
      await pageHeader(approverPage).getByRole("button", { name: "Revoke access", exact: true }).click();
      const dialog = approverPage.getByRole("dialog", { name: "Revoke this access now?" });
      await expect(dialog).toBeVisible();

      // A revocation without a reason is rejected, and the dialog stays open.
      const reasonField = dialog.getByLabel("Reason", { exact: true });
      await dialog.getByRole("button", { name: "Revoke access", exact: true }).click();
      await expect(dialog.getByText("Say why the access is revoked; the vendor sees it.")).toBeVisible();
      await expect(reasonField).toHaveAttribute("aria-invalid", "true");
      await expect(pageHeader(approverPage).getByText("Active", { exact: true })).toBeVisible();

      const reason = `Contract with the carrier ended e2e-${tag}`;
      await reasonField.fill(reason);
      await dialog.getByRole("button", { name: "Revoke access", exact: true }).click();
      await expect(dialog).toHaveCount(0);
      await expect(pageHeader(approverPage).getByText("Revoked", { exact: true })).toBeVisible();
      await expect(approverPage.getByText(`Reason: ${reason}`, { exact: true })).toBeVisible();
      await expect(pageHeader(approverPage).getByRole("button", { name: "Revoke access", exact: true })).toHaveCount(0);

      await vendorPage.reload();
      await expectRevokedForHolder(vendorPage, reason);

      // Revocation terminated the open session, and the password no longer signs in.
      const error = await queryError(() => session.client.query("SELECT 1"));
      expect(error, "query on the session opened before the revocation").toBeInstanceOf(Error);
      await expect
        .poll(() => session.errors.map((sessionError) => (sessionError instanceof DatabaseError ? sessionError.code : sessionError.message)))
        .toContain(ADMIN_SHUTDOWN);
      expect(await signInError(details, password), "sign-in after the revocation").toBe(INVALID_PASSWORD);
    } finally {
      await session.client.end();
    }
  });

  test("vendor gives up access", async ({ vendorPage, approverPage }) => {
    const tag = uniqueTag();
    const { requestId, grantId } = await createApprovedGrant(vendorPage, approverPage, {
      resource: RESOURCES.warehouse,
      accessLevel: "read",
      durationMinutes: 30,
      justification: `One-off shipment lookup e2e-${tag}`,
    });
    const details = await readLoginDetails(vendorPage);
    const password = await createPassword(vendorPage);

    const session = await connect(details, password);
    try {
      await pageHeader(vendorPage).getByRole("button", { name: "Give up access", exact: true }).click();
      const dialog = vendorPage.getByRole("dialog", { name: "Give up this access now?" });
      await expect(dialog).toBeVisible();
      await expect(dialog.getByLabel("Reason (optional)", { exact: true })).toBeEmpty();
      await dialog.getByRole("button", { name: "Give up access", exact: true }).click();

      await expect(dialog).toHaveCount(0);
      await expectRevokedForHolder(vendorPage, GIVE_UP_REASON);
      await vendorPage.reload();
      await expectRevokedForHolder(vendorPage, GIVE_UP_REASON);

      const error = await queryError(() => session.client.query("SELECT 1"));
      expect(error, "query on the session opened before giving up").toBeInstanceOf(Error);
      expect(await signInError(details, password), "sign-in after giving up").toBe(INVALID_PASSWORD);
    } finally {
      await session.client.end();
    }

    await vendorPage.goto(`/requests/${requestId}`);
    await expect(vendorPage.getByRole("list", { name: "Status history" }).getByText("Access revoked", { exact: true })).toBeVisible();

    await approverPage.goto(`/grants/${grantId}`);
    await expect(pageHeader(approverPage).getByText("Revoked", { exact: true })).toBeVisible();
    await expect(approverPage.getByText(`Reason: ${GIVE_UP_REASON}`, { exact: true })).toBeVisible();
    await expect(approverPage.getByRole("button", { name: "Revoke access", exact: true })).toHaveCount(0);
  });
});

import { connect, createPassword, readLoginDetails } from "./database-login";
import {
  createRequest,
  expect,
  openActiveGrant,
  pageHeader,
  RESOURCES,
  submitReview,
  test,
  uniqueTag,
} from "./fixtures";

test.describe("resource with two approvals", () => {
  test("second approval activates grant", async ({ vendorPage, approverPage, secondApproverPage }) => {
    const tag = uniqueTag();
    const requestId = await createRequest(vendorPage, {
      resource: RESOURCES.billing,
      accessLevel: "read",
      durationMinutes: 60,
      justification: `Payment run audit e2e-${tag}`,
    });
    await expect(vendorPage.getByText("0 of 2 required", { exact: true })).toBeVisible();

    // The first approval is recorded, and the request stays pending.
    const firstComment = `First approval e2e-${tag}`;
    await approverPage.goto(`/requests/${requestId}`);
    await approverPage.getByLabel("Comment", { exact: true }).fill(firstComment);
    await approverPage.getByRole("button", { name: "Approve", exact: true }).click();
    await expect(approverPage.getByText("Approval recorded; the request needs more approvals.")).toBeVisible();
    await expect(approverPage.getByRole("list", { name: "Status history" }).getByText(firstComment)).toBeVisible();
    await expect(approverPage.getByText("1 of 2 required", { exact: true })).toBeVisible();
    await expect(pageHeader(approverPage).getByText("Pending review", { exact: true })).toBeVisible();
    await expect(approverPage.getByRole("heading", { name: "Grant", exact: true })).toHaveCount(0);

    // The first approver cannot approve a second time, and the page still shows the confirmation.
    await approverPage.reload();
    await expect(approverPage.getByText("1 of 2 required", { exact: true })).toBeVisible();
    await expect(approverPage.getByText("Approval recorded; the request needs more approvals.")).toBeVisible();
    await expect(approverPage.getByRole("heading", { name: "Your review", exact: true })).toHaveCount(0);
    await expect(approverPage.getByRole("button", { name: "Approve", exact: true })).toHaveCount(0);
    await expect(approverPage.getByRole("button", { name: "Deny", exact: true })).toHaveCount(0);

    await approverPage.goto("/reviews");
    const firstApproverRow = approverPage.getByRole("row", { name: new RegExp(`e2e-${tag}`) });
    await expect(firstApproverRow).toContainText("1 of 2");
    await expect(firstApproverRow.getByText("You approved", { exact: true })).toBeVisible();

    await secondApproverPage.goto("/reviews");
    const secondApproverRow = secondApproverPage.getByRole("row", { name: new RegExp(`e2e-${tag}`) });
    await expect(secondApproverRow).toContainText("1 of 2");
    await expect(secondApproverRow.getByText("You approved", { exact: true })).toHaveCount(0);

    // The second approval approves the request and creates the grant.
    const secondComment = `Second approval e2e-${tag}`;
    await secondApproverPage.goto(`/requests/${requestId}`);
    await expect(secondApproverPage.getByRole("heading", { name: "Your review", exact: true })).toBeVisible();
    await secondApproverPage.getByLabel("Comment", { exact: true }).fill(secondComment);
    await secondApproverPage.getByRole("button", { name: "Approve", exact: true }).click();
    await expect(secondApproverPage.getByRole("list", { name: "Status history" }).getByText(secondComment)).toBeVisible();
    await expect(secondApproverPage.getByText("2 of 2 required", { exact: true })).toBeVisible();
    await expect(pageHeader(secondApproverPage).getByText("Approved", { exact: true })).toBeVisible();
    await expect(secondApproverPage.getByRole("heading", { name: "Grant", exact: true })).toBeVisible();

    // The vendor gets the grant and a working password.
    await openActiveGrant(vendorPage, requestId);
    await expect(vendorPage.getByRole("heading", { level: 1, name: RESOURCES.billing })).toBeVisible();
    await expect(pageHeader(vendorPage).getByText("Active", { exact: true })).toBeVisible();
    const details = await readLoginDetails(vendorPage);
    const password = await createPassword(vendorPage);

    const { client } = await connect(details, password);
    try {
      const { rows } = await client.query<{ user: string }>("SELECT current_user AS user");
      expect(rows[0]?.user).toBe(details.user);
    } finally {
      await client.end();
    }
  });

  test("denial after one approval denies", async ({ vendorPage, approverPage, secondApproverPage }) => {
    const tag = uniqueTag();
    const requestId = await createRequest(vendorPage, {
      resource: RESOURCES.billing,
      accessLevel: "read",
      durationMinutes: 60,
      justification: `Export of all payment runs e2e-${tag}`,
    });
    await submitReview(approverPage, requestId, "Approve", `Looks fine to me e2e-${tag}`);
    await expect(approverPage.getByText("1 of 2 required", { exact: true })).toBeVisible();

    const reason = `Payment runs hold bank details, ask for invoices only e2e-${tag}`;
    await submitReview(secondApproverPage, requestId, "Deny", reason);
    await expect(pageHeader(secondApproverPage).getByText("Denied", { exact: true })).toBeVisible();
    await expect(secondApproverPage.getByRole("heading", { name: "Grant", exact: true })).toHaveCount(0);

    await vendorPage.reload();
    await expect(pageHeader(vendorPage).getByText("Denied", { exact: true })).toBeVisible();
    await expect(vendorPage.getByRole("list", { name: "Status history" }).getByText(reason)).toBeVisible();
    await expect(vendorPage.getByText("1 of 2 required", { exact: true })).toBeVisible();
    await expect(vendorPage.getByRole("heading", { name: "Grant", exact: true })).toHaveCount(0);
    await expect(vendorPage.getByRole("button", { name: "Cancel request", exact: true })).toHaveCount(0);

    // The first approver can no longer change the outcome.
    await approverPage.reload();
    await expect(pageHeader(approverPage).getByText("Denied", { exact: true })).toBeVisible();
    await expect(approverPage.getByRole("button", { name: "Approve", exact: true })).toHaveCount(0);
    await approverPage.goto("/reviews");
    await expect(approverPage.getByRole("heading", { level: 1, name: "Review queue" })).toBeVisible();
    await expect(approverPage.getByText(`e2e-${tag}`)).toHaveCount(0);
  });
});

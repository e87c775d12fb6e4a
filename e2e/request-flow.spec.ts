import { createRequest, expect, RESOURCES, test, uniqueTag } from "./fixtures";

test.describe("request review flow", () => {
  test("denial needs and shows comment", async ({ vendorPage, approverPage }) => {
    const tag = uniqueTag();
    const requestId = await createRequest(vendorPage, {
      resource: RESOURCES.warehouse,
      accessLevel: "read",
      justification: `Broad export of all invoices e2e-${tag}`,
    });

    await approverPage.goto(`/requests/${requestId}`);
    await approverPage.getByRole("button", { name: "Deny", exact: true }).click();
    await expect(approverPage.getByText("Tell the requester why the request is denied.")).toBeVisible();
    await expect(approverPage.getByLabel("Comment", { exact: true })).toHaveAttribute("aria-invalid", "true");

    const reason = `Ask for the invoices of one quarter only e2e-${tag}`;
    await approverPage.getByLabel("Comment", { exact: true }).fill(reason);
    await approverPage.getByRole("button", { name: "Deny", exact: true }).click();
    const history = approverPage.getByRole("list", { name: "Status history" });
    await expect(history.getByText(reason)).toBeVisible();
    await expect(approverPage.getByRole("heading", { name: "Your review", exact: true })).toHaveCount(0);

    await vendorPage.reload();
    await expect(vendorPage.getByText("Denied", { exact: true }).first()).toBeVisible();
    await expect(vendorPage.getByRole("list", { name: "Status history" }).getByText(reason)).toBeVisible();
    await expect(vendorPage.getByRole("heading", { name: "Grant", exact: true })).toHaveCount(0);

    await approverPage.goto("/reviews");
    await expect(approverPage.getByRole("heading", { level: 1, name: "Review queue" })).toBeVisible();
    await expect(approverPage.getByText(`e2e-${tag}`)).toHaveCount(0);
  });

  test("vendor cancels pending request", async ({ vendorPage, approverPage }) => {
    const tag = uniqueTag();
    const requestId = await createRequest(vendorPage, {
      resource: RESOURCES.fileExchange,
      accessLevel: "upload",
      justification: `Sent by mistake e2e-${tag}`,
    });

    await vendorPage.getByRole("button", { name: "Cancel request", exact: true }).click();
    const dialog = vendorPage.getByRole("dialog", { name: "Cancel this request?" });
    await expect(dialog).toBeVisible();
    await dialog.getByRole("button", { name: "Cancel request", exact: true }).click();

    await expect(dialog).toHaveCount(0);
    await expect(vendorPage.getByRole("list", { name: "Status history" }).getByText("Cancelled", { exact: true })).toBeVisible();
    await expect(vendorPage.getByRole("button", { name: "Cancel request", exact: true })).toHaveCount(0);

    await approverPage.goto(`/requests/${requestId}`);
    await expect(approverPage.getByRole("heading", { name: "Your review", exact: true })).toHaveCount(0);
    await approverPage.goto("/reviews");
    await expect(approverPage.getByRole("heading", { level: 1, name: "Review queue" })).toBeVisible();
    await expect(approverPage.getByText(`e2e-${tag}`)).toHaveCount(0);
  });
});

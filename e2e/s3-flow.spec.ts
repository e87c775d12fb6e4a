import { randomBytes } from "node:crypto";

import { createApprovedGrant, expect, pageHeader, RESOURCES, test, uniqueTag } from "./fixtures";

const VENDOR_PREFIX = "vendor-uploads/acme-logistics/";

test.describe("file exchange flow", () => {
  test("uploaded file downloads unchanged", async ({ vendorPage: page, approverPage }) => {
    const tag = uniqueTag();
    await createApprovedGrant(page, approverPage, {
      resource: RESOURCES.fileExchange,
      accessLevel: "read-write",
      durationMinutes: 60,
      justification: `Quarterly rate sheets e2e-${tag}`,
    });
    await expect(page.getByRole("heading", { level: 1, name: RESOURCES.fileExchange })).toBeVisible();
    await expect(page.getByText(VENDOR_PREFIX, { exact: true })).toBeVisible();

    const content = randomBytes(64 * 1024 + 123);
    const objectName = `e2e/${tag}/rates.bin`;
    const key = `${VENDOR_PREFIX}${objectName}`;
    await page.getByLabel("File", { exact: true }).setInputFiles({ name: "rates.bin", mimeType: "application/octet-stream", buffer: content });
    await expect(page.getByLabel("Object name", { exact: true })).toHaveValue("rates.bin");
    await page.getByLabel("Object name", { exact: true }).fill(objectName);
    await page.getByRole("button", { name: "Upload", exact: true }).click();

    await expect(page.getByText(`Uploaded ${key}.`)).toBeVisible();
    const row = page.getByRole("row").filter({ has: page.getByRole("cell", { name: key, exact: true }) });
    await expect(row).toHaveCount(1);
    await expect(row).toContainText(`${content.length.toLocaleString("en-US")} B`);

    const curlUpload = page.getByRole("figure").filter({ hasText: `Upload ${key} with curl` });
    await expect(curlUpload).toContainText("curl --fail -X PUT");
    await expect(curlUpload).toContainText("-H 'x-amz-server-side-encryption: AES256'");
    await expect(curlUpload).toContainText("--upload-file 'rates.bin'");

    await row.getByRole("button", { name: "Get link", exact: true }).click();
    const link = row.getByRole("link", { name: "Download rates.bin", exact: true });
    await expect(link).toBeVisible();
    await expect(row.getByRole("button", { name: `Copy curl download command for ${key}` })).toBeVisible();
    const href = await link.getAttribute("href");
    expect(href, "download link href").toBeTruthy();
    expect(new URL(href!).pathname).toBe(`/vendor-exchange/${key}`);

    const download = await page.request.get(href!);
    expect(download.status(), "presigned GET status").toBe(200);
    expect(download.headers()["content-disposition"]).toContain("attachment");
    const downloaded = await download.body();
    expect(downloaded.length).toBe(content.length);
    expect(downloaded.equals(content), "downloaded bytes equal the uploaded bytes").toBe(true);
  });

  test("curl command without a file", async ({ vendorPage: page, approverPage }) => {
    const tag = uniqueTag();
    await createApprovedGrant(page, approverPage, {
      resource: RESOURCES.fileExchange,
      accessLevel: "upload",
      durationMinutes: 30,
      justification: `Upload by script e2e-${tag}`,
    });

    const objectName = `e2e-${tag}.csv`;
    await page.getByLabel("Object name", { exact: true }).fill(objectName);
    await page.getByRole("button", { name: "Upload", exact: true }).click();

    await expect(page.getByText("Upload URL issued. Use the curl command below to upload from your machine.")).toBeVisible();
    const curlUpload = page.getByRole("figure").filter({ hasText: `Upload ${VENDOR_PREFIX}${objectName} with curl` });
    await expect(curlUpload).toContainText("-H 'x-amz-server-side-encryption: AES256'");
    await expect(curlUpload).toContainText(`--upload-file '${objectName}'`);
    await expect(curlUpload).toContainText(`/vendor-exchange/${VENDOR_PREFIX}${objectName}?`);

    // An upload-only grant offers no download links.
    await expect(page.getByRole("button", { name: "Get link" })).toHaveCount(0);
  });

  test("revoked grant warns about issued links", async ({ vendorPage: page, approverPage }) => {
    const tag = uniqueTag();
    const { grantId } = await createApprovedGrant(page, approverPage, {
      resource: RESOURCES.fileExchange,
      accessLevel: "read-write",
      durationMinutes: 60,
      justification: `Links after revocation e2e-${tag}`,
    });
    const content = randomBytes(512);
    const key = `${VENDOR_PREFIX}e2e/${tag}/notes.bin`;
    await page.getByLabel("File", { exact: true }).setInputFiles({ name: "notes.bin", mimeType: "application/octet-stream", buffer: content });
    await page.getByLabel("Object name", { exact: true }).fill(`e2e/${tag}/notes.bin`);
    await page.getByRole("button", { name: "Upload", exact: true }).click();
    await expect(page.getByText(`Uploaded ${key}.`)).toBeVisible();
    const row = page.getByRole("row").filter({ has: page.getByRole("cell", { name: key, exact: true }) });
    await row.getByRole("button", { name: "Get link", exact: true }).click();
    const href = await row.getByRole("link", { name: "Download notes.bin", exact: true }).getAttribute("href");
    expect(href, "download link href").toBeTruthy();

    await approverPage.goto(`/grants/${grantId}`);
    await pageHeader(approverPage).getByRole("button", { name: "Revoke access", exact: true }).click();
    const dialog = approverPage.getByRole("dialog", { name: "Revoke this access now?" });
    await dialog.getByLabel("Reason", { exact: true }).fill(`Exchange closed e2e-${tag}`);
    await dialog.getByRole("button", { name: "Revoke access", exact: true }).click();
    await expect(pageHeader(approverPage).getByText("Revoked", { exact: true })).toBeVisible();

    // Static-key URLs cannot be recalled, so the page warns and shows when the last one expires.
    await page.reload();
    await expect(page.getByText("Links issued before the revocation still work until they expire", { exact: true })).toBeVisible();
    await expect(page.getByText(/^Presigned URLs signed with static keys cannot be recalled\. The last one issued for this grant stays valid until .+\.$/)).toBeVisible();
    const stillValid = await page.request.get(href!);
    expect(stillValid.status(), "presigned GET after the revocation").toBe(200);
    expect((await stillValid.body()).equals(content), "bytes of the file after the revocation").toBe(true);
    await expect(page.getByRole("button", { name: "Get link", exact: true })).toHaveCount(0);
  });
});

import { randomBytes } from "node:crypto";

import { createApprovedGrant, expect, RESOURCES, test, uniqueTag } from "./fixtures";

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
});

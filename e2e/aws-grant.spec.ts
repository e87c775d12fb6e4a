import type { Page } from "@playwright/test";

import { expectNoSeriousViolations } from "./axe";
import {
  allowedActions,
  assumeRoleCalls,
  FAKE_AWS,
  FAKE_AWS_ENDPOINT,
  grantIdsIn,
  readFakeAwsState,
  readFakeRole,
  roleArnOf,
  sessionTags,
} from "./fake-aws";
import { createApprovedGrant, expect, pageHeader, test, uniqueTag, USERS } from "./fixtures";

const AWS_FILE_EXCHANGE = "AWS file exchange";
const AWS_WAREHOUSE = "Warehouse through RDS IAM";
const ACME_ROLE = "vap-acme-logistics";
const ACME_ROLE_ARN = roleArnOf("acme-logistics");
const ACME_PREFIX = "vendor-uploads/acme-logistics/";

/** Returns the text of the one code block whose caption contains `caption`. */
async function codeBlock(page: Page, caption: string): Promise<string> {
  const figure = page.getByRole("figure").filter({ has: page.locator("figcaption", { hasText: caption }) });
  await expect(figure).toHaveCount(1);

  return figure.locator("pre").innerText();
}

/** Returns the grant's end from the Window card. */
async function grantEnd(page: Page): Promise<Date> {
  const value = await page.locator("xpath=//dt[normalize-space()='Ends']/following-sibling::dd[1]//time").getAttribute("datetime");

  return new Date(value!);
}

function exportedValue(shellExports: string, name: string): string {
  const match = new RegExp(`^export ${name}='([^']*)'$`, "m").exec(shellExports);
  if (!match) throw new Error(`${name} missing from the shell exports:\n${shellExports}`);

  return match[1]!;
}

async function revokeAsApprover(page: Page, grantId: string, reason: string): Promise<void> {
  await page.goto(`/grants/${grantId}`);
  await pageHeader(page).getByRole("button", { name: "Revoke access", exact: true }).click();
  const dialog = page.getByRole("dialog", { name: "Revoke this access now?" });
  await dialog.getByLabel("Reason", { exact: true }).fill(reason);
  await dialog.getByRole("button", { name: "Revoke access", exact: true }).click();
  await expect(dialog).toHaveCount(0);
  await expect(pageHeader(page).getByText("Revoked", { exact: true })).toBeVisible();
}

test.describe("AWS grant page", () => {
  test.afterEach(async () => {
    const unanswered = (await readFakeAwsState()).calls.filter((call) => call.status === 501);
    expect(unanswered, "AWS requests that the fake endpoint does not implement").toEqual([]);
  });

  test("S3 prefix session, then revocation", async ({ vendorPage: page, approverPage, pageAs }, testInfo) => {
    const tag = uniqueTag();
    const { grantId } = await createApprovedGrant(page, approverPage, {
      resource: AWS_FILE_EXCHANGE,
      accessLevel: "read-write",
      durationMinutes: 30,
      justification: `AWS rate sheets e2e-${tag}`,
    });

    const provisioned = await readFakeRole(ACME_ROLE);
    expect(allowedActions(provisioned, grantId)).toEqual(expect.arrayContaining(["s3:ListBucket", "s3:GetObject", "s3:PutObject"]));
    // Acme has an AWS account, so the trust policy admits it with this grant's session tag.
    expect(provisioned.trustPolicy).toContain(grantId);
    expect(provisioned.trustPolicy).toContain(FAKE_AWS.portalPrincipalArn);

    await expect(page.getByRole("heading", { name: "AWS access", exact: true })).toBeVisible();
    await expect(page.getByText(ACME_PREFIX, { exact: true })).toBeVisible();
    await expect(page.getByText("No files yet.", { exact: false })).toBeVisible();

    const selfAssume = page.getByRole("region", { name: "Assume the role from your own AWS account" });
    await expect(selfAssume.getByText(ACME_ROLE_ARN, { exact: true })).toBeVisible();
    const assumeCommand = await codeBlock(page, "aws sts assume-role");
    expect(assumeCommand).toContain(`--role-arn ${ACME_ROLE_ARN}`);
    expect(assumeCommand).toContain(`--tags Key=vap-grant,Value=${grantId}`);
    expect(assumeCommand).toContain("--external-id ");

    const credentialProcess = await codeBlock(page, "Fresh credentials on demand");
    expect(credentialProcess).toContain(`${testInfo.project.use.baseURL}/api/v1/grants/${grantId}/credentials`);

    // Opened before the revocation, so it still shows the button afterwards.
    const stalePage = await pageAs(USERS.acmeVendor);
    await stalePage.goto(`/grants/${grantId}`);
    await expect(stalePage.getByRole("button", { name: "Get temporary credentials", exact: true })).toBeVisible();

    await page.getByRole("button", { name: "Get temporary credentials", exact: true }).click();
    await expect(page.getByText(`Session of ${ACME_ROLE_ARN}, valid until`)).toBeVisible();
    const shellExports = await codeBlock(page, "Shell exports");
    const accessKeyId = exportedValue(shellExports, "AWS_ACCESS_KEY_ID");
    expect(exportedValue(shellExports, "AWS_REGION")).toBe(FAKE_AWS.region);
    expect(exportedValue(shellExports, "AWS_SESSION_TOKEN")).toMatch(/^FAKE/);
    const profile = await codeBlock(page, '~/.aws/credentials profile "vap-acme-logistics"');
    expect(profile).toContain("[vap-acme-logistics]");
    expect(profile).toContain(`aws_access_key_id = ${accessKeyId}`);
    expect(profile).toContain(`aws_secret_access_key = ${exportedValue(shellExports, "AWS_SECRET_ACCESS_KEY")}`);

    const issuedCall = assumeRoleCalls(await readFakeAwsState()).find((call) => call.output?.accessKeyId === accessKeyId);
    expect(issuedCall, `AssumeRole call that issued ${accessKeyId}`).toBeDefined();
    expect(issuedCall!.input.RoleArn).toBe(ACME_ROLE_ARN);
    expect(sessionTags(issuedCall!)["vap-grant"]).toBe(grantId);
    expect(issuedCall!.input.SourceIdentity).toBeTruthy();
    expect(Number(issuedCall!.input.DurationSeconds)).toBeLessThanOrEqual(30 * 60);

    const expiresAt = new Date(/they expire at (\S+)\.$/m.exec(shellExports)![1]!);
    const end = await grantEnd(page);
    expect(expiresAt.getTime()).toBeLessThanOrEqual(end.getTime());
    // The page shows the earlier of STS's expiration and the grant end.
    expect(expiresAt.getTime()).toBe(Math.min(new Date(issuedCall!.output!.expiration!).getTime(), end.getTime()));
    expect(expiresAt.getTime()).toBeGreaterThan(Date.now() + 25 * 60_000);
    await expect(page.getByRole("listitem").filter({ hasText: "Temporary AWS credentials" })).toHaveCount(1);

    await page.getByLabel("Object name", { exact: true }).fill(`e2e-${tag}.csv`);
    await page.getByRole("button", { name: "Upload", exact: true }).click();
    await expect(page.getByText("Upload URL issued. Use the curl command below to upload from your machine.")).toBeVisible();
    const curlUpload = await codeBlock(page, `Upload ${ACME_PREFIX}e2e-${tag}.csv with curl`);
    const uploadUrl = new URL(/'(http[^']+)'\s*$/.exec(curlUpload)![1]!);
    expect(uploadUrl.origin).toBe(FAKE_AWS_ENDPOINT);
    expect(uploadUrl.pathname).toBe(`/vendor-exchange-e2e/${ACME_PREFIX}e2e-${tag}.csv`);
    expect(uploadUrl.searchParams.get("X-Amz-Security-Token")).toMatch(/^FAKE/);
    expect(curlUpload).toContain("-H 'x-amz-server-side-encryption: AES256'");

    await expectNoSeriousViolations(page, testInfo, "AWS grant page with credentials");

    const sessionsBefore = assumeRoleCalls(await readFakeAwsState()).length;
    const reason = `Rate sheets delivered e2e-${tag}`;
    await revokeAsApprover(approverPage, grantId, reason);

    const revoked = await readFakeRole(ACME_ROLE);
    expect(grantIdsIn(revoked, "Allow")).not.toContain(grantId);
    expect(grantIdsIn(revoked, "Deny")).toContain(grantId);
    expect(revoked.trustPolicy).not.toContain(grantId);

    await page.reload();
    await expect(pageHeader(page).getByText("Revoked", { exact: true })).toBeVisible();
    await expect(page.getByText("Access was revoked", { exact: true })).toBeVisible();
    await expect(page.getByText(`Reason: ${reason}`, { exact: true })).toBeVisible();
    // The upload URL was signed with the revoked session, so the page must not claim it still works.
    await expect(page.getByText("Links issued before the revocation no longer work", { exact: true })).toBeVisible();
    await expect(page.getByText("Links issued before the revocation still work until they expire", { exact: true })).toHaveCount(0);
    await expect(page.getByRole("heading", { name: "AWS access", exact: true })).toHaveCount(0);
    await expect(page.getByRole("button", { name: "Get temporary credentials", exact: true })).toHaveCount(0);

    await stalePage.getByRole("button", { name: "Get temporary credentials", exact: true }).click();
    await expect(stalePage.getByText("This grant is revoked, so no credentials can be issued.")).toBeVisible();
    expect(assumeRoleCalls(await readFakeAwsState())).toHaveLength(sessionsBefore);
  });

  test("RDS IAM auth token", async ({ vendorPage: page, approverPage }, testInfo) => {
    const tag = uniqueTag();
    const { grantId } = await createApprovedGrant(page, approverPage, {
      resource: AWS_WAREHOUSE,
      accessLevel: "read",
      durationMinutes: 60,
      justification: `Carrier report via RDS e2e-${tag}`,
    });
    expect(allowedActions(await readFakeRole(ACME_ROLE), grantId)).toEqual(["rds-db:connect"]);

    await page.getByRole("button", { name: "Get database auth token", exact: true }).click();
    const psql = await codeBlock(page, "Connect with psql (TLS verified)");
    expect(psql).toContain("host=warehouse-proxy.e2e.invalid port=5432 dbname=warehouse user=vendor_readonly sslmode=verify-full");
    const uri = await codeBlock(page, "Connection URI");
    expect(uri).toMatch(/^postgresql:\/\/vendor_readonly:warehouse-proxy\.e2e\.invalid%3A5432%2F%3FAction%3Dconnect/);
    expect(uri).toContain("X-Amz-Credential%3DASIAFAKE");
    await expect(page.getByRole("listitem").filter({ hasText: "RDS IAM auth token" })).toHaveCount(1);

    await expectNoSeriousViolations(page, testInfo, "RDS IAM grant page with a token");
  });
});

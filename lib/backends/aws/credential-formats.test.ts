import { describe, expect, test } from "vitest";

import { formatCredentialProcessJson, formatCredentialsProfile, formatShellExports, sanitizeProfileName } from "./credential-formats";

const credentials = {
  accessKeyId: "ASIATESTTEST",
  secretAccessKey: "abc/def+ghi=",
  sessionToken: "IQoJb3JpZ2luX2VjEJr//////////token=",
  expiration: new Date("2026-03-01T13:00:00.000Z"),
};

describe("formatShellExports", () => {
  test("exports the three variables and the region", () => {
    expect(formatShellExports(credentials, { region: "eu-west-1" })).toBe(
      [
        "# Temporary AWS credentials; they expire at 2026-03-01T13:00:00.000Z.",
        "export AWS_ACCESS_KEY_ID='ASIATESTTEST'",
        "export AWS_SECRET_ACCESS_KEY='abc/def+ghi='",
        "export AWS_SESSION_TOKEN='IQoJb3JpZ2luX2VjEJr//////////token='",
        "export AWS_REGION='eu-west-1'",
        "",
      ].join("\n"),
    );
  });

  test("quotes a single quote", () => {
    expect(formatShellExports({ ...credentials, accessKeyId: "a'b" })).toContain(`export AWS_ACCESS_KEY_ID='a'\\''b'`);
  });

  test("leaves the region out when not given", () => {
    expect(formatShellExports(credentials)).not.toContain("AWS_REGION");
  });
});

describe("formatCredentialsProfile", () => {
  test("writes an ini block", () => {
    expect(formatCredentialsProfile(credentials, "acme-exchange")).toBe(
      [
        "[acme-exchange]",
        "# Expires at 2026-03-01T13:00:00.000Z.",
        "aws_access_key_id = ASIATESTTEST",
        "aws_secret_access_key = abc/def+ghi=",
        "aws_session_token = IQoJb3JpZ2luX2VjEJr//////////token=",
        "",
      ].join("\n"),
    );
  });

  test.each([
    ["brackets and spaces", "[acme exchange]", "acme-exchange"],
    ["nothing usable", "]]]", "vendor-access"],
    ["a valid name", "vap.acme_1-x", "vap.acme_1-x"],
  ])("sanitizes a profile name with %s", (_case, name, expected) => {
    expect(sanitizeProfileName(name)).toBe(expected);
  });
});

describe("formatCredentialProcessJson", () => {
  test("prints Version 1 JSON", () => {
    expect(JSON.parse(formatCredentialProcessJson(credentials))).toEqual({
      Version: 1,
      AccessKeyId: "ASIATESTTEST",
      SecretAccessKey: "abc/def+ghi=",
      SessionToken: "IQoJb3JpZ2luX2VjEJr//////////token=",
      Expiration: "2026-03-01T13:00:00.000Z",
    });
  });
});

import { describe, expect, test } from "vitest";

import { comparePolicies } from "./policy-diff";

const statement = (sid: string, action: string) => ({ Sid: sid, Effect: "Allow", Action: action, Resource: "*" });
const documentOf = (...statements: object[]) => JSON.stringify({ Version: "2012-10-17", Statement: statements });

describe("comparePolicies", () => {
  test("same JSON with other key order and spacing", () => {
    const held = JSON.stringify({ Statement: [{ Resource: "*", Action: "s3:GetObject", Effect: "Allow", Sid: "A" }], Version: "2012-10-17" }, null, 2);

    expect(comparePolicies(held, documentOf(statement("A", "s3:GetObject")))).toBeNull();
  });

  test("both missing", () => {
    expect(comparePolicies(null, null)).toBeNull();
  });

  test("statements added, removed and changed", () => {
    const held = documentOf(statement("Keep", "s3:GetObject"), statement("Change", "s3:GetObject"), statement("Gone", "s3:PutObject"));
    const written = documentOf(statement("Keep", "s3:GetObject"), statement("Change", "s3:PutObject"), statement("New", "s3:ListBucket"));

    expect(comparePolicies(held, written)).toEqual({
      held: "present",
      written: "present",
      addedStatements: ["New"],
      removedStatements: ["Gone"],
      changedStatements: ["Change"],
    });
  });

  test("policy missing at IAM", () => {
    expect(comparePolicies(null, documentOf(statement("A", "s3:GetObject")))).toMatchObject({ held: "missing", written: "present", addedStatements: ["A"] });
  });

  test("policy deleted by the write", () => {
    expect(comparePolicies(documentOf(statement("A", "s3:GetObject")), null)).toMatchObject({ held: "present", written: "deleted", removedStatements: ["A"] });
  });

  test("statement without Sid is named by position", () => {
    const held = documentOf({ Effect: "Allow", Action: "iam:*", Resource: "*" });

    expect(comparePolicies(held, documentOf())).toMatchObject({ removedStatements: ["statement 1 without Sid"] });
  });

  test("single statement object", () => {
    const held = JSON.stringify({ Version: "2012-10-17", Statement: statement("A", "s3:GetObject") });

    expect(comparePolicies(held, documentOf(statement("A", "s3:PutObject")))).toMatchObject({ changedStatements: ["A"] });
  });
});

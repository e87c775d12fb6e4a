// Differences between an IAM policy document a role has and the rendered one. Pure: no I/O.

import canonicalize from "canonicalize";

/** The difference between one policy document at IAM and the rendered one, by statement id, without any document text. */
export type PolicyDifference = {
  held: "present" | "missing";
  written: "present" | "deleted";
  addedStatements: string[];
  removedStatements: string[];
  changedStatements: string[];
};

/**
 * Compares a held document with the written one (null: none held, or deleted) and returns the
 * difference by statement id, or null when they are the same JSON.
 */
export function comparePolicies(held: string | null, written: string | null): PolicyDifference | null {
  if (canonicalize(parseDocument(held)) === canonicalize(parseDocument(written))) return null;

  const heldStatements = statementsOf(held);
  const writtenStatements = statementsOf(written);

  return {
    held: held === null ? "missing" : "present",
    written: written === null ? "deleted" : "present",
    addedStatements: [...writtenStatements.keys()].filter((sid) => !heldStatements.has(sid)),
    removedStatements: [...heldStatements.keys()].filter((sid) => !writtenStatements.has(sid)),
    changedStatements: [...writtenStatements.keys()].filter((sid) => heldStatements.has(sid) && heldStatements.get(sid) !== writtenStatements.get(sid)),
  };
}

function parseDocument(document: string | null): unknown {
  if (document === null) return null;
  try {
    return JSON.parse(document);
  } catch {
    // IAM stores only JSON documents, so anything else is compared as text.
    return document;
  }
}

/** Canonical JSON of each statement by its Sid, or by position for statements without one. */
function statementsOf(document: string | null): Map<string, string> {
  const parsed = parseDocument(document) as { Statement?: unknown } | null;
  let statements: unknown[] = [];
  if (Array.isArray(parsed?.Statement)) {
    statements = parsed.Statement;
  } else if (parsed?.Statement) {
    // IAM also accepts a single statement object in place of the array.
    statements = [parsed.Statement];
  }

  const bySid = new Map<string, string>();
  statements.forEach((statement, index) => {
    const sid = (statement as { Sid?: unknown } | null)?.Sid;
    bySid.set(typeof sid === "string" && sid !== "" ? sid : `statement ${index + 1} without Sid`, canonicalize(statement) ?? "");
  });

  return bySid;
}

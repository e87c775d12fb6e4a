import { describe, expect, test } from "vitest";

import { AppError } from "@/lib/errors";

import {
  buildObjectKey,
  findPrefixTemplateProblem,
  MAX_OBJECT_KEY_BYTES,
  renderPrefix,
  utf8ByteLength,
  validateObjectKeyName,
  validateVendorObjectKey,
} from "./object-key";

const PREFIX = "vendor-uploads/acme/";
const PREFIX_BYTES = utf8ByteLength(PREFIX);

function catchAppError(run: () => unknown): AppError {
  try {
    run();
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  throw new Error("expected an AppError, but nothing was thrown");
}

describe("validateObjectKeyName", () => {
  test.each([
    ["plain name", "report.csv"],
    ["nested folders", "reports/2026/03.csv"],
    ["spaces and punctuation", "Q1 report (final) v2!.pdf"],
    ["dot file", ".env.example"],
    ["three dots as a segment", "a/.../b"],
    ["dots inside a segment", "a..b/c.d"],
    ["Latin with accents", "résumé/Übersicht.txt"],
    ["Cyrillic", "отчёт/файл.txt"],
    ["CJK", "日本語/報告.pdf"],
    ["emoji (surrogate pair)", "photos/😀.png"],
    ["right-to-left script", "דוח.txt"],
    ["exactly 1,024 bytes", "x".repeat(MAX_OBJECT_KEY_BYTES)],
  ])("accepts %s", (_case, name) => {
    expect(() => validateObjectKeyName(name)).not.toThrow();
  });

  test.each([
    ["empty", "", "is empty"],
    ["leading slash", "/etc/passwd", "starts with /"],
    ["double slash", "a//b.txt", "empty folder name (//)"],
    ["trailing slash", "reports/", "ends with /"],
    ["only a slash", "/", "starts with /"],
    ["parent segment first", "../globex/x.txt", 'path segment ".."'],
    ["parent segment inside", "a/../../b.txt", 'path segment ".."'],
    ["parent segment last", "a/..", 'path segment ".."'],
    ["current segment", "./a.txt", 'path segment "."'],
    ["current segment inside", "a/./b.txt", 'path segment "."'],
    ["backslash", "a\\b.txt", "backslash"],
    ["backslash traversal", "..\\globex\\x.txt", "backslash"],
    ["NUL", "a\u0000b", "U+0000"],
    ["tab", "a\tb", "U+0009"],
    ["line feed", "a\nb", "U+000A"],
    ["carriage return", "a\rb", "U+000D"],
    ["unit separator", "a\u001Fb", "U+001F"],
    ["DEL", "a\u007Fb", "U+007F"],
    ["first C1 control", "a\u0080b", "U+0080"],
    ["last C1 control", "a\u009Fb", "U+009F"],
    ["lone high surrogate", "a\uD800b", "unpaired UTF-16 surrogate"],
    ["lone high surrogate at end", "a\uDBFF", "unpaired UTF-16 surrogate"],
    ["lone low surrogate", "\uDC00a", "unpaired UTF-16 surrogate"],
    ["reversed surrogate pair", "\uDE00\uD83D", "unpaired UTF-16 surrogate"],
    ["right-to-left override", "invoice\u202Efdp.exe", "U+202E"],
    ["first isolate", "a\u2066b", "U+2066"],
    ["1,025 bytes", "x".repeat(MAX_OBJECT_KEY_BYTES + 1), "1025 bytes"],
  ])("rejects %s", (_case, name, messagePart) => {
    const error = catchAppError(() => validateObjectKeyName(name));

    expect(error.code).toBe("INVALID_INPUT");
    expect(error.message).toContain(messagePart);
    expect(error.fieldErrors).toEqual({ fileName: [error.message] });
  });

  test("message for a control character omits the raw name", () => {
    const error = catchAppError(() => validateObjectKeyName("bad\u0007name"));

    expect(error.message).not.toContain("\u0007");
  });
});

describe("buildObjectKey", () => {
  test.each([
    ["plain name", "report.csv", "vendor-uploads/acme/report.csv"],
    ["nested folders", "in/2026/03.csv", "vendor-uploads/acme/in/2026/03.csv"],
    ["unicode", "отчёт 😀.txt", "vendor-uploads/acme/отчёт 😀.txt"],
  ])("joins %s", (_case, name, expected) => {
    const key = buildObjectKey(PREFIX, name);

    expect(key).toBe(expected);
    expect(key.startsWith(PREFIX)).toBe(true);
  });

  // The prefix is 20 bytes, so the name may use 1,004 bytes.
  test.each([
    ["ASCII", "x".repeat(MAX_OBJECT_KEY_BYTES - PREFIX_BYTES)],
    ["2-byte characters", "é".repeat((MAX_OBJECT_KEY_BYTES - PREFIX_BYTES) / 2)],
    ["4-byte characters", "😀".repeat((MAX_OBJECT_KEY_BYTES - PREFIX_BYTES) / 4)],
    ["3-byte characters and ASCII", "日".repeat(334) + "xx"],
  ])("accepts a key of exactly 1,024 bytes with %s", (_case, name) => {
    const key = buildObjectKey(PREFIX, name);

    expect(utf8ByteLength(key)).toBe(MAX_OBJECT_KEY_BYTES);
  });

  test.each([
    ["ASCII", "x".repeat(MAX_OBJECT_KEY_BYTES - PREFIX_BYTES + 1), 1025],
    ["2-byte characters", "é".repeat((MAX_OBJECT_KEY_BYTES - PREFIX_BYTES) / 2) + "x", 1025],
    ["a 2-byte character over", "x".repeat(MAX_OBJECT_KEY_BYTES - PREFIX_BYTES - 1) + "é", 1025],
    ["a 4-byte character over", "x".repeat(MAX_OBJECT_KEY_BYTES - PREFIX_BYTES - 1) + "😀", 1027],
  ])("rejects a key over 1,024 bytes with %s", (_case, name, bytes) => {
    const error = catchAppError(() => buildObjectKey(PREFIX, name));

    expect(error.code).toBe("INVALID_INPUT");
    expect(error.message).toContain(`${bytes} bytes`);
    expect(error.message).toContain(`at least ${bytes - MAX_OBJECT_KEY_BYTES} bytes`);
    expect(error.fieldErrors?.fileName).toEqual([error.message]);
  });

  test.each([
    ["traversal", "../globex/x.txt"],
    ["absolute", "/vendor-uploads/globex/x.txt"],
    ["empty", ""],
  ])("rejects a %s name", (_case, name) => {
    const error = catchAppError(() => buildObjectKey(PREFIX, name));

    expect(error.code).toBe("INVALID_INPUT");
  });

  test.each([
    ["empty", ""],
    ["without trailing slash", "vendor-uploads/acme"],
    ["with empty segment", "vendor-uploads//"],
    ["with a parent segment", "vendor-uploads/../"],
  ])("rejects a prefix %s", (_case, prefix) => {
    const error = catchAppError(() => buildObjectKey(prefix, "x.txt"));

    expect(error.code).toBe("MISCONFIGURED");
  });
});

describe("validateVendorObjectKey", () => {
  test.each([
    ["plain key", "vendor-uploads/acme/report.csv", "report.csv"],
    ["nested key", "vendor-uploads/acme/in/03.csv", "in/03.csv"],
    ["unicode key", "vendor-uploads/acme/отчёт.txt", "отчёт.txt"],
  ])("returns the name for a %s", (_case, key, name) => {
    expect(validateVendorObjectKey(PREFIX, key)).toBe(name);
  });

  test.each([
    ["another vendor", "vendor-uploads/globex/report.csv"],
    ["a vendor whose slug starts the same", "vendor-uploads/acme-corp/report.csv"],
    ["the parent folder", "vendor-uploads/report.csv"],
    ["a leading slash", "/vendor-uploads/acme/report.csv"],
    ["a different case", "vendor-uploads/ACME/report.csv"],
  ])("forbids a key of %s", (_case, key) => {
    const error = catchAppError(() => validateVendorObjectKey(PREFIX, key));

    expect(error.code).toBe("FORBIDDEN");
    expect(error.message).toContain(PREFIX);
  });

  test.each([
    ["the prefix itself", "vendor-uploads/acme/", "ends with /"],
    ["traversal out of the prefix", "vendor-uploads/acme/../globex/x.txt", 'path segment ".."'],
    ["an empty segment", "vendor-uploads/acme//x.txt", "empty folder name"],
    ["a control character", "vendor-uploads/acme/a\u0000", "U+0000"],
    ["1,025 bytes", PREFIX + "x".repeat(MAX_OBJECT_KEY_BYTES - PREFIX_BYTES + 1), "1025 bytes"],
  ])("rejects %s", (_case, key, messagePart) => {
    const error = catchAppError(() => validateVendorObjectKey(PREFIX, key));

    expect(error.code).toBe("INVALID_INPUT");
    expect(error.message).toContain(messagePart);
    expect(error.fieldErrors?.key).toEqual([error.message]);
  });

  test("accepts a key of exactly 1,024 bytes", () => {
    const key = PREFIX + "x".repeat(MAX_OBJECT_KEY_BYTES - PREFIX_BYTES);

    expect(validateVendorObjectKey(PREFIX, key)).toHaveLength(MAX_OBJECT_KEY_BYTES - PREFIX_BYTES);
  });
});

describe("renderPrefix", () => {
  test.each([
    ["default layout", "vendor-uploads/{vendor}/", "acme", "vendor-uploads/acme/"],
    ["placeholder alone", "{vendor}/", "acme", "acme/"],
    ["placeholder in the middle", "exchange/{vendor}/inbox/", "acme-2", "exchange/acme-2/inbox/"],
    ["one-character slug", "vendor-uploads/{vendor}/", "a", "vendor-uploads/a/"],
    ["63-character slug", "v/{vendor}/", "a".repeat(63), `v/${"a".repeat(63)}/`],
    ["digit slug", "v/{vendor}/", "0", "v/0/"],
  ])("renders %s", (_case, template, slug, expected) => {
    expect(renderPrefix(template, slug)).toBe(expected);
  });

  test.each([
    ["no trailing slash", "vendor-uploads/{vendor}", "must end with /"],
    ["empty", "", "must end with /"],
    ["only a slash", "/", "must not start with /"],
    ["leading slash", "/vendor-uploads/{vendor}/", "must not start with /"],
    ["empty segment", "vendor-uploads//{vendor}/", "empty folder name"],
    ["no placeholder", "vendor-uploads/", "exactly once"],
    ["placeholder twice", "{vendor}/{vendor}/", "exactly once"],
    ["unknown placeholder", "uploads/{tenant}/", "unknown placeholder {tenant}"],
    ["upper-case placeholder", "uploads/{VENDOR}/", "unknown placeholder {VENDOR}"],
    ["partial segment", "uploads/{vendor}-files/", "whole folder name"],
    ["unclosed brace", "uploads/{vendor/", "exactly once"],
    ["stray closing brace", "uploads/{vendor}}/", "outside {vendor}"],
    ["parent segment", "uploads/../{vendor}/", 'path segment ".."'],
    ["control character", "up\tloads/{vendor}/", "U+0009"],
    ["backslash", "uploads\\x/{vendor}/", "backslash"],
    ["too long", `${"x".repeat(959)}/{vendor}/`, "too long"],
  ])("rejects a template with %s", (_case, template, messagePart) => {
    const error = catchAppError(() => renderPrefix(template, "acme"));

    expect(error.code).toBe("INVALID_INPUT");
    expect(error.message).toContain(messagePart);
    expect(error.fieldErrors?.prefixTemplate).toEqual([error.message]);
  });

  test("accepts the longest template that leaves room for a name", () => {
    const template = `${"x".repeat(958)}/{vendor}/`;

    expect(findPrefixTemplateProblem(template)).toBeUndefined();
  });

  test.each([
    ["empty", ""],
    ["upper case", "Acme"],
    ["leading hyphen", "-acme"],
    ["trailing hyphen", "acme-"],
    ["underscore", "a_b"],
    ["slash", "a/b"],
    ["traversal", ".."],
    ["space", "ac me"],
    ["64 characters", "a".repeat(64)],
    ["non-ASCII letter", "acmé"],
  ])("rejects a slug with %s", (_case, slug) => {
    const error = catchAppError(() => renderPrefix("vendor-uploads/{vendor}/", slug));

    expect(error.code).toBe("INVALID_INPUT");
    expect(error.fieldErrors?.vendorSlug).toEqual([error.message]);
  });
});

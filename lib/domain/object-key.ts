// Object keys for S3 file exchange. Pure: no I/O, so it also runs in the browser.
// A vendor chooses a file name such as `reports/2026-03.csv`, which is a relative key under the
// vendor's prefix: here `vendor-uploads/acme/reports/2026-03.csv`.

import { AppError } from "@/lib/errors";

/** S3's limit on the length of a full object key, in bytes of UTF-8. */
export const MAX_OBJECT_KEY_BYTES = 1024;

export const VENDOR_PLACEHOLDER = "{vendor}";

/** Lower-case letters, digits and inner hyphens, 1 to 63 characters, like a DNS label. */
const VENDOR_SLUG = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const MAX_VENDOR_SLUG_LENGTH = 63;

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
// C0 controls, DEL and C1 controls.
const CONTROL_CHARACTER = /[\u0000-\u001F\u007F-\u009F]/;
// Embedding, override and isolate characters can make `cod.exe` display as `exe.doc`.
const BIDI_CONTROL = /[\u202A-\u202E\u2066-\u2069]/;

const EXAMPLE_NAME = "reports/2026-03.csv";

type KeyField = { label: string; field: string };

const FILE_NAME: KeyField = { label: "File name", field: "fileName" };
const OBJECT_KEY: KeyField = { label: "Object key", field: "key" };
const PREFIX_TEMPLATE: KeyField = { label: "Prefix template", field: "prefixTemplate" };

export function utf8ByteLength(text: string): number {
  return new TextEncoder().encode(text).length;
}

function formatCodePoint(character: string): string {
  return `U+${character.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")}`;
}

/**
 * Returns what is wrong with a relative key (a file name or a prefix without its trailing `/`),
 * or undefined when it is valid. Byte length is checked by the callers, which know the full key.
 */
function findRelativeKeyProblem(text: string, label: string): string | undefined {
  if (text.length === 0) {
    return `${label} is empty. Enter a name such as ${EXAMPLE_NAME}.`;
  }

  if (LONE_SURROGATE.test(text)) {
    return `${label} is not valid Unicode: it contains an unpaired UTF-16 surrogate. Enter the name again from its original source.`;
  }

  const control = CONTROL_CHARACTER.exec(text);
  if (control) {
    return `${label} contains the control character ${formatCodePoint(control[0])}. Remove control characters such as tabs and line breaks.`;
  }

  const bidi = BIDI_CONTROL.exec(text);
  if (bidi) {
    return `${label} contains the bidirectional formatting character ${formatCodePoint(bidi[0])}, which can disguise a file's real extension. Remove it.`;
  }

  if (text.includes("\\")) {
    return `${label} contains a backslash (\\). Use / to separate folders.`;
  }

  if (text.startsWith("/")) {
    return `${label} starts with /. Give a path relative to your folder, such as ${EXAMPLE_NAME}.`;
  }

  const segments = text.split("/");
  for (const [index, segment] of segments.entries()) {
    if (segment === "" && index === segments.length - 1) {
      return `${label} ends with /. Add the file name after the last /.`;
    }

    if (segment === "") {
      return `${label} contains an empty folder name (//). Remove the extra /.`;
    }

    if (segment === "." || segment === "..") {
      return `${label} contains the path segment "${segment}", which is not allowed. Remove "." and ".." from the path.`;
    }
  }

  return undefined;
}

function invalidKey(field: KeyField, message: string): AppError {
  return new AppError("INVALID_INPUT", message, { fieldErrors: { [field.field]: [message] } });
}

function assertValidRelativeKey(name: string, field: KeyField): void {
  const problem = findRelativeKeyProblem(name, field.label);
  if (problem) {
    throw invalidKey(field, problem);
  }

  const bytes = utf8ByteLength(name);
  if (bytes > MAX_OBJECT_KEY_BYTES) {
    throw invalidKey(
      field,
      `${field.label} is ${bytes} bytes of UTF-8, over the limit of ${MAX_OBJECT_KEY_BYTES} bytes for a whole object key. Shorten it.`,
    );
  }
}

/**
 * Checks a vendor-chosen file name, which is a relative key such as `reports/2026-03.csv`.
 * Throws AppError INVALID_INPUT with `fieldErrors.fileName` when it is invalid.
 */
export function validateObjectKeyName(name: string): void {
  assertValidRelativeKey(name, FILE_NAME);
}

function assertValidPrefix(prefix: string): void {
  if (!prefix.endsWith("/") || findRelativeKeyProblem(prefix.slice(0, -1), PREFIX_TEMPLATE.label)) {
    throw new AppError("MISCONFIGURED", `Object key prefix "${prefix}" is invalid. Build it with renderPrefix.`);
  }
}

/**
 * Joins the vendor's prefix and a file name into an object key. The result always starts with the
 * prefix, because the name can contain neither a leading `/` nor `.` or `..` segments.
 */
export function buildObjectKey(prefix: string, fileName: string): string {
  assertValidPrefix(prefix);
  validateObjectKeyName(fileName);

  const key = prefix + fileName;
  const bytes = utf8ByteLength(key);
  if (bytes > MAX_OBJECT_KEY_BYTES) {
    const excess = bytes - MAX_OBJECT_KEY_BYTES;

    throw invalidKey(
      FILE_NAME,
      `File name is too long: with your folder ${prefix} the object key is ${bytes} bytes of UTF-8 and the limit is ${MAX_OBJECT_KEY_BYTES}. Shorten the name by at least ${excess} bytes.`,
    );
  }

  return key;
}

/**
 * Checks that an object key lies under the vendor's prefix and is itself valid, and returns the
 * file name relative to the prefix. Throws AppError FORBIDDEN for a key outside the prefix.
 */
export function validateVendorObjectKey(prefix: string, key: string): string {
  assertValidPrefix(prefix);

  if (!key.startsWith(prefix)) {
    throw new AppError("FORBIDDEN", `Object key is outside your folder ${prefix}. Use a key that starts with ${prefix}.`);
  }

  assertValidRelativeKey(key, OBJECT_KEY);

  return key.slice(prefix.length);
}

/**
 * Returns what is wrong with a prefix template such as `vendor-uploads/{vendor}/`, or undefined
 * when it is valid. `{vendor}` must be a whole folder name, so that one vendor's prefix can never
 * be the start of another vendor's prefix.
 */
export function findPrefixTemplateProblem(template: string): string | undefined {
  const example = "vendor-uploads/{vendor}/";

  if (!template.endsWith("/")) {
    return `Prefix template must end with /, for example ${example}.`;
  }

  if (template.startsWith("/")) {
    return `Prefix template must not start with /, because object keys have no leading /. Use for example ${example}.`;
  }

  if (template.includes("//")) {
    return "Prefix template contains an empty folder name (//). Remove the extra /.";
  }

  const placeholders = template.match(/\{[^{}]*\}/g) ?? [];
  const unknown = placeholders.find((placeholder) => placeholder !== VENDOR_PLACEHOLDER);
  if (unknown) {
    return `Prefix template contains the unknown placeholder ${unknown}. Only ${VENDOR_PLACEHOLDER} is supported.`;
  }

  if (placeholders.length !== 1) {
    return `Prefix template must contain ${VENDOR_PLACEHOLDER} exactly once, for example ${example}.`;
  }

  if (/[{}]/.test(template.replace(VENDOR_PLACEHOLDER, ""))) {
    return `Prefix template contains a { or } outside ${VENDOR_PLACEHOLDER}. Remove it.`;
  }

  const segments = template.slice(0, -1).split("/");
  if (!segments.includes(VENDOR_PLACEHOLDER)) {
    return `Prefix template must use ${VENDOR_PLACEHOLDER} as a whole folder name, for example ${example}.`;
  }

  const sample = template.replace(VENDOR_PLACEHOLDER, "vendor").slice(0, -1);
  const problem = findRelativeKeyProblem(sample, PREFIX_TEMPLATE.label);
  if (problem) {
    return problem;
  }

  // Leave room for the longest slug and at least one byte of file name.
  const longestPrefixBytes = utf8ByteLength(template) - VENDOR_PLACEHOLDER.length + MAX_VENDOR_SLUG_LENGTH;
  if (longestPrefixBytes >= MAX_OBJECT_KEY_BYTES) {
    return `Prefix template is too long: with a ${MAX_VENDOR_SLUG_LENGTH}-character vendor slug the prefix would be ${longestPrefixBytes} bytes, leaving no room under the ${MAX_OBJECT_KEY_BYTES}-byte key limit. Shorten it.`;
  }

  return undefined;
}

export function isValidVendorSlug(slug: string): boolean {
  return VENDOR_SLUG.test(slug);
}

/** Renders a prefix template such as `vendor-uploads/{vendor}/` for one vendor. */
export function renderPrefix(template: string, vendorSlug: string): string {
  const problem = findPrefixTemplateProblem(template);
  if (problem) {
    throw new AppError("INVALID_INPUT", problem, { fieldErrors: { prefixTemplate: [problem] } });
  }

  if (!isValidVendorSlug(vendorSlug)) {
    const message = `Vendor slug ${JSON.stringify(vendorSlug)} is invalid. Use 1 to ${MAX_VENDOR_SLUG_LENGTH} lower-case letters, digits and hyphens, starting and ending with a letter or digit.`;

    throw new AppError("INVALID_INPUT", message, { fieldErrors: { vendorSlug: [message] } });
  }

  return template.replace(VENDOR_PLACEHOLDER, vendorSlug);
}

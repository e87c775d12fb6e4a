const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;

export type DateInput = Date | string;

/**
 * Formats a duration as its two largest whole units: "45 min", "2 h 5 min", "3 d 4 h".
 * Units are rounded down, so a countdown never shows more time than remains.
 * A duration under one minute reads "less than 1 min".
 * Throws RangeError when `ms` is negative, NaN or infinite.
 */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) {
    throw new RangeError(`Duration must be a finite number of milliseconds >= 0, got ${ms}.`);
  }

  const days = Math.floor(ms / DAY_MS);
  const hours = Math.floor((ms % DAY_MS) / HOUR_MS);
  const minutes = Math.floor((ms % HOUR_MS) / MINUTE_MS);

  if (days > 0) {
    return hours > 0 ? `${days} d ${hours} h` : `${days} d`;
  }

  if (hours > 0) {
    return minutes > 0 ? `${hours} h ${minutes} min` : `${hours} h`;
  }

  if (minutes > 0) {
    return `${minutes} min`;
  }

  return "less than 1 min";
}

/**
 * Formats an instant in `timeZone` (an IANA name such as "Europe/Berlin") as
 * "12 Mar 2025, 09:05 CET": day-month-year with a month name, so it cannot be misread
 * as a US or European numeric date, and a 24-hour clock.
 * Throws RangeError for an invalid date or an unknown time zone.
 */
export function formatDateTime(value: DateInput, timeZone: string): string {
  const date = toDate(value);

  return `${formatDatePart(date, timeZone)}, ${formatTimePart(date, timeZone)} ${formatZoneName(date, timeZone)}`;
}

/**
 * Formats an access window in `timeZone`. The zone is written once when both ends share it,
 * and the end date is left out when both ends fall on the same day in that zone:
 * "12 Mar 2025, 09:00 – 17:00 CET" or "12 Mar 2025, 09:00 – 14 Mar 2025, 17:00 CET".
 * Across a daylight-saving change each end carries its own zone:
 * "30 Mar 2025, 01:00 CET – 05:00 CEST".
 * Throws RangeError for an invalid date, an unknown time zone, or an end before the start.
 */
export function formatWindow(start: DateInput, end: DateInput, timeZone: string): string {
  const startDate = toDate(start);
  const endDate = toDate(end);

  if (endDate.getTime() < startDate.getTime()) {
    throw new RangeError(
      `Window end ${endDate.toISOString()} is before its start ${startDate.toISOString()}.`,
    );
  }

  const startDay = formatDatePart(startDate, timeZone);
  const endDay = formatDatePart(endDate, timeZone);
  const startZone = formatZoneName(startDate, timeZone);
  const endZone = formatZoneName(endDate, timeZone);

  const startText = `${startDay}, ${formatTimePart(startDate, timeZone)}`;
  const endTime = formatTimePart(endDate, timeZone);
  const endText = startDay === endDay ? endTime : `${endDay}, ${endTime}`;

  if (startZone === endZone) {
    return `${startText} – ${endText} ${endZone}`;
  }

  return `${startText} ${startZone} – ${endText} ${endZone}`;
}

/** Converts a Date or an ISO 8601 string to a Date. Throws RangeError when it is not a valid date. */
export function toDate(value: DateInput): Date {
  const date = value instanceof Date ? value : new Date(value);

  if (Number.isNaN(date.getTime())) {
    throw new RangeError(`Invalid date: ${String(value)}.`);
  }

  return date;
}

// Intl.DateTimeFormat construction is slow compared with formatting, so formatters are
// reused per locale, time zone and style.
const formatterCache = new Map<string, Intl.DateTimeFormat>();

function getFormatter(
  locale: string,
  timeZone: string,
  options: Intl.DateTimeFormatOptions,
): Intl.DateTimeFormat {
  const key = `${locale}|${timeZone}|${JSON.stringify(options)}`;
  let formatter = formatterCache.get(key);

  if (!formatter) {
    formatter = new Intl.DateTimeFormat(locale, { ...options, timeZone });
    formatterCache.set(key, formatter);
  }

  return formatter;
}

function readPart(parts: Intl.DateTimeFormatPart[], type: Intl.DateTimeFormatPartTypes): string {
  return parts.find((part) => part.type === type)?.value ?? "";
}

function formatDatePart(date: Date, timeZone: string): string {
  const parts = getFormatter("en-GB", timeZone, {
    day: "numeric",
    month: "short",
    year: "numeric",
  }).formatToParts(date);

  return `${readPart(parts, "day")} ${readPart(parts, "month")} ${readPart(parts, "year")}`;
}

function formatTimePart(date: Date, timeZone: string): string {
  const parts = getFormatter("en-GB", timeZone, {
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
  }).formatToParts(date);

  return `${readPart(parts, "hour")}:${readPart(parts, "minute")}`;
}

const ZONE_ABBREVIATION = /^[A-Z]{2,5}$/;

/**
 * Returns a letter abbreviation for the zone at `date` ("EST", "CET", "BST") where the
 * Unicode CLDR data in the runtime's ICU has one, and otherwise a GMT offset ("GMT+5:30").
 * In the CLDR data of Node 20 (ICU 78) en-US has the US abbreviations and en-GB the European
 * ones, so both locales are tried.
 */
function formatZoneName(date: Date, timeZone: string): string {
  const names = ["en-US", "en-GB"].map((locale) => {
    const parts = getFormatter(locale, timeZone, { timeZoneName: "short" }).formatToParts(date);

    return readPart(parts, "timeZoneName");
  });

  return names.find((name) => ZONE_ABBREVIATION.test(name)) ?? names[0] ?? timeZone;
}

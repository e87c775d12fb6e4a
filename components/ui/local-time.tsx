"use client";

import { useSyncExternalStore } from "react";

import { formatDateTime, formatWindow, toDate, type DateInput } from "@/lib/format-time";

function subscribeToNothing(): () => void {
  return () => {};
}

function readBrowserTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
}

function readServerTimeZone(): string {
  return "UTC";
}

/**
 * Returns the viewer's IANA time zone. The server and the hydrating render get "UTC",
 * so their HTML matches, and React re-renders with the browser's zone right after hydration.
 */
export function useViewerTimeZone(): string {
  return useSyncExternalStore(subscribeToNothing, readBrowserTimeZone, readServerTimeZone);
}

export type LocalTimeProps = {
  value: DateInput;
  className?: string;
};

/**
 * Shows an instant in the viewer's time zone, "12 Mar 2025, 10:05 CET". The server renders
 * UTC text, which stays for visitors without JavaScript. The tooltip gives the UTC time.
 */
export function LocalTime({ value, className }: LocalTimeProps) {
  const timeZone = useViewerTimeZone();
  const date = toDate(value);

  return (
    <time
      dateTime={date.toISOString()}
      title={timeZone === "UTC" ? undefined : formatDateTime(date, "UTC")}
      className={className}
    >
      {formatDateTime(date, timeZone)}
    </time>
  );
}

export type LocalWindowProps = {
  start: DateInput;
  end: DateInput;
  className?: string;
};

/** Shows an access window in the viewer's time zone, "12 Mar 2025, 09:00 – 17:00 CET". */
export function LocalWindow({ start, end, className }: LocalWindowProps) {
  const timeZone = useViewerTimeZone();

  return (
    <span
      title={timeZone === "UTC" ? undefined : formatWindow(start, end, "UTC")}
      className={className}
    >
      {formatWindow(start, end, timeZone)}
    </span>
  );
}

"use client";

import { useEffect, useSyncExternalStore } from "react";

import { formatDateTime, formatDuration, toDate, type DateInput } from "@/lib/format-time";

const TICK_MS = 30_000;

// One clock shared by every TimeLeft on the page, so they all tick together.
const clockListeners = new Set<() => void>();
let clockTimer: ReturnType<typeof setInterval> | undefined;
let clockTime = Date.now();

function refreshClock(): void {
  clockTime = Date.now();

  for (const listener of clockListeners) {
    listener();
  }
}

function subscribeToClock(listener: () => void): () => void {
  clockListeners.add(listener);

  if (clockTimer === undefined) {
    clockTime = Date.now();
    clockTimer = setInterval(refreshClock, TICK_MS);
  }

  return () => {
    clockListeners.delete(listener);

    if (clockListeners.size === 0) {
      clearInterval(clockTimer);
      clockTimer = undefined;
    }
  };
}

function readClock(): number {
  // While nothing is subscribed the interval is stopped and the stored time goes stale.
  // Refreshing only a time that is a second old keeps reads in quick succession equal, as
  // useSyncExternalStore expects. A read that crosses that mark costs one extra render.
  if (clockListeners.size === 0 && Date.now() - clockTime >= 1_000) {
    clockTime = Date.now();
  }

  return clockTime;
}

function readServerClock(): null {
  return null;
}

export type TimeLeftProps = {
  /** When the access or window ends. */
  until: DateInput;
  /** Text once `until` has passed. */
  endedText?: string;
  className?: string;
};

/**
 * Shows the time remaining until `until`, "2 h 14 min left", updated every 30 seconds and
 * again at the moment it ends, after which it shows `endedText`. The server cannot know the
 * viewer's clock, so it renders "until 12 Mar 2025, 17:00 UTC" and the browser replaces it
 * after hydration. The text is not a live region: screen readers read it when they reach it.
 */
export function TimeLeft({ until, endedText = "ended", className }: TimeLeftProps) {
  const now = useSyncExternalStore(subscribeToClock, readClock, readServerClock);
  const end = toDate(until);
  const endMs = end.getTime();

  useEffect(() => {
    const delay = endMs - Date.now();
    if (delay <= 0 || delay > TICK_MS) {
      return;
    }

    const timeout = setTimeout(refreshClock, delay);

    return () => clearTimeout(timeout);
  }, [endMs, now]);

  let text: string;
  if (now === null) {
    text = `until ${formatDateTime(end, "UTC")}`;
  } else {
    const remainingMs = endMs - now;
    text = remainingMs > 0 ? `${formatDuration(remainingMs)} left` : endedText;
  }

  return (
    <time dateTime={end.toISOString()} className={className}>
      {text}
    </time>
  );
}

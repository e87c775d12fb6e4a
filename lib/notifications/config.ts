import "server-only";

import { env } from "@/lib/env";

import { resolveNotificationSettings, type NotificationSettings } from "./settings";

/** Returns this process's notification settings, from the validated environment. */
export function readNotificationSettings(): NotificationSettings {
  return resolveNotificationSettings(env);
}

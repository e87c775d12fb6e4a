import type * as React from "react";

import { cn } from "@/lib/utils";

import { controlClasses } from "./input";

export function Textarea({ className, rows = 4, ...props }: React.ComponentProps<"textarea">) {
  return <textarea rows={rows} className={cn(controlClasses, "min-h-20 py-2", className)} {...props} />;
}

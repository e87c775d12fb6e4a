import type * as React from "react";

import { cn } from "@/lib/utils";

/** Classes shared by text inputs, textareas and selects. */
export const controlClasses = cn(
  "w-full min-w-0 rounded-md border border-input bg-card px-3 text-sm text-foreground shadow-xs",
  "placeholder:text-muted-foreground",
  "focus-visible:outline-2 focus-visible:outline-offset-0 focus-visible:outline-ring",
  "disabled:cursor-not-allowed disabled:bg-muted disabled:opacity-70",
  "aria-[invalid=true]:border-destructive aria-[invalid=true]:focus-visible:outline-destructive",
);

export function Input({ className, type = "text", ...props }: React.ComponentProps<"input">) {
  return (
    <input
      type={type}
      className={cn(
        controlClasses,
        "h-9 py-1 file:mr-3 file:h-full file:border-0 file:bg-transparent file:text-sm file:font-medium file:text-foreground",
        className,
      )}
      {...props}
    />
  );
}

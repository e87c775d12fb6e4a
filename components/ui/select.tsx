import type * as React from "react";

import { cn } from "@/lib/utils";

import { controlClasses } from "./input";

/**
 * Renders a styled native `<select>`, which keeps the platform's keyboard and screen-reader behaviour
 * and submits with a plain form. Pass `<option>` elements as children.
 */
export function Select({ className, ...props }: React.ComponentProps<"select">) {
  return (
    <select
      className={cn(controlClasses, "select-chevron h-9 appearance-none py-1 pr-9", className)}
      {...props}
    />
  );
}

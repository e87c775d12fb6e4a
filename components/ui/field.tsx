import { Slot } from "@radix-ui/react-slot";
import { CircleExclamationPoint } from "lucide-react";
import type * as React from "react";

import { cn } from "@/lib/utils";

import { Label } from "./label";

export type FieldProps = {
  label: React.ReactNode;
  /** The control's id. Field sets it on the child, so the child needs no `id` of its own. */
  htmlFor: string;
  /** Help text shown under the label, for example the expected format or unit. */
  hint?: React.ReactNode;
  /** One message or a list, such as `AppError.fieldErrors[name]`. Empty values show nothing. */
  error?: string | string[];
  className?: string;
  /** Exactly one control element: Input, Textarea, Select or a native element. */
  children: React.ReactElement;
};

/**
 * Lays out a label, optional hint, one control and its error message. The control receives
 * `id`, `aria-describedby` (hint and error ids, added to any it already has) and
 * `aria-invalid` when there is an error. The error is plain text without `role="alert"`,
 * so screen readers read it with the field instead of interrupting.
 */
export function Field({ label, htmlFor, hint, error, className, children }: FieldProps) {
  const errors = (Array.isArray(error) ? error : [error]).filter((message): message is string =>
    Boolean(message),
  );
  const hasError = errors.length > 0;
  const hintId = hint ? `${htmlFor}-hint` : undefined;
  const errorId = hasError ? `${htmlFor}-error` : undefined;
  const describedBy = [hintId, errorId].filter(Boolean).join(" ") || undefined;

  return (
    <div className={cn("grid gap-1.5", className)}>
      <Label htmlFor={htmlFor}>{label}</Label>

      {hint ? (
        <p id={hintId} className="text-sm text-muted-foreground">
          {hint}
        </p>
      ) : null}

      <Slot id={htmlFor} aria-describedby={describedBy} aria-invalid={hasError ? true : undefined}>
        {children}
      </Slot>

      {hasError ? (
        <p id={errorId} className="flex items-start gap-1.5 text-sm font-medium text-destructive">
          <CircleExclamationPoint aria-hidden="true" className="mt-0.5 size-4 shrink-0" />
          <span>
            <span className="sr-only">Error: </span>
            {errors.join(" ")}
          </span>
        </p>
      ) : null}
    </div>
  );
}

import { KeyRound } from "lucide-react";
import { useId } from "react";
import type * as React from "react";

import { cn } from "@/lib/utils";

import { CopyButton } from "./copy-button";

export type SecretRevealProps = {
  /** Name of the secret, such as "Database password" or "IAM auth token". */
  label: string;
  secret: string;
  /** The copy button's accessible name: "Copy database password". */
  copyLabel: string;
  /** Replaces the default explanation that the secret is shown only once. */
  notice?: React.ReactNode;
  /** Heading element for the label, at the level that fits the page outline. */
  headingLevel?: "h2" | "h3";
  /** Extra details shown under the secret, such as the user name or when it expires. */
  children?: React.ReactNode;
  className?: string;
};

/**
 * Renders a secret that the server shows only once, such as a generated database password.
 * Long values such as IAM auth tokens wrap instead of scrolling, and the value is marked
 * `translate="no"` so browser translation leaves it unchanged.
 */
export function SecretReveal({
  label,
  secret,
  copyLabel,
  notice,
  headingLevel: Heading = "h2",
  children,
  className,
}: SecretRevealProps) {
  const headingId = useId();
  const secretId = useId();

  return (
    <section
      aria-labelledby={headingId}
      className={cn("grid gap-3 rounded-lg border border-warning-border bg-warning-surface p-4", className)}
    >
      <div className="flex gap-3">
        <KeyRound aria-hidden="true" className="mt-0.5 size-5 shrink-0 text-warning-icon" />
        <div className="grid gap-1">
          <Heading id={headingId} className="text-sm font-semibold text-warning-foreground">
            {label}
          </Heading>
          <p className="text-sm text-warning-foreground">
            {notice ??
              "This is shown only once. Copy it now and keep it somewhere safe, such as a password manager. After you leave this page it cannot be shown again."}
          </p>
        </div>
      </div>

      <div className="flex flex-col gap-2 sm:flex-row sm:items-start">
        <code
          id={secretId}
          translate="no"
          className="min-w-0 flex-1 rounded-md border border-input bg-card px-3 py-2 font-mono text-sm break-all whitespace-pre-wrap text-foreground"
        >
          {secret}
        </code>
        <CopyButton text={secret} label={copyLabel} targetId={secretId} />
      </div>

      {children ? <div className="text-sm text-warning-foreground">{children}</div> : null}
    </section>
  );
}

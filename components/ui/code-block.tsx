import { useId } from "react";
import type * as React from "react";

import { cn } from "@/lib/utils";

import { CopyButton } from "./copy-button";

export type CodeBlockProps = {
  code: string;
  /** The copy button's accessible name, saying what is copied: "Copy psql command". */
  copyLabel: string;
  /** A visible caption above the code, such as "Connect with psql". */
  caption?: React.ReactNode;
  className?: string;
};

/**
 * Monospace text that keeps its line breaks and scrolls sideways instead of wrapping,
 * so commands can be copied exactly. The block is focusable so keyboard users can scroll it.
 */
export function CodeBlock({ code, copyLabel, caption, className }: CodeBlockProps) {
  const codeId = useId();

  return (
    <figure className={cn("grid min-w-0 gap-2", className)}>
      <div className="flex flex-wrap items-center justify-between gap-2">
        {caption ? <figcaption className="text-sm font-medium text-foreground">{caption}</figcaption> : <span />}
        <CopyButton text={code} label={copyLabel} targetId={codeId} />
      </div>
      <pre
        id={codeId}
        tabIndex={0}
        translate="no"
        className="overflow-x-auto rounded-md border bg-muted px-4 py-3 font-mono text-sm leading-relaxed text-foreground"
      >
        <code>{code}</code>
      </pre>
    </figure>
  );
}

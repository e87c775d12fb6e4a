"use client";

import { Check, Copy } from "lucide-react";
import { useEffect, useRef, useState } from "react";

import { cn } from "@/lib/utils";

import { Button, type ButtonProps } from "./button";

type CopyState = "idle" | "copied" | "selected" | "failed";

const STATUS_MESSAGES: Record<CopyState, string> = {
  idle: "",
  copied: "Copied",
  selected: "Copy failed. The text is selected: press Ctrl+C (⌘C on a Mac) to copy it.",
  failed: "Copy failed. Select the text and copy it yourself.",
};

const COPIED_MESSAGE_MS = 3_000;

export type CopyButtonProps = {
  text: string;
  /** The accessible name, saying what is copied: "Copy psql command". Starts with "Copy". */
  label: string;
  /** The id of the element that shows `text`. It is selected when the clipboard cannot be written. */
  targetId?: string;
  /** Show the word "Copy" beside the icon. Without it the button is icon-only. */
  showText?: boolean;
  variant?: ButtonProps["variant"];
  size?: ButtonProps["size"];
  className?: string;
};

/**
 * Copies `text` with the Clipboard API. That API needs a secure context (HTTPS or localhost)
 * and can be denied, so on failure the button selects the `targetId` element for a manual
 * copy instead. The outcome is shown beside the button in a polite live region.
 */
export function CopyButton({
  text,
  label,
  targetId,
  showText = true,
  variant = "outline",
  size = "sm",
  className,
}: CopyButtonProps) {
  const [state, setState] = useState<CopyState>("idle");
  const resetTimer = useRef<number | undefined>(undefined);

  useEffect(() => () => window.clearTimeout(resetTimer.current), []);

  async function handleClick() {
    window.clearTimeout(resetTimer.current);
    // Clearing first makes a repeated copy change the live region again, so it is announced again.
    setState("idle");

    let outcome: CopyState;
    try {
      await navigator.clipboard.writeText(text);
      outcome = "copied";
    } catch {
      // navigator.clipboard is undefined outside a secure context, and writeText rejects when
      // the browser denies permission; both cases fall back to a manual copy.
      outcome = selectElementText(targetId) ? "selected" : "failed";
    }

    setState(outcome);

    if (outcome === "copied") {
      resetTimer.current = window.setTimeout(() => setState("idle"), COPIED_MESSAGE_MS);
    }
  }

  const Icon = state === "copied" ? Check : Copy;

  return (
    <span className={cn("inline-flex flex-wrap items-center gap-2", className)}>
      <Button
        type="button"
        variant={variant}
        size={showText ? size : "icon"}
        aria-label={label}
        onClick={handleClick}
      >
        <Icon aria-hidden="true" />
        {showText ? "Copy" : null}
      </Button>
      <span role="status" aria-live="polite" className="text-xs text-muted-foreground">
        {STATUS_MESSAGES[state]}
      </span>
    </span>
  );
}

function selectElementText(elementId: string | undefined): boolean {
  if (!elementId) {
    return false;
  }

  const element = document.getElementById(elementId);
  if (!element) {
    return false;
  }

  if (element instanceof HTMLInputElement || element instanceof HTMLTextAreaElement) {
    element.focus();
    element.select();

    return true;
  }

  const selection = window.getSelection();
  if (!selection) {
    return false;
  }

  const range = document.createRange();
  range.selectNodeContents(element);
  selection.removeAllRanges();
  selection.addRange(range);

  return true;
}

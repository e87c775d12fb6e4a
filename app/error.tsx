"use client";

import { Button } from "@/components/ui/button";

export default function ErrorPage({ error, reset }: { error: Error & { digest?: string }; reset: () => void }) {
  return (
    <div className="mx-auto flex min-h-[60vh] max-w-lg flex-col items-center justify-center gap-4 px-4 text-center">
      <h1 className="text-2xl font-semibold">Something went wrong</h1>
      <p className="text-muted-foreground">
        The page could not be shown. Try again; if it keeps failing, give an admin this reference:{" "}
        <code className="font-mono">{error.digest ?? "none"}</code>.
      </p>
      <Button onClick={reset}>Try again</Button>
    </div>
  );
}

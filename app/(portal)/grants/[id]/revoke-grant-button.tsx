"use client";

import { useRouter } from "next/navigation";
import { useState, type FormEvent } from "react";

import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import {
  Dialog,
  DialogClose,
  DialogContent,
  DialogDescription,
  DialogFooter,
  DialogHeader,
  DialogTitle,
  DialogTrigger,
} from "@/components/ui/dialog";
import { Field } from "@/components/ui/field";
import { Textarea } from "@/components/ui/textarea";

import { revokeGrantAction } from "../../actions";

export type RevokeGrantButtonProps = {
  grantId: string;
  /** "revoke" for approvers and admins (reason required), "give-up" for the holder. */
  mode: "revoke" | "give-up";
};

export function RevokeGrantButton({ grantId, mode }: RevokeGrantButtonProps) {
  const router = useRouter();
  const [open, setOpen] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [reasonError, setReasonError] = useState<string[] | undefined>(undefined);
  const [pending, setPending] = useState(false);
  const label = mode === "revoke" ? "Revoke access" : "Give up access";

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setPending(true);
    const result = await revokeGrantAction({ grantId, reason: String(form.get("reason") ?? "") });
    setPending(false);
    if (!result.ok) {
      setReasonError(result.fieldErrors?.reason);
      setError(result.fieldErrors ? null : result.error);

      return;
    }
    setOpen(false);
    router.refresh();
  }

  return (
    <Dialog open={open} onOpenChange={setOpen}>
      <DialogTrigger asChild>
        <Button variant="destructive">{label}</Button>
      </DialogTrigger>
      <DialogContent>
        <DialogHeader>
          <DialogTitle>{mode === "revoke" ? "Revoke this access now?" : "Give up this access now?"}</DialogTitle>
          <DialogDescription>Access ends at once: open database sessions are terminated and no new credentials are issued.</DialogDescription>
        </DialogHeader>
        <form onSubmit={onSubmit} className="grid gap-4" noValidate>
          {error ? <Alert variant="error">{error}</Alert> : null}
          <Field
            label={mode === "revoke" ? "Reason" : "Reason (optional)"}
            htmlFor="revoke-reason"
            error={reasonError}
            hint={mode === "revoke" ? "The vendor sees this." : undefined}
          >
            <Textarea name="reason" rows={3} maxLength={2000} />
          </Field>
          <DialogFooter>
            <DialogClose asChild>
              <Button type="button" variant="outline">
                Keep access
              </Button>
            </DialogClose>
            <Button type="submit" variant="destructive" disabled={pending}>
              {pending ? "Ending access…" : label}
            </Button>
          </DialogFooter>
        </form>
      </DialogContent>
    </Dialog>
  );
}

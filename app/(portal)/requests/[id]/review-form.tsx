"use client";

import { useRouter } from "next/navigation";
import { useState, type FormEvent } from "react";

import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { Field } from "@/components/ui/field";
import { Input } from "@/components/ui/input";
import { Textarea } from "@/components/ui/textarea";
import type { FieldErrors } from "@/lib/errors";
import { COMMENT_MAX } from "@/lib/requests/schemas";

import { reviewRequestAction } from "../../actions";

export type ReviewFormProps = {
  requestId: string;
  /** What an approver may change before approving: the duration of a RELATIVE request, or the end of a fixed window. */
  adjustable: "duration" | "end";
  maxDurationMinutes: number;
};

export function ReviewForm({ requestId, adjustable, maxDurationMinutes }: ReviewFormProps) {
  const router = useRouter();
  const [errors, setErrors] = useState<FieldErrors>({});
  const [message, setMessage] = useState<{ variant: "error" | "success"; text: string } | null>(null);
  const [pending, setPending] = useState(false);

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const submitter = (event.nativeEvent as SubmitEvent).submitter as HTMLButtonElement | null;
    const decision = submitter?.value === "DENY" ? "DENY" : "APPROVE";
    const form = new FormData(event.currentTarget);
    setPending(true);

    const adjustedEnd = String(form.get("adjustedEnd") ?? "");
    const adjustedEndDate = adjustedEnd ? new Date(adjustedEnd) : null;
    const result = await reviewRequestAction({
      requestId,
      decision,
      comment: String(form.get("comment") ?? ""),
      durationMinutes: adjustable === "duration" ? String(form.get("adjustedDuration") ?? "") : undefined,
      endsAt: adjustedEndDate && !Number.isNaN(adjustedEndDate.getTime()) ? adjustedEndDate.toISOString() : adjustedEnd || undefined,
    });
    setPending(false);
    if (!result.ok) {
      setErrors(result.fieldErrors ?? {});
      setMessage({ variant: "error", text: result.error });
      // The request may have been decided by someone else meanwhile: show its current state.
      if (result.code === "INVALID_STATE") router.refresh();

      return;
    }
    setErrors({});
    const status = result.data.requestStatus;
    setMessage({
      variant: "success",
      text: status === "PENDING" ? "Approval recorded; the request needs more approvals." : `Request ${status.toLowerCase()}.`,
    });
    router.refresh();
  }

  return (
    <form onSubmit={onSubmit} className="grid gap-4" noValidate>
      {message ? <Alert variant={message.variant}>{message.text}</Alert> : null}
      <Field label="Comment" htmlFor="comment" error={errors.comment} hint="Required when you deny. The requester sees it.">
        <Textarea name="comment" rows={3} maxLength={COMMENT_MAX} />
      </Field>
      {adjustable === "duration" ? (
        <Field
          label="Approve for a different duration (minutes, optional)"
          htmlFor="adjustedDuration"
          error={errors.durationMinutes ?? errors.endsAt}
          hint={`Leave empty to approve as requested. At most ${maxDurationMinutes} minutes.`}
        >
          <Input name="adjustedDuration" type="number" inputMode="numeric" min={5} max={maxDurationMinutes} step={1} />
        </Field>
      ) : (
        <Field label="Approve with a different end (optional, your time zone)" htmlFor="adjustedEnd" error={errors.endsAt} hint="Leave empty to approve as requested.">
          <Input name="adjustedEnd" type="datetime-local" />
        </Field>
      )}
      <div className="flex flex-wrap gap-3">
        <Button type="submit" name="decision" value="APPROVE" disabled={pending}>
          Approve
        </Button>
        <Button type="submit" name="decision" value="DENY" variant="destructive" disabled={pending}>
          Deny
        </Button>
      </div>
    </form>
  );
}

"use client";

import { useRouter } from "next/navigation";
import { useState, type FormEvent } from "react";

import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { Field } from "@/components/ui/field";
import { Input } from "@/components/ui/input";
import { Textarea } from "@/components/ui/textarea";
import type { FieldErrors } from "@/lib/errors";
import { JUSTIFICATION_MAX } from "@/lib/requests/schemas";

import { createExtensionRequestAction } from "../../actions";

export function ExtensionForm({ grantId, maxEndLabel }: { grantId: string; maxEndLabel: string }) {
  const router = useRouter();
  const [errors, setErrors] = useState<FieldErrors>({});
  const [message, setMessage] = useState<{ variant: "error" | "success"; text: string } | null>(null);
  const [pending, setPending] = useState(false);

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const local = String(form.get("endsAt") ?? "");
    const parsed = local ? new Date(local) : null;
    setPending(true);

    const result = await createExtensionRequestAction({
      grantId,
      endsAt: parsed && !Number.isNaN(parsed.getTime()) ? parsed.toISOString() : local,
      justification: String(form.get("justification") ?? ""),
    });
    setPending(false);
    if (!result.ok) {
      setErrors(result.fieldErrors ?? {});
      setMessage(result.fieldErrors ? null : { variant: "error", text: result.error });

      return;
    }
    setErrors({});
    setMessage({ variant: "success", text: "Extension requested. An approver reviews it under the same rules as the original request." });
    router.refresh();
  }

  return (
    <Card>
      <CardHeader>
        <CardTitle>Need more time?</CardTitle>
        <CardDescription>Ask to move this grant&apos;s end. Until it is approved, access ends at the current end. {maxEndLabel}</CardDescription>
      </CardHeader>
      <CardContent>
        <form onSubmit={onSubmit} className="grid gap-4" noValidate>
          {message ? <Alert variant={message.variant}>{message.text}</Alert> : null}
          <Field label="New end (your time zone)" htmlFor="extension-end" error={errors.endsAt}>
            <Input name="endsAt" type="datetime-local" />
          </Field>
          <Field label="Why you need more time" htmlFor="extension-justification" error={errors.justification}>
            <Textarea name="justification" rows={3} maxLength={JUSTIFICATION_MAX * 2} />
          </Field>
          <div>
            <Button type="submit" variant="outline" disabled={pending}>
              {pending ? "Sending…" : "Request extension"}
            </Button>
          </div>
        </form>
      </CardContent>
    </Card>
  );
}

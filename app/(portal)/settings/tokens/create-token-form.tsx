"use client";

import { useState, type FormEvent } from "react";

import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { Field } from "@/components/ui/field";
import { Input } from "@/components/ui/input";
import { SecretReveal } from "@/components/ui/secret-reveal";
import type { FieldErrors } from "@/lib/errors";

import { createApiTokenAction } from "./actions";

export function CreateTokenForm() {
  const [errors, setErrors] = useState<FieldErrors>({});
  const [error, setError] = useState<string | null>(null);
  const [created, setCreated] = useState<{ token: string; expiresAt: string } | null>(null);
  const [pending, setPending] = useState(false);

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const formElement = event.currentTarget;
    const form = new FormData(formElement);
    setPending(true);
    const result = await createApiTokenAction({ name: String(form.get("name") ?? ""), expiresInDays: String(form.get("expiresInDays") ?? "") });
    setPending(false);
    if (!result.ok) {
      setErrors(result.fieldErrors ?? {});
      setError(result.fieldErrors ? null : result.error);

      return;
    }
    setErrors({});
    setError(null);
    setCreated(result.data);
    formElement.reset();
  }

  return (
    <div className="grid gap-4">
      {created ? (
        <SecretReveal label="API token" secret={created.token} copyLabel="Copy API token" headingLevel="h3">
          <p className="text-sm">
            Use it as <code className="font-mono">Authorization: Bearer …</code>. It expires {new Date(created.expiresAt).toUTCString()}.
          </p>
        </SecretReveal>
      ) : null}
      {error ? (
        <Alert variant="error" role="alert">
          {error}
        </Alert>
      ) : null}
      <form onSubmit={onSubmit} className="grid gap-4" noValidate>
        <Field label="Name" htmlFor="token-name" error={errors.name} hint="For example the laptop or CI job that uses it.">
          <Input name="name" maxLength={80} />
        </Field>
        <Field label="Expires after (days)" htmlFor="token-days" error={errors.expiresInDays}>
          <Input name="expiresInDays" type="number" inputMode="numeric" min={1} max={90} defaultValue={30} />
        </Field>
        <div>
          <Button type="submit" disabled={pending}>
            {pending ? "Creating…" : "Create token"}
          </Button>
        </div>
      </form>
    </div>
  );
}

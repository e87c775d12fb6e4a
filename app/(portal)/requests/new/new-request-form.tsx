"use client";

import { useRouter } from "next/navigation";
import { useState, type FormEvent } from "react";

import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { Card, CardContent } from "@/components/ui/card";
import { Field } from "@/components/ui/field";
import { Input } from "@/components/ui/input";
import { Select } from "@/components/ui/select";
import { Textarea } from "@/components/ui/textarea";
import type { FieldErrors } from "@/lib/errors";
import { formatMinutes } from "@/lib/domain/window";
import { JUSTIFICATION_MAX } from "@/lib/requests/schemas";

import { createRequestAction } from "../../actions";

export type RequestableResource = {
  id: string;
  name: string;
  description: string;
  kindLabel: string;
  accessLevels: string[];
  maxDurationMinutes: number;
};

/** Converts a `datetime-local` value, which is in the viewer's time zone, to UTC ISO 8601. */
function localToIso(value: FormDataEntryValue | null): string | undefined {
  if (typeof value !== "string" || value === "") return undefined;
  const date = new Date(value);

  return Number.isNaN(date.getTime()) ? value : date.toISOString();
}

export function NewRequestForm({ resources }: { resources: RequestableResource[] }) {
  const router = useRouter();
  const [resourceId, setResourceId] = useState(resources[0]?.id ?? "");
  const [startMode, setStartMode] = useState<"now" | "at">("now");
  const [endMode, setEndMode] = useState<"duration" | "at">("duration");
  const [errors, setErrors] = useState<FieldErrors>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [pending, setPending] = useState(false);
  const resource = resources.find((candidate) => candidate.id === resourceId);

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setPending(true);
    setFormError(null);

    const result = await createRequestAction({
      resourceId: String(form.get("resourceId") ?? ""),
      accessLevel: String(form.get("accessLevel") ?? ""),
      startMode,
      start: startMode === "at" ? localToIso(form.get("start")) : undefined,
      endMode,
      end: endMode === "at" ? localToIso(form.get("end")) : undefined,
      durationMinutes: endMode === "duration" ? String(form.get("durationMinutes") ?? "") : undefined,
      justification: String(form.get("justification") ?? ""),
    });
    if (result.ok) {
      router.push(`/requests/${result.data.id}`);

      return;
    }
    setErrors(result.fieldErrors ?? {});
    setFormError(result.fieldErrors ? "Some fields need attention; see the messages beside them." : result.error);
    setPending(false);
  }

  return (
    <Card className="max-w-2xl">
      <CardContent className="pt-6">
        <form onSubmit={onSubmit} className="grid gap-6" noValidate>
          {formError ? <Alert variant="error">{formError}</Alert> : null}

          <Field label="Resource" htmlFor="resourceId" error={errors.resourceId} hint={resource ? `${resource.kindLabel}. ${resource.description}` : undefined}>
            <Select name="resourceId" value={resourceId} onChange={(event) => setResourceId(event.target.value)}>
              {resources.map((candidate) => (
                <option key={candidate.id} value={candidate.id}>
                  {candidate.name}
                </option>
              ))}
            </Select>
          </Field>

          <Field label="Access level" htmlFor="accessLevel" error={errors.accessLevel}>
            <Select name="accessLevel" key={resourceId}>
              {(resource?.accessLevels ?? []).map((level) => (
                <option key={level} value={level}>
                  {level}
                </option>
              ))}
            </Select>
          </Field>

          <fieldset className="grid gap-3">
            <legend className="text-sm font-medium">Start</legend>
            <div className="flex flex-wrap gap-4 text-sm">
              <label className="flex items-center gap-2">
                <input type="radio" name="startMode" value="now" checked={startMode === "now"} onChange={() => setStartMode("now")} />
                As soon as approved
              </label>
              <label className="flex items-center gap-2">
                <input type="radio" name="startMode" value="at" checked={startMode === "at"} onChange={() => setStartMode("at")} />
                At a time
              </label>
            </div>
            {startMode === "at" ? (
              <Field label="Start time (your time zone)" htmlFor="start" error={errors.start}>
                <Input name="start" type="datetime-local" />
              </Field>
            ) : errors.start ? (
              <p className="text-sm text-destructive">{errors.start.join(" ")}</p>
            ) : null}
          </fieldset>

          <fieldset className="grid gap-3">
            <legend className="text-sm font-medium">End</legend>
            <div className="flex flex-wrap gap-4 text-sm">
              <label className="flex items-center gap-2">
                <input type="radio" name="endMode" value="duration" checked={endMode === "duration"} onChange={() => setEndMode("duration")} />
                After a duration
              </label>
              <label className="flex items-center gap-2">
                <input type="radio" name="endMode" value="at" checked={endMode === "at"} onChange={() => setEndMode("at")} />
                At a time
              </label>
            </div>
            {endMode === "duration" ? (
              <Field
                label="Duration in minutes"
                htmlFor="durationMinutes"
                error={errors.durationMinutes}
                hint={resource ? `At most ${formatMinutes(resource.maxDurationMinutes)} (${resource.maxDurationMinutes} minutes).` : undefined}
              >
                <Input name="durationMinutes" type="number" inputMode="numeric" min={5} step={1} defaultValue={60} />
              </Field>
            ) : (
              <Field label="End time (your time zone)" htmlFor="end" error={errors.end}>
                <Input name="end" type="datetime-local" />
              </Field>
            )}
          </fieldset>

          <Field
            label="Justification"
            htmlFor="justification"
            error={errors.justification}
            hint={`What you need the access for, so the approver can decide. Up to ${JUSTIFICATION_MAX} characters.`}
          >
            <Textarea name="justification" rows={4} maxLength={JUSTIFICATION_MAX * 2} />
          </Field>

          <div className="flex gap-3">
            <Button type="submit" disabled={pending}>
              {pending ? "Sending…" : "Send request"}
            </Button>
          </div>
        </form>
      </CardContent>
    </Card>
  );
}

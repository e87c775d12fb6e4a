"use client";

import { useRouter } from "next/navigation";
import { useCallback, useState, type FormEvent } from "react";

import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { CodeBlock } from "@/components/ui/code-block";
import { Field } from "@/components/ui/field";
import { Input } from "@/components/ui/input";
import { LocalTime } from "@/components/ui/local-time";
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "@/components/ui/table";

import {
  issueDownloadUrlAction,
  issueUploadUrlAction,
  listGrantObjectsAction,
  type ObjectSummary,
  type PresignedUpload,
} from "../../actions";

export type S3ExchangeProps = {
  grantId: string;
  prefix: string;
  canUpload: boolean;
  canDownload: boolean;
  /** The listing rendered on the server; `error` when it could not be read. */
  initialListing: { objects: ObjectSummary[]; truncated: boolean } | { error: string };
};

/** Quotes a value for a POSIX shell, so URLs with `&` survive copy and paste. */
function shellQuote(value: string): string {
  return `'${value.replaceAll("'", "'\\''")}'`;
}

function curlUpload(upload: PresignedUpload, localFile: string): string {
  const headers = Object.entries(upload.headers).map(([name, value]) => `  -H ${shellQuote(`${name}: ${value}`)} \\`);

  return [`curl --fail -X ${upload.method} \\`, ...headers, `  --upload-file ${shellQuote(localFile)} \\`, `  ${shellQuote(upload.url)}`].join("\n");
}

export function S3Exchange({ grantId, prefix, canUpload, canDownload, initialListing }: S3ExchangeProps) {
  const router = useRouter();
  const [objects, setObjects] = useState<ObjectSummary[] | null>("objects" in initialListing ? initialListing.objects : null);
  const [truncated, setTruncated] = useState("truncated" in initialListing ? initialListing.truncated : false);
  const [listError, setListError] = useState<string | null>("error" in initialListing ? initialListing.error : null);
  const [fileName, setFileName] = useState("");
  const [fileError, setFileError] = useState<string[] | undefined>(undefined);
  const [status, setStatus] = useState<{ variant: "success" | "error" | "info"; text: string } | null>(null);
  const [lastUpload, setLastUpload] = useState<PresignedUpload | null>(null);
  const [downloads, setDownloads] = useState<Record<string, { url: string; expiresAt: string }>>({});
  const [pending, setPending] = useState(false);

  const refresh = useCallback(async () => {
    const result = await listGrantObjectsAction(grantId);
    if (!result.ok) {
      setListError(result.error);

      return;
    }
    setListError(null);
    setObjects(result.data.objects);
    setTruncated(result.data.truncated);
  }, [grantId]);

  async function onUpload(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const formElement = event.currentTarget;
    const form = new FormData(formElement);
    const file = form.get("file");
    const name = fileName.trim() || (file instanceof File ? file.name : "");
    setFileError(undefined);
    setStatus(null);
    setPending(true);

    const result = await issueUploadUrlAction(grantId, name);
    if (!result.ok) {
      setPending(false);
      setFileError(result.fieldErrors?.fileName ?? [result.error]);

      return;
    }
    setLastUpload(result.data);
    router.refresh();
    if (!(file instanceof File) || file.size === 0) {
      setPending(false);
      setStatus({ variant: "info", text: "Upload URL issued. Use the curl command below to upload from your machine." });

      return;
    }

    try {
      const response = await fetch(result.data.url, { method: result.data.method, headers: result.data.headers, body: file });
      if (!response.ok) throw new Error(`the storage server answered ${response.status}`);
      setStatus({ variant: "success", text: `Uploaded ${result.data.key}.` });
      setFileName("");
      formElement.reset();
      await refresh();
    } catch (error) {
      setStatus({ variant: "error", text: `Upload failed: ${(error as Error).message}. Try the curl command below instead.` });
    } finally {
      setPending(false);
    }
  }

  async function getDownloadLink(key: string) {
    const result = await issueDownloadUrlAction(grantId, key);
    if (!result.ok) {
      setStatus({ variant: "error", text: result.error });

      return;
    }
    setDownloads((current) => ({ ...current, [key]: result.data }));
    router.refresh();
  }

  return (
    <Card>
      <CardHeader>
        <CardTitle>File exchange</CardTitle>
        <CardDescription>
          Your folder is <code className="font-mono">{prefix}</code>. Links expire at the latest when the grant ends.
        </CardDescription>
      </CardHeader>
      <CardContent className="grid gap-6">
        {status ? <Alert variant={status.variant}>{status.text}</Alert> : null}

        {canUpload ? (
          <form onSubmit={onUpload} className="grid gap-4" noValidate>
            <Field label="File" htmlFor="file" hint="Leave empty to get an upload URL for curl instead.">
              <Input name="file" type="file" onChange={(event) => setFileName(event.target.files?.[0]?.name ?? "")} />
            </Field>
            <Field
              label="Object name"
              htmlFor="fileName"
              error={fileError}
              hint="Stored under your folder. Use / for sub-folders; no '..' segments, at most 1,024 bytes in all."
            >
              <Input name="fileName" value={fileName} onChange={(event) => setFileName(event.target.value)} />
            </Field>
            <div>
              <Button type="submit" disabled={pending}>
                {pending ? "Uploading…" : "Upload"}
              </Button>
            </div>
          </form>
        ) : null}

        {lastUpload ? (
          <CodeBlock
            caption={
              <>
                Upload {lastUpload.key} with curl (URL valid until <LocalTime value={lastUpload.expiresAt} />)
              </>
            }
            code={curlUpload(lastUpload, lastUpload.key.split("/").pop() ?? "file")}
            copyLabel="Copy curl upload command"
          />
        ) : null}

        <section aria-labelledby="objects-heading" className="grid gap-3">
          <div className="flex items-center justify-between">
            <h3 id="objects-heading" className="text-sm font-semibold">
              Files in your folder
            </h3>
            <Button variant="outline" size="sm" onClick={() => void refresh()}>
              Refresh
            </Button>
          </div>
          {listError ? <Alert variant="error">{listError}</Alert> : null}
          {objects === null ? (
            <p className="text-sm text-muted-foreground">Loading…</p>
          ) : objects.length === 0 ? (
            <p className="text-sm text-muted-foreground">No files yet. {canUpload ? "Upload one above." : ""}</p>
          ) : (
            <Table>
              <TableHeader>
                <TableRow>
                  <TableHead>Name</TableHead>
                  <TableHead>Size</TableHead>
                  <TableHead>Modified</TableHead>
                  {canDownload ? <TableHead>Download</TableHead> : null}
                </TableRow>
              </TableHeader>
              <TableBody>
                {objects.map((object) => (
                  <TableRow key={object.key}>
                    <TableCell className="font-mono text-sm break-all">{object.key}</TableCell>
                    <TableCell className="text-sm">{object.size.toLocaleString()} B</TableCell>
                    <TableCell className="text-sm">{object.lastModified ? <LocalTime value={object.lastModified} /> : "—"}</TableCell>
                    {canDownload ? (
                      <TableCell className="text-sm">
                        {downloads[object.key] ? (
                          <div className="grid gap-2">
                            <a href={downloads[object.key]!.url} className="text-primary underline" download>
                              Download {object.key.split("/").pop()}
                            </a>
                            <CodeBlock
                              code={`curl --fail -o ${shellQuote(object.key.split("/").pop() ?? "file")} ${shellQuote(downloads[object.key]!.url)}`}
                              copyLabel={`Copy curl download command for ${object.key}`}
                            />
                          </div>
                        ) : (
                          <Button size="sm" variant="outline" onClick={() => void getDownloadLink(object.key)}>
                            Get link
                          </Button>
                        )}
                      </TableCell>
                    ) : null}
                  </TableRow>
                ))}
              </TableBody>
            </Table>
          )}
          {truncated ? <p className="text-sm text-muted-foreground">Only the first 1,000 files are listed.</p> : null}
        </section>
      </CardContent>
    </Card>
  );
}

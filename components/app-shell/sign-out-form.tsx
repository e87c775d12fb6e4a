import { LogOut } from "lucide-react";

import { Button } from "@/components/ui/button";

export type SignOutFormProps = {
  /** A server action, or a URL that accepts a POST, such as NextAuth's "/api/auth/signout". */
  action: string | ((formData: FormData) => void | Promise<void>);
  /** Sent as the `csrfToken` field, which NextAuth's sign-out endpoint requires. */
  csrfToken?: string;
  /** Sent as the `callbackUrl` field: where NextAuth redirects after signing out. */
  callbackUrl?: string;
};

/** Renders a sign-out button in a POST form, so a link or prefetch cannot sign the user out. Pass it to AppShell's `signOut`. */
export function SignOutForm({ action, csrfToken, callbackUrl }: SignOutFormProps) {
  return (
    // React sets the method itself for a server action and warns when one is given.
    <form action={action} method={typeof action === "string" ? "post" : undefined}>
      {csrfToken ? <input type="hidden" name="csrfToken" value={csrfToken} /> : null}
      {callbackUrl ? <input type="hidden" name="callbackUrl" value={callbackUrl} /> : null}
      <Button type="submit" variant="ghost" size="sm">
        <LogOut aria-hidden="true" />
        Sign out
      </Button>
    </form>
  );
}

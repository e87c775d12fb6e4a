import { AppShell } from "@/components/app-shell/app-shell";
import { SignOutButton } from "@/components/sign-out-button";
import { getActor } from "@/lib/auth/session";

// Pages redirect anonymous visitors themselves, with the page as the callback; this layout only
// adds the shell for signed-in users.
export default async function PortalLayout({ children }: { children: React.ReactNode }) {
  const actor = await getActor();
  if (!actor) return <>{children}</>;

  return (
    <AppShell
      user={{ name: actor.name, email: actor.email, role: actor.role, vendorName: actor.vendorName ?? undefined }}
      signOut={<SignOutButton />}
    >
      {children}
    </AppShell>
  );
}

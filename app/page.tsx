import { redirect } from "next/navigation";

import { getActor } from "@/lib/auth/session";

export default async function HomePage() {
  const actor = await getActor();
  if (!actor) redirect("/sign-in");

  redirect(actor.role === "VENDOR" ? "/requests" : "/reviews");
}

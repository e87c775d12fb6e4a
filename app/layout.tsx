import type { Metadata } from "next";

import "./globals.css";

export const metadata: Metadata = {
  title: { default: "Vendor Access Portal", template: "%s · Vendor Access Portal" },
  description: "Request, approve and audit time-boxed vendor access to data.",
  robots: { index: false, follow: false },
};

export default function RootLayout({ children }: { children: React.ReactNode }) {
  return (
    <html lang="en">
      <body className="min-h-screen bg-background text-foreground antialiased">{children}</body>
    </html>
  );
}

import type { Metadata } from 'next';
import Link from 'next/link';
import type { ReactNode } from 'react';
import { currentIdentity } from '@/lib/server/access';
import './globals.css';

export const metadata: Metadata = {
  title: { default: 'PCACE Lab', template: '%s · PCACE Lab' },
  description: 'Rank the channels of convolutional networks with PCACE.',
};

// Every page depends on who is signed in.
export const dynamic = 'force-dynamic';

export default async function RootLayout({ children }: { children: ReactNode }) {
  const me = await currentIdentity();
  return (
    <html lang="en">
      <body>
        <a className="skip-link" href="#main">
          Skip to content
        </a>
        <header className="site-header">
          <Link className="brand" href="/">
            PCACE Lab
          </Link>
          <nav aria-label="Main">
            {me ? (
              <>
                <Link href="/labs">Labs</Link>
                <Link href="/settings/tokens">API tokens</Link>
                <Link href="/settings/password">Password</Link>
              </>
            ) : null}
          </nav>
          {me ? (
            <div className="row small">
              <span className="who">{me.user.email}</span>
              <Link href="/signout">Sign out</Link>
            </div>
          ) : (
            <div className="row small">
              <Link href="/signin">Sign in</Link>
              <Link href="/signup">Create account</Link>
            </div>
          )}
        </header>
        <main id="main" tabIndex={-1}>
          {children}
        </main>
      </body>
    </html>
  );
}

import Link from 'next/link';
import type { ReactNode } from 'react';
import type { LabContext } from '@/lib/server/access';

/** The lab's name, the viewer's role and the lab navigation, then the page's title and, when given, its `intro` paragraph. */
export function LabHeader({ ctx, title, intro }: { ctx: LabContext; title?: string; intro?: ReactNode }) {
  const base = `/labs/${ctx.lab.slug}`;
  return (
    <>
      <div className="spread" style={{ marginBottom: '1rem' }}>
        <div>
          <p className="small muted" style={{ margin: 0 }}>
            <Link href={base}>{ctx.lab.name}</Link> · you are {ctx.role}
          </p>
          {title ? <h1 style={{ margin: '0.25rem 0 0' }}>{title}</h1> : null}
        </div>
        <nav aria-label="Lab" className="row small">
          <Link href={base}>Overview</Link>
          <Link href={`${base}/history`}>History</Link>
          <Link href={`${base}/members`}>Members</Link>
          <Link href={`${base}/compare`}>Compare</Link>
        </nav>
      </div>
      {intro ? <p className="muted">{intro}</p> : null}
    </>
  );
}

import type { ReactNode } from 'react';
import { requireLab } from '@/lib/server/access';

/**
 * The access check of every history page, before anything streams: signed-out
 * visitors get a real redirect to sign-in (307) and other labs a 404, rather
 * than a 200 whose body redirects. (The timeline's loading state lives in the
 * (timeline) group, so a discussion page's own not-found is a 404 too.) The
 * pages check again, for themselves.
 */
export default async function HistoryLayout({ children, params }: { children: ReactNode; params: Promise<{ lab: string }> }) {
  const { lab } = await params;
  await requireLab(lab, 'viewer', `/labs/${lab}/history`);
  return children;
}

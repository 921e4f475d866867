'use client';

import Link from 'next/link';
import { useParams } from 'next/navigation';

/** The history could not be loaded (database down, a bug): say so, offer a retry, keep the way back. */
export default function HistoryError({ error, reset }: { error: Error & { digest?: string }; reset: () => void }) {
  const params = useParams<{ lab: string }>();
  return (
    <div className="hist-error-state">
      <h1>History</h1>
      <div className="alert error" role="alert">
        <p style={{ margin: '0 0 0.5rem' }}>The history could not be loaded{error.digest ? ` (reference ${error.digest})` : ''}.</p>
        <div className="row">
          <button type="button" onClick={() => reset()}>
            Try again
          </button>
          {params?.lab ? <Link href={`/labs/${params.lab}`}>Back to the lab</Link> : null}
        </div>
      </div>
    </div>
  );
}

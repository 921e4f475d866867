'use client';

export default function ErrorPage({ error, reset }: { error: Error & { digest?: string }; reset: () => void }) {
  return (
    <div className="narrow">
      <h1>Something went wrong</h1>
      <p className="muted">The server could not complete this page{error.digest ? ` (reference ${error.digest})` : ''}.</p>
      <button type="button" onClick={() => reset()}>
        Try again
      </button>
    </div>
  );
}

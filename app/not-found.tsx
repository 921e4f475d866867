import Link from 'next/link';

export default function NotFound() {
  return (
    <div className="narrow">
      <h1>Not found</h1>
      <p className="muted">This page does not exist, or it belongs to a lab you are not a member of.</p>
      <Link href="/labs">Your labs</Link>
    </div>
  );
}

import Link from 'next/link';

export default function Forbidden() {
  return (
    <div className="narrow">
      <h1>Not allowed</h1>
      <p className="muted">Your role in this lab does not allow this. Viewers can look but not change things; ask a lab owner.</p>
      <Link href="/labs">Your labs</Link>
    </div>
  );
}

import type { Metadata } from 'next';
import { SignOutButton } from './SignOutButton';

export const metadata: Metadata = { title: 'Sign out' };

export default function SignOutPage() {
  return (
    <div className="narrow">
      <h1>Sign out</h1>
      <p className="muted">This signs you out on every device and browser. You will need your password (or provider) to come back.</p>
      <SignOutButton />
    </div>
  );
}

import Link from 'next/link';
import { redirect } from 'next/navigation';
import { currentIdentity } from '@/lib/server/access';

export default async function Home() {
  if (await currentIdentity()) redirect('/labs');
  return (
    <div className="narrow">
      <h1>PCACE Lab</h1>
      <p>
        A shared portal for ranking the channels of convolutional networks with PCACE: upload a model, register a dataset,
        and see which channels explain a class score — calibrated against permutation nulls.
      </p>
      <div className="row">
        <Link className="button" href="/signin">
          Sign in
        </Link>
        <Link className="button secondary" href="/signup">
          Create an account
        </Link>
      </div>
    </div>
  );
}

import type { Metadata } from 'next';
import Link from 'next/link';
import { requireUser } from '@/lib/server/access';
import { labsOf } from '@/lib/server/labs';
import { publicDemoLab } from '@/lib/server/demo';
import { createLabAction } from '@/app/actions/labs';
import { ActionForm } from '@/app/_components/ActionForm';
import { Field } from '@/app/_components/Field';
import { TableHead } from '@/app/_components/TableHead';

export const metadata: Metadata = { title: 'Labs' };

export default async function LabsPage() {
  const me = await requireUser('/labs');
  const [memberships, demo] = await Promise.all([labsOf(me.user.id), publicDemoLab()]);
  const inDemo = demo && memberships.some((m) => m.lab.slug === demo.slug);
  return (
    <>
      <h1>Your labs</h1>
      {memberships.length === 0 ? (
        <p className="empty">You are not in any lab yet. Create one below, or ask an owner for an invitation.</p>
      ) : (
        <table>
          <TableHead columns={['Lab', 'Address', 'Your role']} />
          <tbody>
            {memberships.map((m) => (
              <tr key={m.id}>
                <td>
                  <Link href={`/labs/${m.lab.slug}`}>{m.lab.name}</Link>
                </td>
                <td className="mono">{m.lab.slug}</td>
                <td>{m.role}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {demo && !inDemo ? (
        <p className="panel demo-card" data-testid="demo-lab">
          <strong>{demo.name}</strong> is open to everyone for reading: analysed MNIST models to explore before uploading your own.{' '}
          <Link href={demo.featured ? `/labs/${demo.slug}/analyses/${demo.featured.id}` : `/labs/${demo.slug}`}>Open the demo lab</Link>
        </p>
      ) : null}
      <h2>Create a lab</h2>
      <ActionForm action={createLabAction} submitLabel="Create lab" redirectTo="/labs/{slug}" className="panel">
        <div className="field">
          <label htmlFor="lab-name">Name</label>
          <input id="lab-name" name="name" required maxLength={100} placeholder="Vision interpretability" />
        </div>
        <Field id="lab-slug" label="Address" hint="lowercase letters, digits and dashes; used in links and the API">
          <input id="lab-slug" name="slug" required pattern="[a-z0-9][a-z0-9-]*[a-z0-9]" minLength={2} maxLength={40} placeholder="vision-lab" />
        </Field>
      </ActionForm>
    </>
  );
}

import type { Metadata } from 'next';
import { requireUser } from '../../../lib/server/access';
import { listApiTokens } from '../../../lib/server/labs';
import { createTokenAction, revokeTokenAction } from '../../actions/labs';
import { ActionForm } from '../../_components/ActionForm';
import { TokenForm } from '../../_components/SecretForms';
import { formatDate } from '../../_components/format';

export const metadata: Metadata = { title: 'API tokens' };

export default async function TokensPage() {
  const me = await requireUser('/settings/tokens');
  const tokens = await listApiTokens(me.user.id);
  return (
    <>
      <h1>API tokens</h1>
      <p className="muted">
        Tokens let scripts use the REST API as you, in every lab you belong to, with your role there:{' '}
        <code>Authorization: Bearer pcl_…</code> on <code>/api/v1/…</code>.
      </p>
      <TokenForm action={createTokenAction} />
      <h2>Your tokens</h2>
      {tokens.length === 0 ? (
        <p className="empty">No tokens yet.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Starts with</th>
              <th scope="col">Created</th>
              <th scope="col">Last used</th>
              <th scope="col">Status</th>
            </tr>
          </thead>
          <tbody>
            {tokens.map((t) => (
              <tr key={t.id}>
                <td>{t.name}</td>
                <td className="mono">{t.prefix}…</td>
                <td className="small">{formatDate(t.createdAt)}</td>
                <td className="small">{formatDate(t.lastUsedAt)}</td>
                <td>
                  {t.revokedAt ? (
                    <span className="badge cancelled">revoked</span>
                  ) : (
                    <ActionForm action={revokeTokenAction} submitLabel="Revoke" buttonClass="danger" confirm={`Revoke token "${t.name}"? Scripts using it will stop working.`}>
                      <input type="hidden" name="tokenId" value={t.id} />
                    </ActionForm>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}

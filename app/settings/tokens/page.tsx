import type { Metadata } from 'next';
import { requireUser } from '@/lib/server/access';
import { DEFAULT_TOKEN_EXPIRY_DAYS, labsOf, listApiTokens, TOKEN_EXPIRY_DAYS } from '@/lib/server/labs';
import { createTokenAction, revokeTokenAction } from '@/app/actions/labs';
import { ActionForm } from '@/app/_components/ActionForm';
import { TokenForm } from '@/app/_components/SecretForms';
import { formatDate } from '@/app/_components/format';
import { TableHead } from '@/app/_components/TableHead';

export const metadata: Metadata = { title: 'API tokens' };

export default async function TokensPage() {
  const me = await requireUser('/settings/tokens');
  const [tokens, memberships] = await Promise.all([listApiTokens(me.user.id), labsOf(me.user.id)]);
  const now = Date.now();
  return (
    <>
      <h1>API tokens</h1>
      <p className="muted">
        Tokens let scripts use the REST API as you, with your role in each lab: <code>Authorization: Bearer pcl_…</code> on <code>/api/v1/…</code>. Give each
        script the least it needs: one lab, read only, a short expiry.
      </p>
      <TokenForm
        action={createTokenAction}
        labs={memberships.map((m) => ({ slug: m.lab.slug, name: m.lab.name }))}
        expiryDays={TOKEN_EXPIRY_DAYS}
        defaultDays={DEFAULT_TOKEN_EXPIRY_DAYS}
      />
      <h2>Your tokens</h2>
      {tokens.length === 0 ? (
        <p className="empty">No tokens yet.</p>
      ) : (
        <table>
          <TableHead columns={['Name', 'Starts with', 'Scope', 'Created', 'Expires', 'Last used', 'Status']} />
          <tbody>
            {tokens.map((t) => {
              const expired = t.expiresAt !== null && t.expiresAt.getTime() <= now;
              return (
                <tr key={t.id}>
                  <td>{t.name}</td>
                  <td className="mono">{t.prefix}…</td>
                  <td className="small">
                    {t.readOnly ? 'read only' : 'read and write'}, {t.lab ? `lab ${t.lab.name} only` : 'all your labs'}
                  </td>
                  <td className="small">{formatDate(t.createdAt)}</td>
                  <td className="small">{t.expiresAt ? formatDate(t.expiresAt) : 'never'}</td>
                  <td className="small">{formatDate(t.lastUsedAt)}</td>
                  <td>
                    {t.revokedAt ? (
                      <span className="badge cancelled">revoked</span>
                    ) : expired ? (
                      <span className="badge failed">expired</span>
                    ) : (
                      <ActionForm action={revokeTokenAction} submitLabel="Revoke" buttonClass="danger" confirm={`Revoke token "${t.name}"? Scripts using it will stop working.`} hidden={{ tokenId: t.id }} />
                    )}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </>
  );
}

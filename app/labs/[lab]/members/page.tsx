import type { Metadata } from 'next';
import { requireLab } from '@/lib/server/access';
import { listInvitations, listMembers } from '@/lib/server/labs';
import { changeRoleAction, inviteAction, removeMemberAction, revokeInvitationAction } from '@/app/actions/labs';
import { updateLimitsAction } from '@/app/actions/limits';
import { LIMITS, labLimitsView } from '@/lib/server/limits';
import { ActionForm } from '@/app/_components/ActionForm';
import { InviteForm } from '@/app/_components/SecretForms';
import { formatDate } from '@/app/_components/format';
import { LabHeader } from '@/app/labs/[lab]/LabNav';
import { TableHead } from '@/app/_components/TableHead';

export const metadata: Metadata = { title: 'Members' };

function RoleSelect({ id, defaultValue }: { id: string; defaultValue?: string }) {
  return (
    <select id={id} name="role" defaultValue={defaultValue ?? 'member'}>
      <option value="viewer">viewer — can look</option>
      <option value="member">member — can upload and run</option>
      <option value="owner">owner — also manages members</option>
    </select>
  );
}

export default async function MembersPage({ params }: { params: Promise<{ lab: string }> }) {
  const { lab: slug } = await params;
  const ctx = await requireLab(slug, 'viewer', `/labs/${slug}/members`);
  if (ctx.guest) {
    return (
      <>
        <LabHeader ctx={ctx} title="Members" />
        <p className="empty">This is the public demo lab: you are reading it as a visitor, and its members are not listed.</p>
      </>
    );
  }
  const isOwner = ctx.role === 'owner';
  const [members, invitations, limits] = await Promise.all([
    listMembers(ctx.lab.id),
    isOwner ? listInvitations(ctx.lab.id) : Promise.resolve([]),
    labLimitsView(ctx.lab.id),
  ]);

  return (
    <>
      <LabHeader ctx={ctx} title="Members" />
      <table>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Email</th>
            <th scope="col">Role</th>
            {isOwner ? <th scope="col">Manage</th> : null}
          </tr>
        </thead>
        <tbody>
          {members.map((m) => (
            <tr key={m.id}>
              <td>
                {m.user.name}
                {m.user.id === ctx.user.id ? <span className="small muted"> (you)</span> : null}
              </td>
              <td>{m.user.email}</td>
              <td>{m.role}</td>
              {isOwner ? (
                <td>
                  <div className="row">
                    <ActionForm action={changeRoleAction} submitLabel="Change role" buttonClass="secondary" className="row">
                      <input type="hidden" name="lab" value={slug} />
                      <input type="hidden" name="membershipId" value={m.id} />
                      <label className="small" htmlFor={`role-${m.id}`}>
                        <span className="sr-only">Role of {m.user.name}</span>
                      </label>
                      <RoleSelect id={`role-${m.id}`} defaultValue={m.role} />
                    </ActionForm>
                    {m.user.id === ctx.user.id ? (
                      <span className="small muted">to leave, make someone else owner first and ask them to remove you</span>
                    ) : (
                      <ActionForm action={removeMemberAction} submitLabel="Remove" buttonClass="danger" confirm={`Remove ${m.user.email} from the lab?`}>
                        <input type="hidden" name="lab" value={slug} />
                        <input type="hidden" name="membershipId" value={m.id} />
                      </ActionForm>
                    )}
                  </div>
                </td>
              ) : null}
            </tr>
          ))}
        </tbody>
      </table>

      {isOwner ? (
        <>
          <h2>Invite someone</h2>
          <InviteForm action={inviteAction} lab={slug}>
            <div className="field">
              <label htmlFor="invite-email">Email</label>
              <input id="invite-email" name="email" type="email" required />
            </div>
            <div className="field">
              <label htmlFor="invite-role">Role</label>
              <RoleSelect id="invite-role" />
            </div>
          </InviteForm>

          <h2>Open invitations</h2>
          {invitations.length === 0 ? (
            <p className="empty">No open invitations.</p>
          ) : (
            <table>
              <TableHead columns={['Email', 'Role', 'Expires', 'Revoke']} />
              <tbody>
                {invitations.map((i) => (
                  <tr key={i.id}>
                    <td>{i.email}</td>
                    <td>{i.role}</td>
                    <td className="small">{formatDate(i.expiresAt)}</td>
                    <td>
                      <ActionForm action={revokeInvitationAction} submitLabel="Revoke" buttonClass="danger" hidden={{ lab: slug, invitationId: i.id }} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </>
      ) : (
        <p className="small muted">Only owners can invite people and change roles.</p>
      )}

      <h2 id="limits">Limits</h2>
      <p className="small muted">
        What this lab may use of the shared workers and storage. Empty means the server&apos;s default; analyses past a limit are refused when
        queued, with the limit named.{isOwner ? '' : ' Only owners can change them.'}
      </p>
      <LimitsTable view={limits} />
      {isOwner ? (
        <ActionForm action={updateLimitsAction} submitLabel="Save limits" successMessage="Limits saved." className="limits-form">
          <input type="hidden" name="lab" value={slug} />
          {LIMITS.map((l) => (
            <div className="field" key={l.name}>
              <label htmlFor={`limit-${l.name}`}>
                {l.label} <span className="small muted">({l.unit}; default {limits.defaults[l.name].toLocaleString('en-US')})</span>
              </label>
              <input
                id={`limit-${l.name}`}
                name={l.name}
                type="number"
                inputMode={l.integer ? 'numeric' : 'decimal'}
                min={l.integer ? 1 : 0.01}
                step={l.integer ? 1 : 'any'}
                max={l.max}
                placeholder={`default: ${limits.defaults[l.name]}`}
                defaultValue={limits.overrides[l.name] ?? ''}
              />
            </div>
          ))}
        </ActionForm>
      ) : null}
    </>
  );
}

function LimitsTable({ view }: { view: Awaited<ReturnType<typeof labLimitsView>> }) {
  const used: Record<string, string> = {
    maxRunningTasks: `${view.usage.runningWorkers} running`,
    maxQueuedAnalyses: `${view.usage.queuedAnalyses} queued or running`,
    maxCpuHoursPerAnalysis: 'estimated on the new-analysis form',
    storageQuotaMb: `${view.usage.storageMb.toLocaleString('en-US')} MB used`,
  };
  return (
    <table className="limits">
      <TableHead columns={['Limit', 'Value', 'Now']} />
      <tbody>
        {LIMITS.map((l) => (
          <tr key={l.name}>
            <td>{l.label}</td>
            <td>
              {view.limits[l.name].toLocaleString('en-US')} {l.unit}
              {view.overrides[l.name] === null ? <span className="small muted"> (default)</span> : null}
            </td>
            <td className="small">{used[l.name]}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

import type { Metadata } from 'next';
import { requireLab } from '../../../../lib/server/access';
import { listInvitations, listMembers } from '../../../../lib/server/labs';
import { changeRoleAction, inviteAction, removeMemberAction, revokeInvitationAction } from '../../../actions/labs';
import { ActionForm } from '../../../_components/ActionForm';
import { InviteForm } from '../../../_components/SecretForms';
import { formatDate } from '../../../_components/format';
import { LabHeader } from '../LabNav';

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
  const isOwner = ctx.role === 'owner';
  const [members, invitations] = await Promise.all([listMembers(ctx.lab.id), isOwner ? listInvitations(ctx.lab.id) : Promise.resolve([])]);

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
                    <ActionForm action={removeMemberAction} submitLabel="Remove" buttonClass="danger" confirm={`Remove ${m.user.email} from the lab?`}>
                      <input type="hidden" name="lab" value={slug} />
                      <input type="hidden" name="membershipId" value={m.id} />
                    </ActionForm>
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
              <thead>
                <tr>
                  <th scope="col">Email</th>
                  <th scope="col">Role</th>
                  <th scope="col">Expires</th>
                  <th scope="col">Revoke</th>
                </tr>
              </thead>
              <tbody>
                {invitations.map((i) => (
                  <tr key={i.id}>
                    <td>{i.email}</td>
                    <td>{i.role}</td>
                    <td className="small">{formatDate(i.expiresAt)}</td>
                    <td>
                      <ActionForm action={revokeInvitationAction} submitLabel="Revoke" buttonClass="danger">
                        <input type="hidden" name="lab" value={slug} />
                        <input type="hidden" name="invitationId" value={i.id} />
                      </ActionForm>
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
    </>
  );
}

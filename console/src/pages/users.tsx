// Console users of the org (admins): create, change role, disable or enable, reset a password, delete.
import { useRef, useState } from 'preact/hooks';
import { api, type Me } from '../api.ts';
import { Badge, ConfirmButton, Empty, Notice, Pager, Time, useCursors } from '../components.tsx';
import { usePolling } from './live.ts';

interface User {
  id: string;
  email: string;
  role: 'viewer' | 'operator' | 'admin';
  disabled: boolean;
  created_at: string;
}

const ROLES = ['viewer', 'operator', 'admin'] as const;

function ResetPassword(props: { user: User; onDone: (message: string) => void; onError: (e: string) => void }) {
  const dialog = useRef<HTMLDialogElement>(null);
  const submit = async (event: Event) => {
    event.preventDefault();
    const form = new FormData(event.target as HTMLFormElement);
    try {
      await api('PATCH', `/v1/admin/users/${props.user.id}`, { password: String(form.get('password')) });
      dialog.current?.close();
      props.onDone(`password of ${props.user.email} reset; their open sessions ended`);
    } catch (failure) {
      props.onError((failure as Error).message);
    }
  };
  return (
    <>
      <button type="button" onClick={() => dialog.current?.showModal()}>
        Reset password
      </button>
      <dialog ref={dialog} aria-label={`New password for ${props.user.email}`}>
        <form onSubmit={submit}>
          <label>
            New password for {props.user.email}
            <input name="password" type="password" autocomplete="new-password" minLength={10} required />
          </label>
          <div class="actions">
            <button type="button" onClick={() => dialog.current?.close()}>
              Cancel
            </button>
            <button type="submit">Set password</button>
          </div>
        </form>
      </dialog>
    </>
  );
}

export function UsersPage(props: { me: Me }) {
  const pager = useCursors([]);
  const query = new URLSearchParams({ limit: '50' });
  if (pager.current) query.set('cursor', pager.current);
  const users = usePolling(
    () => api<{ items: User[]; next_cursor: string | null }>('GET', `/v1/admin/users?${query}`),
    10_000,
    [query.toString()],
  );
  const [error, setError] = useState('');
  const [message, setMessage] = useState('');
  const change = async (user: User, body: object, done: string) => {
    setError('');
    try {
      await api('PATCH', `/v1/admin/users/${user.id}`, body);
      setMessage(done);
      users.reload();
    } catch (failure) {
      setError((failure as Error).message);
    }
  };
  const remove = async (user: User) => {
    try {
      await api('DELETE', `/v1/admin/users/${user.id}`);
      setMessage(`${user.email} deleted`);
      users.reload();
    } catch (failure) {
      setError((failure as Error).message);
    }
  };
  const create = async (event: Event) => {
    event.preventDefault();
    const formElement = event.target as HTMLFormElement;
    const form = new FormData(formElement);
    setError('');
    try {
      const user = await api<User>('POST', '/v1/admin/users', {
        email: String(form.get('email')),
        role: String(form.get('role')),
        password: String(form.get('password')),
      });
      setMessage(`${user.email} can now log in as ${user.role}`);
      formElement.reset();
      users.reload();
    } catch (failure) {
      setError((failure as Error).message);
    }
  };
  const items = users.data?.items ?? [];
  return (
    <section>
      <h1>Users</h1>
      <Notice error={users.error || error}>{message}</Notice>
      {users.data && items.length === 0 && <Empty>No console users yet.</Empty>}
      {items.length > 0 && (
        <table>
          <thead>
            <tr>
              <th>Email</th>
              <th>Role</th>
              <th>Status</th>
              <th>Created</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {items.map((user) => (
              <tr key={user.id} data-user={user.email}>
                <td>
                  {user.email}
                  {user.email === props.me.email ? ' (you)' : ''}
                </td>
                <td>
                  <select
                    aria-label={`Role of ${user.email}`}
                    value={user.role}
                    onChange={(e) =>
                      change(
                        user,
                        { role: (e.target as HTMLSelectElement).value },
                        `${user.email} is now ${(e.target as HTMLSelectElement).value}`,
                      )
                    }
                  >
                    {ROLES.map((role) => (
                      <option key={role}>{role}</option>
                    ))}
                  </select>
                </td>
                <td>
                  <Badge value={user.disabled ? 'disabled' : 'active'} />
                </td>
                <td>
                  <Time iso={user.created_at} />
                </td>
                <td class="row-actions">
                  <button
                    type="button"
                    onClick={() =>
                      change(
                        user,
                        { disabled: !user.disabled },
                        `${user.email} ${user.disabled ? 'enabled' : 'disabled'}`,
                      )
                    }
                  >
                    {user.disabled ? 'Enable' : 'Disable'}
                  </button>
                  <ResetPassword user={user} onDone={setMessage} onError={setError} />
                  <ConfirmButton
                    label="Delete"
                    question={`Delete ${user.email}? Their audit records stay.`}
                    confirm="Delete user"
                    danger
                    onConfirm={() => remove(user)}
                  />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Pager pager={pager} next={users.data?.next_cursor} />
      <form class="panel" onSubmit={create} aria-label="Create a user">
        <h2>Create a user</h2>
        <label>
          Email
          <input name="email" type="email" required />
        </label>
        <label>
          Role
          <select name="role">
            {ROLES.map((role) => (
              <option key={role}>{role}</option>
            ))}
          </select>
        </label>
        <label>
          Initial password (at least 10 characters)
          <input name="password" type="password" autocomplete="new-password" minLength={10} required />
        </label>
        <button type="submit">Create user</button>
      </form>
    </section>
  );
}

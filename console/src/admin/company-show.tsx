import { Box, Button, MenuItem, Stack, Table, TableBody, TableCell, TableHead, TableRow, TextField, Typography } from '@mui/material';
import { useEffect, useState } from 'react';
import { BooleanField, DateField, FunctionField, Show, SimpleShowLayout, TextField as RaTextField, useNotify, usePermissions, useRecordContext } from 'react-admin';
import { api } from '../common/api';

interface Grant { id: string; userId: string; reason: string; grantedAt: string; expiresAt: string | null; active: boolean }
interface User { id: string; name: string; email: string }

/**
 * Who else may see this customer's people (policy 6.2.8): each grant with its reason and end,
 * given and revoked by the customer's account managers or an admin.
 */
function AccessGrants() {
  const company = useRecordContext<{ id: string; isCustomer: boolean }>();
  const { permissions } = usePermissions<string[]>();
  const notify = useNotify();
  const [grants, setGrants] = useState<Grant[]>([]);
  const [users, setUsers] = useState<User[]>([]);
  const [grant, setGrant] = useState({ userId: '', reason: '', expiresAt: '' });
  const fail = (err: unknown) => notify((err as Error).message, { type: 'error' });
  const load = () => company && api<Grant[]>(`/api/companies/${company.id}/access-grants`).then(setGrants, fail);
  useEffect(() => {
    void load();
    // Only admins may list users; others give the user's id.
    if (permissions?.includes('admin')) api<{ items: User[] }>('/api/users?limit=200').then((p) => setUsers(p.items), fail);
  }, [company?.id, permissions]); // eslint-disable-line react-hooks/exhaustive-deps
  if (!company?.isCustomer) return null;
  const name = (id: string) => users.find((u) => u.id === id)?.name ?? id;
  const give = async () => {
    try {
      await api(`/api/companies/${company.id}/access-grants`, { method: 'POST', body: { userId: grant.userId, reason: grant.reason, ...(grant.expiresAt ? { expiresAt: new Date(grant.expiresAt).toISOString() } : {}) } });
      setGrant({ userId: '', reason: '', expiresAt: '' });
      notify('Access granted', { type: 'success' });
      await load();
    } catch (err) {
      fail(err);
    }
  };
  const revoke = (id: string) => api(`/api/companies/${company.id}/access-grants/${id}`, { method: 'DELETE' }).then(load, fail);
  return (
    <Box>
      <Typography variant="subtitle1" component="h2">Access grants</Typography>
      <Table size="small" aria-label="Access grants">
        <TableHead><TableRow><TableCell>Who</TableCell><TableCell>Why</TableCell><TableCell>Until</TableCell><TableCell>In force</TableCell><TableCell /></TableRow></TableHead>
        <TableBody>
          {grants.map((g) => (
            <TableRow key={g.id}>
              <TableCell>{name(g.userId)}</TableCell><TableCell>{g.reason}</TableCell><TableCell>{g.expiresAt ? new Date(g.expiresAt).toLocaleDateString() : 'until revoked'}</TableCell>
              <TableCell>{g.active ? 'yes' : 'no'}</TableCell>
              <TableCell>{g.active && <Button size="small" onClick={() => revoke(g.id)}>Revoke</Button>}</TableCell>
            </TableRow>
          ))}
          {!grants.length && <TableRow><TableCell colSpan={5}>Only the account managers (and admins) see this customer’s people.</TableCell></TableRow>}
        </TableBody>
      </Table>
      <Stack direction="row" spacing={1} sx={{ mt: 1 }}>
        {users.length ? (
          <TextField select size="small" label="Employee" value={grant.userId} onChange={(e) => setGrant({ ...grant, userId: e.target.value })} sx={{ minWidth: 220 }}>
            {users.map((u) => <MenuItem key={u.id} value={u.id}>{u.name}</MenuItem>)}
          </TextField>
        ) : (
          <TextField size="small" label="Employee (user id)" value={grant.userId} onChange={(e) => setGrant({ ...grant, userId: e.target.value })} sx={{ minWidth: 300 }} />
        )}
        <TextField size="small" label="Why they need it" value={grant.reason} onChange={(e) => setGrant({ ...grant, reason: e.target.value })} />
        <TextField size="small" type="date" label="Until" value={grant.expiresAt} onChange={(e) => setGrant({ ...grant, expiresAt: e.target.value })} slotProps={{ inputLabel: { shrink: true } }} />
        <Button variant="outlined" disabled={!grant.userId || grant.reason.trim().length < 3} onClick={give}>Grant access</Button>
      </Stack>
    </Box>
  );
}

export function CompanyShow() {
  const { permissions } = usePermissions<string[]>();
  const manages = permissions?.some((r) => r === 'account_manager' || r === 'admin');
  return (
    <Show>
      <SimpleShowLayout>
        <RaTextField source="name" />
        <RaTextField source="domain" emptyText="—" />
        <BooleanField source="isCustomer" label="Active customer" />
        <DateField source="lastServiceDeliveryAt" label="Last service delivered" emptyText="—" />
        <FunctionField label="Account managers" render={(c: { accountManagers?: { name: string }[] }) => c.accountManagers?.map((m) => m.name).join(', ') || '—'} />
        {manages && <FunctionField label="" render={() => <AccessGrants />} />}
      </SimpleShowLayout>
    </Show>
  );
}

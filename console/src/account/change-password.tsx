import { Card, CardContent, CardHeader } from '@mui/material';
import { Form, PasswordInput, SaveButton, Title, required, useNotify } from 'react-admin';
import { api, setAccess } from '../common/api';

/** One's own password: every other sign-in of the user ends; this browser keeps a fresh session. */
export function ChangePassword() {
  const notify = useNotify();
  const submit = async (values: Record<string, string>) => {
    try {
      setAccess(await api('/api/auth/password', { method: 'POST', body: { currentPassword: values.currentPassword, newPassword: values.newPassword } }));
      notify('Password changed; your other sign-ins have ended.', { type: 'success' });
    } catch (err) {
      const body = (err as { body?: { errors?: Record<string, unknown> } }).body;
      notify((err as Error).message, { type: 'error' });
      return body?.errors; // shown beside the fields
    }
  };
  return (
    <Card sx={{ maxWidth: 480, mt: 2 }}>
      <Title title="Your password" />
      <CardHeader title="Change your password" />
      <CardContent>
        <Form onSubmit={submit}>
          <PasswordInput source="currentPassword" label="Current password" validate={required()} fullWidth autoComplete="current-password" />
          <PasswordInput source="newPassword" label="New password (at least 12 characters)" validate={required()} fullWidth autoComplete="new-password" />
          <SaveButton label="Change password" alwaysEnable />
        </Form>
      </CardContent>
    </Card>
  );
}

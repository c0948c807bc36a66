import { expect, test } from '@playwright/test';
import { expectAccessible, signIn, signOut } from './console';
import { ACCESS_TOKEN_SECONDS, seed } from './service';

test('sales: signs in, finds a lead by name, reads the request, adds a note, logs a chat, moves the status, hands it to a colleague, signs out', async ({ page }) => {
  const { users, leads } = seed();
  const lead = leads[0];
  await page.goto('/console/');
  await expectAccessible(page, 'sign-in');
  await signIn(page, users.sales.email);
  // The menu is the role's: leads, nothing else.
  await expect(page.getByRole('menuitem', { name: 'Leads' })).toBeVisible();
  const rows = page.locator('tbody tr');
  await expect(rows.filter({ hasText: lead.name })).toContainText(lead.request);
  await expect(rows.filter({ hasText: lead.name })).toContainText('Sales user');
  await expectAccessible(page, 'leads');

  await page.getByLabel('Name, e-mail, company').fill('Lovelace');
  await expect(rows).toHaveCount(1);
  await rows.first().click();
  await expect(page.getByText(lead.email).first()).toBeVisible();
  await expectAccessible(page, 'lead record');

  await page.getByLabel('Note').fill('Called back; wants a proposal by Friday.');
  await page.getByRole('button', { name: 'Add note' }).click();
  await expect(page.getByText('Note added')).toBeVisible();
  await page.getByLabel('New status').click();
  await page.getByRole('option', { name: 'contacted' }).click();
  await page.getByRole('button', { name: 'Change status' }).click();
  await expect(page.getByText('Status changed')).toBeVisible();
  await page.getByRole('combobox', { name: 'New owner' }).click();
  await page.getByRole('option', { name: 'Account manager user' }).click();
  await page.getByRole('button', { name: 'Change owner' }).click();
  await expect(page.getByText('Owner changed')).toBeVisible();
  await expect(page.getByText('Account manager user').first()).toBeVisible();
  await page.getByRole('textbox', { name: 'Messenger (e.g. whatsapp)' }).fill('whatsapp');
  await page.getByRole('textbox', { name: 'Their handle there' }).fill('+4741234567');
  await page.getByRole('textbox', { name: 'Transcript' }).fill('Ada: can we meet on Monday?');
  await page.getByRole('button', { name: 'Log chat' }).click();
  await expect(page.getByText('Chat logged')).toBeVisible();
  await page.getByRole('tab', { name: 'Timeline' }).click();
  await expect(page.getByText('Called back; wants a proposal by Friday.')).toBeVisible();
  await expect(page.getByRole('cell', { name: 'chat', exact: true })).toBeVisible();
  await expectAccessible(page, 'lead timeline');
  await signOut(page);
});

test('sales never sees a customer’s person: not in the list, not by search, not by its address', async ({ page }) => {
  const { users, customer, leads } = seed();
  await signIn(page, users.sales.email);
  await expect(page.locator('tbody tr').filter({ hasText: leads[0].name })).toBeVisible();
  await expect(page.getByText(customer.name)).toHaveCount(0);
  await page.getByLabel('Name, e-mail, company').fill('Carla');
  await expect(page.getByText('No Leads found')).toBeVisible();
  await page.goto(`/console/#/persons/${customer.id}/show`);
  await expect(page.getByText('There is no such record, or it is not one you may see.')).toBeVisible();
  await expect(page.getByText(customer.email)).toHaveCount(0);
  await expect(page.getByText(customer.name)).toHaveCount(0);
});

test('account manager: sees their customer, opens the record, signs out', async ({ page }) => {
  const { users, customer } = seed();
  await signIn(page, users.account_manager.email);
  await page.locator('tbody tr').filter({ hasText: customer.name }).click();
  await expect(page.getByText(customer.email).first()).toBeVisible();
  await expect(page.getByText('customer', { exact: true }).first()).toBeVisible();
  await signOut(page);
});

test('a session survives past the access token’s lifetime: the console renews it from the session cookie', async ({ page, request }) => {
  const { users, leads } = seed();
  let token = '';
  page.on('request', (r) => {
    const auth = r.headers().authorization;
    if (auth && !token) token = auth;
  });
  await signIn(page, users.sales.email);
  await expect(page.locator('tbody tr').filter({ hasText: leads[1].email })).toBeVisible();
  expect(token).not.toBe('');
  // Wait (polling, with a deadline) until the first token is refused by the service.
  await expect.poll(async () => (await request.get('/api/auth/me', { headers: { authorization: token } })).status(), { timeout: (ACCESS_TOKEN_SECONDS + 20) * 1000 }).toBe(401);
  await page.locator('tbody tr').filter({ hasText: leads[1].email }).click();
  await expect(page.getByRole('tab', { name: 'Captures' })).toBeVisible();
  await expect(page.getByText(leads[1].email).first()).toBeVisible();
  await expect(page.getByRole('button', { name: 'Sign in' })).toHaveCount(0);
});

test('a rotated refresh token used again is refused, and ends the sign-in it belonged to', async ({ page, context, request }) => {
  const { users, leads } = seed();
  await signIn(page, users.sales.email);
  const first = (await context.cookies()).find((c) => c.name === 'crm_session');
  expect(first?.httpOnly).toBe(true);
  expect(first?.sameSite).toBe('Strict');
  // A reload keeps no token in memory: the console renews it, and the cookie rotates.
  await page.reload();
  await expect(page.locator('tbody tr').filter({ hasText: leads[0].name })).toBeVisible();
  const second = (await context.cookies()).find((c) => c.name === 'crm_session');
  expect(second?.value).not.toBe(first?.value);
  // The old cookie, replayed (as a thief would): refused, and the whole sign-in ends.
  const replay = await request.post('/api/auth/session/refresh', { headers: { cookie: `crm_session=${first!.value}` } });
  expect(replay.status()).toBe(401);
  await page.reload();
  await expect(page.getByRole('button', { name: 'Sign in' })).toBeVisible();
});

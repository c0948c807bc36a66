import { expect, test, type Page } from '@playwright/test';
import { expectAccessible, signIn, signOut } from './console';
import { PASSWORD, seed } from './service';

/** The menu's entries, in order: what the role may work on, nothing else. */
const menu = async (page: Page) => (await page.locator('.RaMenu-open [role="menuitem"], .RaMenu-closed [role="menuitem"]').allInnerTexts()).map((t) => t.trim());

test('admin: creates a user in the console; the new user signs in, changes their password, and signs in with it', async ({ page }) => {
  const { users } = seed();
  await signIn(page, users.admin.email);
  expect(await menu(page)).toEqual(['Leads', 'Quarantine', 'Events', 'Customers', 'Users', 'Audit log']);
  await page.getByRole('menuitem', { name: 'Users' }).click();
  await expect(page.locator('tbody tr').filter({ hasText: users.sales.email })).toBeVisible();
  await expectAccessible(page, 'users');
  await page.getByRole('link', { name: 'Create' }).click();
  const email = `new.staff.${Date.now()}@firm.test`;
  await page.getByRole('textbox', { name: 'Email' }).fill(email);
  await page.getByRole('textbox', { name: 'Name' }).fill('New Staff');
  await page.getByRole('checkbox', { name: 'event staff' }).check();
  await page.getByRole('textbox', { name: /First password/ }).fill(PASSWORD);
  await expectAccessible(page, 'new user');
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.locator('tbody tr').filter({ hasText: email })).toContainText('event_staff');
  await page.getByRole('menuitem', { name: 'Audit log' }).click();
  await expect(page.locator('tbody tr').filter({ hasText: 'user.created' }).first()).toBeVisible();
  await expectAccessible(page, 'audit log');
  await signOut(page);

  await signIn(page, email);
  expect(await menu(page)).toEqual(['Events']);
  await page.getByRole('button', { name: /account menu/ }).click();
  await page.getByRole('menuitem', { name: 'Change password' }).click();
  await expectAccessible(page, 'change password');
  await page.getByRole('textbox', { name: 'Current password' }).fill(PASSWORD);
  await page.getByRole('textbox', { name: /New password/ }).fill('a-brand-new-passphrase-2');
  await page.getByRole('button', { name: 'Change password' }).click();
  await expect(page.getByText('Password changed; your other sign-ins have ended.')).toBeVisible();
  await signOut(page);
  await page.getByRole('textbox', { name: 'E-mail' }).fill(email);
  await page.getByRole('textbox', { name: 'Password' }).fill('a-brand-new-passphrase-2');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('button', { name: /account menu/ })).toBeVisible();
});

test('event staff: sees only events, creates one, opens it, signs out', async ({ page }) => {
  const { users } = seed();
  await signIn(page, users.event_staff.email);
  expect(await menu(page)).toEqual(['Events']);
  await page.getByRole('link', { name: 'Create' }).click();
  await page.getByRole('textbox', { name: 'Name' }).fill('Oslo Cloud Summit');
  await page.getByLabel('Date').fill('2026-12-10');
  await page.getByRole('textbox', { name: 'Place' }).fill('Oslo Spektrum');
  await page.getByRole('textbox', { name: 'Organiser', exact: true }).fill('Cloud Norway');
  await page.getByRole('textbox', { name: 'Organiser’s contact' }).fill('events@cloud.example');
  await expectAccessible(page, 'new event');
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByText('Oslo Spektrum')).toBeVisible();
  await expectAccessible(page, 'event');
  await page.getByRole('menuitem', { name: 'Events' }).click();
  await expect(page.locator('tbody tr').filter({ hasText: 'Oslo Cloud Summit' })).toBeVisible();
  await expectAccessible(page, 'events');
  await signOut(page);
});

test('privacy officer: opens a request, finds the person by an address, sees the request due; no leads in the menu', async ({ page }) => {
  const { users, leads } = seed();
  await signIn(page, users.dpo.email);
  expect(await menu(page)).toEqual(['Privacy requests', 'Audit log', 'Find a person']);
  await page.getByRole('link', { name: 'Create' }).click();
  await page.getByRole('combobox', { name: 'Type' }).click();
  await page.getByRole('option', { name: 'access' }).click();
  await page.getByRole('textbox', { name: 'E-mail or phone the person gave' }).fill(leads[2].email);
  await expectAccessible(page, 'new privacy request');
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByText('identity_pending').or(page.getByText('received'))).toBeVisible();
  await expectAccessible(page, 'privacy request');
  await page.getByRole('menuitem', { name: 'Privacy requests' }).click();
  await expect(page.locator('tbody tr').filter({ hasText: 'access' }).first()).toBeVisible();
  await expectAccessible(page, 'privacy requests');
  await page.getByRole('menuitem', { name: 'Find a person' }).click();
  await page.getByRole('textbox', { name: 'E-mail or phone' }).fill(leads[2].email);
  await page.getByRole('button', { name: 'Find' }).click();
  await expect(page.getByRole('cell', { name: leads[2].name })).toBeVisible();
  await expectAccessible(page, 'find a person');
  await signOut(page);
});

test('account manager: customers and leads in the menu; their customer company is listed', async ({ page }) => {
  const { users } = seed();
  await signIn(page, users.account_manager.email);
  expect(await menu(page)).toEqual(['Leads', 'Customers']);
  await page.getByRole('menuitem', { name: 'Customers' }).click();
  await expect(page.locator('tbody tr').filter({ hasText: 'Customer Company AS' })).toBeVisible();
  await expectAccessible(page, 'customers');
  await signOut(page);
});

test('sales: reviews the quarantine: each reason shown, releases one held arrival with the keyboard, marks the other spam', async ({ page }) => {
  const { users } = seed();
  await signIn(page, users.sales.email);
  expect(await menu(page)).toEqual(['Leads', 'Quarantine', 'Events']);
  await page.getByRole('menuitem', { name: 'Quarantine' }).click();
  const one = page.locator('tbody tr').filter({ hasText: 'Held One' });
  await expect(one).toContainText('honeypot filled');
  await expectAccessible(page, 'quarantine');
  await one.getByRole('checkbox', { name: /Select the arrival from Held One/ }).check();
  await page.keyboard.press('r');
  await expect(page.getByText('1 released: processed as if it had passed')).toBeVisible();
  await expect(one).toHaveCount(0);
  await page.getByRole('checkbox', { name: /Select the arrival from Held Two/ }).check();
  await page.getByRole('button', { name: 'Spam (s)' }).click();
  await expect(page.getByText('1 marked as spam')).toBeVisible();
  await expect(page.getByText('Held Two')).toHaveCount(0);
  // The released arrival is a lead now.
  await page.getByRole('menuitem', { name: 'Leads' }).click();
  await expect(page.locator('tbody tr').filter({ hasText: 'Held One' })).toBeVisible();
  await signOut(page);
});

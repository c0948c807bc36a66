import { expect, test, type Locator, type Page } from '@playwright/test';
import { expectAccessible, signIn, signOut } from './console';
import { PASSWORD, seed } from './service';

/** The menu's entries, in order: what the role may work on, nothing else. */
const menu = async (page: Page) => (await page.locator('.RaMenu-open [role="menuitem"], .RaMenu-closed [role="menuitem"]').allInnerTexts()).map((t) => t.trim());

test('admin: creates a user in the console; the new user signs in, changes their password, and signs in with it', async ({ page }) => {
  const { users } = seed();
  await signIn(page, users.admin.email);
  expect(await menu(page)).toEqual(['Leads', 'Quarantine', 'Events', 'Customers', 'Users', 'API keys', 'Web forms', 'Screening rules', 'Block list', 'Audit log', 'Retention', 'Screening dry run', 'HubSpot sync']);
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

test('event staff: sees only events, creates one, imports an attendee list (dry run, mapping, rejected lines, progress), downloads the organiser’s list, signs out', async ({ page }) => {
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

  // The attendee list: a dry run first, line by line.
  const csv = ['First name,Last name,Email,Ticket type,T-shirt size', 'Nora,Nilsen,nora@attendee.example,Standard,M', 'Odd,Olsen,odd@attendee.example,VIP,L', 'Pia,Pettersen,not-an-address,Standard,S', 'Rolf,Rud,,Standard,XL'].join('\n');
  await page.getByLabel('Attendee list (CSV or XLSX)').setInputFiles({ name: 'attendees.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
  await expect(page.getByRole('status').filter({ hasText: 'Dry run: nothing is imported yet.' })).toBeVisible();
  const would = page.getByRole('table', { name: 'What the import would do' });
  await expect(would.getByRole('row', { name: 'lines read 4' })).toBeVisible();
  await expect(would.getByRole('row', { name: 'new persons 2' })).toBeVisible();
  await expect(would.getByRole('row', { name: 'rejected lines 2' })).toBeVisible();
  await expect(page.getByRole('table', { name: 'Rejected lines' }).getByRole('row')).toHaveCount(3);
  await expectAccessible(page, 'attendee import, dry run');
  // The column the import does not know: kept as received, then read again.
  await page.getByRole('combobox', { name: 'T-shirt size' }).click();
  await page.getByRole('option', { name: 'keep', exact: true }).click();
  await page.getByRole('button', { name: 'Read again with this mapping' }).click();
  await expect(page.getByRole('combobox', { name: 'T-shirt size' })).toHaveCount(0);
  const downloaded = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Download the rejected lines' }).click();
  expect((await downloaded).suggestedFilename()).toMatch(/\.csv$/);
  // The import, in the background, to its end.
  await page.getByRole('button', { name: 'Import 4 lines' }).click();
  // A job picks the import up (pg-boss polls every few seconds) and runs it: longer than one screen's wait.
  await expect(page.getByRole('status').filter({ hasText: 'Imported.' })).toBeVisible({ timeout: 60_000 });
  await expect(page.getByRole('table', { name: 'What the import did' }).getByRole('row', { name: 'registrations 2' })).toBeVisible();
  // The organiser's list: what it discloses is said first.
  await page.getByRole('button', { name: 'Attendee list for the organiser…' }).click();
  await expect(page.getByText('This list discloses every registered attendee’s name and contact details to Cloud Norway.')).toBeVisible();
  const list = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Download', exact: true }).click();
  expect((await list).suggestedFilename()).toMatch(/\.csv$/);
  await page.getByRole('menuitem', { name: 'Events' }).click();
  await expect(page.locator('tbody tr').filter({ hasText: 'Oslo Cloud Summit' })).toBeVisible();
  await expectAccessible(page, 'events');
  await signOut(page);
});

test('privacy officer: opens an access request, records the identity check, sends the encrypted copy, completes it; finds a person by an address; previews retention; no leads in the menu', async ({ page }) => {
  const { users, leads } = seed();
  await signIn(page, users.dpo.email);
  expect(await menu(page)).toEqual(['Privacy requests', 'Audit log', 'Find a person', 'Retention']);
  await page.getByRole('link', { name: 'Create' }).click();
  await page.getByRole('combobox', { name: 'Type' }).click();
  await page.getByRole('option', { name: 'access' }).click();
  await page.getByRole('textbox', { name: 'E-mail or phone the person gave' }).fill(leads[2].email);
  await expectAccessible(page, 'new privacy request');
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByText('identity_pending').or(page.getByText('received'))).toBeVisible();
  await expectAccessible(page, 'privacy request');
  // Identity checked (two documents, by type), then the access copy, then the request carried out.
  await page.getByRole('textbox', { name: 'How identity was checked' }).fill('Video call, ID shown');
  await page.getByRole('combobox', { name: 'Document 1' }).click();
  await page.getByRole('option', { name: 'passport' }).click();
  await page.getByRole('combobox', { name: 'Document 2' }).click();
  await page.getByRole('option', { name: 'bank id' }).click();
  await page.getByRole('button', { name: 'Record the check' }).click();
  await expect(page.getByText('Identity recorded')).toBeVisible();
  const copy = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Access copy (PDF, encrypted)' }).click();
  expect((await copy).suggestedFilename()).toMatch(/\.pdf$/);
  await expect(page.getByText('The PDF’s password, shown this once')).toBeVisible();
  await page.getByRole('button', { name: 'Carry out the access' }).click();
  await expect(page.getByText('Done: the request is completed')).toBeVisible();
  await expect(page.getByText('completed', { exact: true }).first()).toBeVisible();
  await expect(page.getByRole('heading', { name: 'Outcome' })).toBeVisible();
  await expectAccessible(page, 'completed privacy request');
  await page.getByRole('menuitem', { name: 'Retention' }).click();
  await page.getByRole('button', { name: 'Preview' }).click();
  await expect(page.getByRole('table', { name: 'Sweep preview' })).toBeVisible();
  await expectAccessible(page, 'retention');
  await page.getByRole('menuitem', { name: 'Privacy requests' }).click();
  await page.getByRole('combobox', { name: 'State' }).click();
  await page.getByRole('option', { name: 'closed' }).click();
  await expect(page.locator('tbody tr').filter({ hasText: 'completed' }).first()).toBeVisible();
  await expectAccessible(page, 'privacy requests');
  await page.getByRole('menuitem', { name: 'Find a person' }).click();
  await page.getByRole('textbox', { name: 'E-mail or phone' }).fill(leads[2].email);
  await page.getByRole('button', { name: 'Find' }).click();
  await expect(page.getByRole('cell', { name: leads[2].name })).toBeVisible();
  await expectAccessible(page, 'find a person');
  await signOut(page);
});

test('account manager: enters a lead by hand, converts it to a customer, grants a colleague access with a reason, revokes it', async ({ page }) => {
  const { users } = seed();
  await signIn(page, users.account_manager.email);
  expect(await menu(page)).toEqual(['Leads', 'Customers']);
  await page.getByRole('link', { name: 'New lead' }).click();
  await page.getByRole('textbox', { name: 'First name' }).fill('Hedy');
  await page.getByRole('textbox', { name: 'Last name' }).fill('Lamarr');
  await page.getByRole('textbox', { name: 'Email' }).fill('hedy@spread-spectrum.example');
  await page.getByRole('textbox', { name: 'Company' }).fill('Spread Spectrum AS');
  await expectAccessible(page, 'new lead');
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByText('hedy@spread-spectrum.example').first()).toBeVisible();
  await page.getByRole('button', { name: 'Convert to customer' }).click();
  await expect(page.getByText('Converted to a customer')).toBeVisible();
  await expect(page.getByText('customer', { exact: true }).first()).toBeVisible();

  await page.getByRole('menuitem', { name: 'Customers' }).click();
  await expect(page.locator('tbody tr').filter({ hasText: 'Customer Company AS' })).toBeVisible();
  await expectAccessible(page, 'customers');
  await page.locator('tbody tr').filter({ hasText: 'Spread Spectrum AS' }).click();
  await expect(page.getByText('Account manager user')).toBeVisible();
  await page.getByRole('textbox', { name: 'Employee (user id)' }).fill(users.sales.id);
  await page.getByRole('textbox', { name: 'Why they need it' }).fill('Covers the account during the holidays');
  await page.getByRole('button', { name: 'Grant access' }).click();
  const grant = page.getByRole('table', { name: 'Access grants' }).getByRole('row').filter({ hasText: 'Covers the account during the holidays' });
  await expect(grant).toContainText('yes');
  await expectAccessible(page, 'customer');
  await grant.getByRole('button', { name: 'Revoke' }).click();
  await expect(grant).toContainText('no');
  await signOut(page);
});

test('sales: reviews the quarantine: each reason shown, releases one held arrival with the keyboard, marks the other spam', async ({ page }) => {
  const { users } = seed();
  await signIn(page, users.sales.email);
  expect(await menu(page)).toEqual(['Leads', 'Quarantine', 'Events', 'HubSpot sync']);
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

test('sales: merges two records of one person after a side-by-side preview, choosing per field whose value stays', async ({ page }) => {
  const { users, leads } = seed();
  const grace = leads[1];
  await signIn(page, users.sales.email);
  await page.getByLabel('Name, e-mail, company').fill('Hopper');
  await expect(page.locator('tbody tr')).toHaveCount(2);
  await page.locator('tbody tr').filter({ hasText: grace.email }).click();
  await page.getByRole('tab', { name: 'Merge' }).click();
  await page.getByRole('textbox', { name: /Find the other record/ }).fill('grace.hopper@navy');
  await page.getByRole('button', { name: 'Find', exact: true }).click();
  await page.getByRole('button', { name: /Merge with Grace Hopper \(grace.hopper@navy.example\)/ }).click();
  const preview = page.getByRole('table', { name: 'Merge preview' });
  const emailRow = preview.getByRole('row', { name: /email \(differs/ });
  await expect(emailRow).toContainText(grace.email);
  await expect(preview.getByRole('row', { name: /^position/ })).toContainText('Rear Admiral');
  await expectAccessible(page, 'merge preview');
  // This record is kept; its address is not: the other's is chosen.
  await emailRow.getByRole('radio', { name: 'grace.hopper@navy.example' }).check();
  await expect(emailRow.getByRole('cell').last()).toHaveText('grace.hopper@navy.example');
  await page.getByRole('button', { name: 'Merge', exact: true }).click();
  await expect(page.getByText('Merged')).toBeVisible();
  await page.getByRole('tab', { name: 'Summary' }).click();
  await expect(page.getByText('Rear Admiral')).toBeVisible();
  await expect(page.getByText('grace.hopper@navy.example')).toBeVisible();
  await page.getByRole('menuitem', { name: 'Leads' }).click();
  await page.getByLabel('Name, e-mail, company').fill('Hopper');
  await expect(page.locator('tbody tr')).toHaveCount(1);
  await signOut(page);
});

test('admin: restricts processing of a lead with the reason, sees it marked, lifts it', async ({ page }) => {
  const { users, leads } = seed();
  await signIn(page, users.admin.email);
  await page.locator('tbody tr').filter({ hasText: leads[2].name }).click();
  await page.getByRole('textbox', { name: 'Why processing is restricted' }).fill('The person disputes the accuracy of their data');
  await page.getByRole('button', { name: 'Restrict processing' }).click();
  await expect(page.getByText(/Processing is restricted \(since/)).toBeVisible();
  await expectAccessible(page, 'restricted lead');
  await page.getByRole('textbox', { name: /Why the restriction ends/ }).fill('Accuracy verified with the person');
  await page.getByRole('button', { name: 'Lift the restriction' }).click();
  await expect(page.getByText('Restriction lifted')).toBeVisible();
  await expect(page.getByText(/Processing is restricted \(since/)).toHaveCount(0);
  await signOut(page);
});

test('admin: a relay’s API key shown once, a web form with its embed snippet, a screening rule tried in the dry run, the HubSpot state', async ({ page }) => {
  const { users } = seed();
  await signIn(page, users.admin.email);
  await page.getByRole('menuitem', { name: 'API keys' }).click();
  await page.getByRole('link', { name: 'Create' }).click();
  await page.getByRole('textbox', { name: 'Name' }).fill('Chatbot');
  await page.getByRole('combobox', { name: 'Channel' }).click();
  await page.getByRole('option', { name: 'chatbot' }).click();
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByText('The key is shown this once')).toBeVisible();
  await expect(page.locator('code')).toHaveText(/^crm_[a-f0-9]{12}_/);
  await expectAccessible(page, 'new API key');
  await page.getByRole('menuitem', { name: 'API keys' }).click();
  await expect(page.locator('tbody tr').filter({ hasText: 'Chatbot' })).toBeVisible();
  await expectAccessible(page, 'API keys');

  await page.getByRole('menuitem', { name: 'Web forms' }).click();
  await page.locator('tbody tr').filter({ hasText: 'contact-us' }).click();
  await expect(page.getByLabel('Embed snippet')).toContainText('/api/intake/forms/contact-us');
  await expect(page.getByText(/Last day: \d+ posts, 2 held for a bot trap/)).toBeVisible();
  await expectAccessible(page, 'web form');

  await page.getByRole('menuitem', { name: 'Screening rules' }).click();
  await page.getByRole('link', { name: 'Create' }).click();
  await page.getByRole('textbox', { name: 'Pattern' }).fill('guaranteed ranking');
  await page.getByRole('spinbutton', { name: 'Weight' }).fill('1.5');
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.locator('tbody tr').filter({ hasText: 'guaranteed ranking' })).toBeVisible();
  await expectAccessible(page, 'screening rules');
  await page.getByRole('menuitem', { name: 'Screening dry run' }).click();
  await page.getByRole('textbox', { name: 'Message' }).fill('We offer guaranteed ranking on Google for your site.');
  await page.getByRole('button', { name: 'Screen it' }).click();
  await expect(page.getByRole('status')).toContainText('Outcome: held');
  await expectAccessible(page, 'screening dry run');

  await page.getByRole('menuitem', { name: 'HubSpot sync' }).click();
  await expect(page.getByRole('status')).toContainText('Not configured');
  await expect(page.getByRole('table', { name: 'Sync failures' })).toContainText('No failures.');
  await expectAccessible(page, 'HubSpot sync');
  await signOut(page);
});

/** Presses Tab until the element has the focus (at most `max` times): proof it is reachable by keyboard. */
async function tabTo(page: Page, target: Locator, max = 80): Promise<void> {
  for (let i = 0; i < max; i++) {
    if (await target.evaluate((el) => el === el.ownerDocument.activeElement).catch(() => false)) return;
    await page.keyboard.press('Tab');
  }
  await expect(target).toBeFocused();
}

test('keyboard only: signs in, opens a lead from the list, adds a note, reads the timeline, signs out', async ({ page }) => {
  const { users, leads } = seed();
  await page.goto('/console/');
  await tabTo(page, page.getByRole('textbox', { name: 'E-mail' }));
  await page.keyboard.type(users.sales.email);
  await tabTo(page, page.getByRole('textbox', { name: 'Password' }));
  await page.keyboard.type(PASSWORD);
  await page.keyboard.press('Enter');
  await expect(page.getByRole('button', { name: /account menu/ })).toBeVisible();
  await tabTo(page, page.getByRole('link', { name: leads[2].name }));
  await page.keyboard.press('Enter');
  await tabTo(page, page.getByRole('textbox', { name: 'Note' }));
  await page.keyboard.type('Reached by keyboard alone.');
  await tabTo(page, page.getByRole('button', { name: 'Add note' }));
  await page.keyboard.press('Enter');
  await expect(page.getByText('Note added')).toBeVisible();
  // Tabs are one stop (the selected one); the arrow keys move between them.
  await tabTo(page, page.getByRole('tab', { name: 'Summary' }));
  for (let i = 0; i < 3; i++) await page.keyboard.press('ArrowRight');
  await expect(page.getByRole('tab', { name: 'Timeline' })).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(page.getByText('Reached by keyboard alone.')).toBeVisible();
  await tabTo(page, page.getByRole('button', { name: /account menu/ }));
  await page.keyboard.press('Enter');
  await page.getByRole('menuitem', { name: 'Logout' }).press('Enter');
  await expect(page.getByRole('button', { name: 'Sign in' })).toBeVisible();
});

test('every tab of a lead’s record, the rectify form and the block list are accessible', async ({ page }) => {
  const { users, leads } = seed();
  await signIn(page, users.admin.email);
  await page.locator('tbody tr').filter({ hasText: leads[0].email }).click();
  for (const tab of ['Captures', 'Consent', 'Timeline', 'Merge', 'Retention and sharing']) {
    await page.getByRole('tab', { name: tab }).click();
    await expectAccessible(page, `lead: ${tab}`);
  }
  await page.getByRole('tab', { name: 'Captures' }).click();
  // Earlier tests may have added captures to this lead: open the one whose payload names the address.
  const capture = page.locator('details').filter({ hasText: `"${leads[0].email}"` }).first();
  await expect(capture.locator('pre')).toBeHidden();
  await capture.locator('summary').click();
  await expect(capture.locator('pre')).toBeVisible();
  await page.getByRole('link', { name: 'Rectify' }).click();
  await expect(page.getByRole('textbox', { name: 'First name' })).toHaveValue('Ada');
  await expectAccessible(page, 'rectify');
  await page.getByRole('menuitem', { name: 'Block list' }).click();
  await expectAccessible(page, 'block list');
  await signOut(page);
});

test('sales: a lead from the mail inbox, and the file that came with it, downloaded from the capture', async ({ page }) => {
  const { users } = seed();
  await signIn(page, users.sales.email);
  await page.locator('tbody tr').filter({ hasText: 'margaret@apollo.example' }).click();
  await page.getByRole('tab', { name: 'Captures' }).click();
  const file = page.waitForEvent('download');
  await page.getByRole('button', { name: /^brief\.pdf/ }).click();
  expect((await file).suggestedFilename()).toBe('brief.pdf');
  await expectAccessible(page, 'captures with a file');
  await signOut(page);
});

test('saved filters are the user’s own: kept across sign-ins, never shown to someone else on the same browser', async ({ page }) => {
  const { users } = seed();
  await signIn(page, users.sales.email);
  await page.getByRole('button', { name: 'contacted', exact: true }).click();
  await page.getByRole('button', { name: /Save current query/ }).click();
  await page.getByRole('textbox', { name: /Query name/ }).fill('My contacted leads');
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await expect(page.getByText('My contacted leads')).toBeVisible();
  await signOut(page);
  await signIn(page, users.admin.email);
  await expect(page.locator('tbody tr').first()).toBeVisible();
  await expect(page.getByText('My contacted leads')).toHaveCount(0);
  await signOut(page);
  await signIn(page, users.sales.email);
  await expect(page.getByText('My contacted leads')).toBeVisible();
  await signOut(page);
});

import { test, type Page } from '@playwright/test';
import { join } from 'node:path';
import { signIn, signOut } from './console';
import { ROOT, seed, type StaffRole } from './service';

const shot = (page: Page, name: string) => page.screenshot({ path: join(ROOT, 'docs', 'console', `${name}.png`) });

/** Each screen as its role sees it, over the seeded demo data. */
const SCREENS: { role: StaffRole; name: string; open: (page: Page) => Promise<void> }[] = [
  { role: 'sales', name: 'leads', open: async (page) => void (await page.locator('tbody tr').first().waitFor()) },
  {
    role: 'sales',
    name: 'lead-record',
    open: async (page) => {
      await page.locator('tbody tr').filter({ hasText: seed().leads[0].name }).click();
      await page.getByRole('tab', { name: 'Captures' }).waitFor();
    },
  },
  { role: 'sales', name: 'quarantine', open: async (page) => page.getByRole('menuitem', { name: 'Quarantine' }).click() },
  { role: 'event_staff', name: 'events', open: async (page) => page.getByRole('menuitem', { name: 'Events' }).click() },
  { role: 'account_manager', name: 'customers', open: async (page) => page.getByRole('menuitem', { name: 'Customers' }).click() },
  { role: 'dpo', name: 'privacy-requests', open: async (page) => page.getByRole('menuitem', { name: 'Privacy requests' }).click() },
  { role: 'dpo', name: 'retention', open: async (page) => page.getByRole('menuitem', { name: 'Retention' }).click() },
  { role: 'admin', name: 'users', open: async (page) => page.getByRole('menuitem', { name: 'Users' }).click() },
  { role: 'admin', name: 'web-forms', open: async (page) => page.getByRole('menuitem', { name: 'Web forms' }).click() },
  { role: 'admin', name: 'audit-log', open: async (page) => page.getByRole('menuitem', { name: 'Audit log' }).click() },
];

test('screenshots of each screen', async ({ page }) => {
  await page.goto('/console/');
  await shot(page, 'sign-in');
  for (const screen of SCREENS) {
    await signIn(page, seed().users[screen.role].email);
    await screen.open(page);
    // The screen settled: no request in flight.
    await page.waitForLoadState('networkidle');
    await shot(page, screen.name);
    await signOut(page);
  }
});

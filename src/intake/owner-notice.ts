import type { UsersService } from '../auth/users.service';
import type { CaptureResult } from '../leads/leads.service';
import type { NotificationsService } from '../notifications/notifications.service';

/**
 * A new lead an assignment rule gave an owner is told to that owner (issue 16, item 15), after
 * the capture committed; the web-form path tells its own audience. Never throws: the lead is
 * stored either way.
 */
export async function tellNewOwner(users: UsersService, notifications: NotificationsService, result: CaptureResult, channel: string, request: string | null): Promise<void> {
  if (!result.personCreated || !result.person.ownerId || !notifications.sending) return;
  const owner = await users.get(result.person.ownerId).catch(() => null);
  if (!owner?.active) return;
  await notifications.newLead({
    personId: result.person.id,
    personName: [result.person.firstName, result.person.lastName].filter(Boolean).join(' '),
    company: result.person.companyName,
    formName: channel,
    request,
    ownerEmail: owner.email,
  });
}

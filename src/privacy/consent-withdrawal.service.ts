import { Inject, Injectable, NotFoundException } from '@nestjs/common';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { runAsSystem } from '../access/access-context';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import type { Actor } from '../domain/actor';
import { CONSENT_PURPOSES, type ConsentPurpose } from '../domain/purposes';
import { PersonsService } from '../leads/persons.service';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Withdrawing is as easy as giving (policy 9.8): a link per person and purpose, signed by the
 * service (HMAC, a key derived from its secret), that the firm puts in its messages. It names
 * no one in clear and cannot be forged for another person or purpose. Opening it shows a plain
 * page with one button; the withdrawal happens on that button's POST (mail scanners open links).
 */
@Injectable()
export class ConsentWithdrawalService {
  private readonly key: Buffer;

  constructor(
    private readonly persons: PersonsService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.key = createHmac('sha256', config.jwtSecret).update('consent-withdrawal-link').digest();
  }

  private sign(personId: string, purpose: string): string {
    return createHmac('sha256', this.key).update(`${personId.toLowerCase()}:${purpose}`).digest('base64url');
  }

  /** The links for a person, one per purpose. */
  async links(personId: string): Promise<Record<ConsentPurpose, string>> {
    if (!(await this.persons.exists(personId))) throw new NotFoundException('There is no such person.');
    const base = (this.config.PUBLIC_BASE_URL ?? `http://localhost:${this.config.PORT}`).replace(/\/+$/, '');
    return Object.fromEntries(
      CONSENT_PURPOSES.map((purpose) => [purpose, `${base}/api/consent-withdrawal?${new URLSearchParams({ person: personId, purpose, sig: this.sign(personId, purpose) })}`]),
    ) as Record<ConsentPurpose, string>;
  }

  /** The link's person and purpose, when its signature holds; null for anything else (the same answer whatever was wrong). */
  verify(link: { person?: unknown; purpose?: unknown; sig?: unknown }): { personId: string; purpose: ConsentPurpose } | null {
    const { person, purpose, sig } = link;
    if (typeof person !== 'string' || !UUID.test(person) || typeof purpose !== 'string' || !(CONSENT_PURPOSES as readonly string[]).includes(purpose) || typeof sig !== 'string' || sig.length > 100) return null;
    const expected = Buffer.from(this.sign(person, purpose));
    const given = Buffer.from(sig);
    return expected.length === given.length && timingSafeEqual(expected, given) ? { personId: person, purpose: purpose as ConsentPurpose } : null;
  }

  /** The person's own withdrawal, through the link (the ledger records the web as its channel). */
  async withdraw(person: Actor, link: { personId: string; purpose: ConsentPurpose }): Promise<void> {
    await runAsSystem('consent withdrawal link', async () => {
      if (await this.persons.exists(link.personId)) await this.persons.withdrawConsent(person, link.personId, link.purpose, 'web_form');
    });
  }
}

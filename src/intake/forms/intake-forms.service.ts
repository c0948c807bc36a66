import { runAsSystem } from '../../access/access-context';
import { ForbiddenException, HttpException, Inject, Injectable, NotFoundException, UnauthorizedException } from '@nestjs/common';
import { createHash, createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { AuditService } from '../../audit/audit.service';
import { UsersService } from '../../auth/users.service';
import type { Actor } from '../../domain/actor';
import { storable } from '../../common/outside-text';
import { ProblemException } from '../../common/problem-details';
import type { EntityManager } from 'typeorm';
import { definedOnly } from '../../common/validation';
import type { AppConfig } from '../../config/app-config';
import { APP_CONFIG } from '../../config/config.module';
import { LeadsService, type NewCapture } from '../../leads/leads.service';
import { NotificationsService } from '../../notifications/notifications.service';
import type { CreatedIntakeFormView, CreateIntakeFormDto, IntakeFormView, SubmissionAcceptedView, UpdateIntakeFormDto } from './dto/intake-form.dto';
import type { IntakeForm } from './entities/intake-form.entity';
import { mappingErrors, mapSubmission, type MappedSubmission, type SubmittedFields } from './form-mapping';
import { CF7_FIELD, CF7_SCRIPT_TIME, RENDER_TOKEN_FIELD, ScreeningService, type FormTraps } from '../../screening/screening.service';
import { ApiKeysService } from '../../auth/api-keys.service';
import { plainIp } from '../../domain/ip';
import type { Verdict } from '../../domain/verdict';
import { IntakeFormsRepository } from './intake-forms.repository';

const FORM_CACHE_MS = 5_000;

export interface Submission {
  contentType: string | null;
  /** The body bytes as received, for JSON and url-encoded bodies (multipart is streamed). */
  rawBody: Buffer | null;
  body: unknown;
  origin: string | null;
  signature: string | null;
  /** The sender's Idempotency-Key header: a retry with the same key gets the first post's reference. */
  idempotencyKey?: string | null;
  /** A server-side relay's API key (X-Api-Key), scoped to this form. */
  apiKey?: string | null;
  /** From an authenticated relay only: the visitor's IP (X-Visitor-IP) and seconds on the page (X-Visitor-Time-On-Page). */
  visitorIp?: string | null;
  visitorTimeOnPage?: string | null;
}

/** A post from the form's authenticated relay, with what it says of the visitor. */
interface Relay {
  visitorIp: string | null;
  timeOnPageSeconds: number | null;
}

const toView = (f: IntakeForm): IntakeFormView => ({
  id: f.id, key: f.key, name: f.name, submitPath: `/api/intake/forms/${f.key}`, allowedOrigins: f.allowedOrigins, fieldMapping: f.fieldMapping,
  defaultInquiryType: f.defaultInquiryType, inquiryTypeValues: f.inquiryTypeValues, consentFields: f.consentFields, consentTexts: f.consentTexts, consentTextsVersion: f.consentTextsVersion, notifyEmail: f.notifyEmail, honeypotField: f.honeypotField, minFillSeconds: f.minFillSeconds, thankYouUrl: f.thankYouUrl, embedScript: `/api/intake/forms/${f.key}/embed.js`,
  archivedAt: f.archivedAt, createdAt: f.createdAt, updatedAt: f.updatedAt,
});

/**
 * What makes two posts the same post: the sender's Idempotency-Key when given, else what was
 * sent (`sent`, the content hash). Hashed: the key table holds nothing of the post.
 */
function postKey(submission: Submission, sent: Buffer): Buffer {
  const given = submission.idempotencyKey;
  return given ? createHash('sha256').update(`key:${given}`).digest() : sent;
}

/** What a post sent (its fields in a stable order), hashed: a key reused with other content is no retry. */
function contentHash(fields: SubmittedFields): Buffer {
  return createHash('sha256').update(`body:${JSON.stringify(Object.keys(fields).sort().map((k) => [k, fields[k]]))}`).digest();
}

/** Fields a post may carry beyond the form's own: bot traps, a render token, a site builder's hidden fields. */
const EXTRA_FIELDS = 30;

/** Flat fields only: a website form has no nesting. Scalars become the strings a form would send. */
function toFields(body: unknown): SubmittedFields {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new ProblemException(422, 'Send the form fields as an object of field names to values.');
  }
  const fields: SubmittedFields = {};
  for (const [name, value] of Object.entries(body as Record<string, unknown>)) {
    const scalar = (v: unknown) => (v === null || v === undefined ? '' : typeof v === 'object' ? undefined : String(v));
    const converted = Array.isArray(value) ? value.map(scalar) : scalar(value);
    if (converted === undefined || (Array.isArray(converted) && converted.includes(undefined))) {
      throw new ProblemException(422, 'Form fields must be plain values.', { errors: [{ field: name, message: 'must be a text, number or yes/no value' }] });
    }
    fields[name] = converted as string | string[];
  }
  return fields;
}

/** Web forms: registered by admins, posted to by the website (in the browser, or signed by a relay). */
@Injectable()
export class IntakeFormsService {
  /**
   * Live forms by key, briefly cached: every submission and CORS preflight needs its form. A
   * change made here applies at once; one made through another instance within FORM_CACHE_MS.
   */
  private readonly formCache = new Map<string, { form: IntakeForm | null; until: number }>();

  constructor(
    private readonly forms: IntakeFormsRepository,
    private readonly leads: LeadsService,
    private readonly users: UsersService,
    private readonly notifications: NotificationsService,
    private readonly screening: ScreeningService,
    private readonly audit: AuditService,
    private readonly apiKeys: ApiKeysService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async create(actor: Actor, dto: CreateIntakeFormDto): Promise<CreatedIntakeFormView> {
    const form = { inquiryTypeValues: {}, consentFields: {}, consentTexts: {}, consentTextsVersion: 1, allowedOrigins: [], notifyEmail: null, honeypotField: null, minFillSeconds: null, thankYouUrl: null, ...definedOnly(dto), signingSecret: randomBytes(32).toString('base64url') };
    this.assertValid(form);
    return this.forms.transaction(async (tx) => {
      const row = await this.forms.insert(tx, form);
      if (!row) throw new ProblemException(409, 'A form with this key already exists.', { errors: [{ field: 'key', message: 'already in use' }] });
      await this.audit.record(actor, { action: 'intake_form.created', entityType: 'intake_form', entityId: row.id, after: { ...toView(row) } }, tx);
      return { ...toView(row), signingSecret: form.signingSecret };
    });
  }

  async list(): Promise<IntakeFormView[]> {
    return (await this.forms.list()).map(toView);
  }

  async get(id: string): Promise<IntakeFormView> {
    const form = await this.forms.findById(id);
    if (!form) throw new NotFoundException('There is no such form.');
    const [counts] = await this.screening.trapCounts([id]);
    return { ...toView(form), lastDay: { posts: counts?.posts ?? 0, heldForTrap: counts?.heldForTrap ?? 0, byReason: counts?.byReason ?? {} } };
  }

  /**
   * Once a day: each live form that held more than half of its last day's posts for a bot trap
   * is reported to the admins by e-mail (a site that lost its render token, a relay without its
   * key), so a broken integration is seen in hours, not months. Returns the forms reported.
   */
  async reportTrappedForms(): Promise<string[]> {
    const [counts, all] = await runAsSystem('trapped forms report', () => Promise.all([this.screening.trapCounts(null), this.forms.list()]));
    const forms = new Map(all.filter((f) => !f.archivedAt).map((f) => [f.id, f]));
    const trapped = counts.filter((c) => forms.has(c.formId) && c.heldForTrap * 2 > c.posts);
    if (!trapped.length) return [];
    const admins = await this.users.activeEmailsWith('admin');
    await this.notifications.trappedForms(admins, trapped.map((c) => ({ name: forms.get(c.formId)!.name, key: forms.get(c.formId)!.key, ...c })));
    return trapped.map((c) => forms.get(c.formId)!.key);
  }

  async update(actor: Actor, id: string, dto: UpdateIntakeFormDto): Promise<IntakeFormView> {
    return this.afterCommit(this.forms.transaction(async (tx) => {
      const before = await this.forms.findById(id, tx);
      if (!before) throw new NotFoundException('There is no such form.');
      const changes = definedOnly(dto) as Partial<IntakeForm>;
      this.assertValid({ ...before, ...changes });
      if (changes.consentTexts && JSON.stringify(changes.consentTexts) !== JSON.stringify(before.consentTexts)) changes.consentTextsVersion = before.consentTextsVersion + 1;
      await this.forms.update(tx, id, changes);
      const after = (await this.forms.findById(id, tx))!;
      await this.audit.record(actor, { action: 'intake_form.updated', entityType: 'intake_form', entityId: id, before: { ...toView(before) }, after: { ...toView(after) } }, tx);
      return toView(after);
    }));
  }

  /** Archived forms refuse submissions; their captures keep pointing at them. */
  async archive(actor: Actor, id: string): Promise<IntakeFormView> {
    return this.afterCommit(this.forms.transaction(async (tx) => {
      const before = await this.forms.findById(id, tx);
      if (!before) throw new NotFoundException('There is no such form.');
      if (!before.archivedAt) await this.forms.update(tx, id, { archivedAt: new Date() });
      const after = (await this.forms.findById(id, tx))!;
      await this.audit.record(actor, { action: 'intake_form.archived', entityType: 'intake_form', entityId: id, before: { archivedAt: before.archivedAt }, after: { archivedAt: after.archivedAt } }, tx);
      return toView(after);
    }));
  }

  /** The cached form is dropped once the change has committed, so no request can cache the old one again. */
  private async afterCommit(change: Promise<IntakeFormView>): Promise<IntakeFormView> {
    const form = await change;
    this.formCache.delete(form.key);
    return form;
  }

  /** For CORS: the origins a form accepts browser posts from (none for an unknown form). */
  async allowedOrigins(key: string): Promise<string[]> {
    return (await this.liveForm(key))?.allowedOrigins ?? [];
  }

  private async liveForm(key: string): Promise<IntakeForm | null> {
    const cached = this.formCache.get(key);
    if (cached && cached.until > Date.now()) return cached.form;
    const form = await this.forms.findLiveByKey(key);
    if (this.formCache.size > 1000) this.formCache.clear(); // keys come from URLs: keep a flood of made-up ones from growing it
    this.formCache.set(key, { form, until: Date.now() + FORM_CACHE_MS });
    return form;
  }

  /**
   * A website submission: checked (origin or signature, fields, age), then person, capture,
   * consents, timeline and audit commit in one transaction before the 202 is sent. The
   * notification follows and never holds up or fails the answer. Runs as the system: a public
   * arrival must find its person whoever they are, an active customer's contact included.
   */
  submit(actor: Actor, key: string, submission: Submission): Promise<SubmissionAcceptedView> {
    return runAsSystem('web form intake', () => this.screenAndStore(actor, key, submission));
  }

  private async screenAndStore(actor: Actor, key: string, submission: Submission): Promise<SubmissionAcceptedView> {
    const form = await this.liveForm(key);
    if (!form) throw new NotFoundException('There is no such form.');
    const relay = await this.authorise(form, submission);

    // Far more fields than the form has is not a visitor's post: refused before anything reads them.
    const room = Object.keys(form.fieldMapping).length + Object.keys(form.consentFields).length + EXTRA_FIELDS;
    const given = submission.body && typeof submission.body === 'object' ? Object.keys(submission.body).length : 0;
    if (given > room) throw new ProblemException(413, `The submission has ${given} fields; this form takes at most ${room}.`);
    const fields = toFields(submission.body);
    const { mapped, errors } = mapSubmission(form, fields, this.config.DEFAULT_PHONE_REGION, new Date());
    if (mapped.age) this.leads.assertOldEnough(mapped.age.years, mapped.age.field);
    if (errors.length) throw new ProblemException(422, 'Some fields are missing or invalid; nothing was stored.', { errors });

    const id = randomUUID();
    const sent = contentHash(fields);
    const postHash = postKey(submission, sent);
    try {
      // Per-visitor limits and screening see the visitor, not the relay's server.
      const visitor = relay?.visitorIp ? { ...actor, ip: relay.visitorIp } : actor;
      return await this.take(visitor, form, submission, { id, fields, mapped, postHash, sent, relay: relay && { timeOnPageSeconds: relay.timeOnPageSeconds ?? cf7TimeOnPage(fields) } });
    } catch (err) {
      // Refused after its key was claimed: the key is free again for a later post. A failure of
      // ours keeps it, and the claim is taken over after a minute if the arrival never settled.
      if (err instanceof HttpException && err.getStatus() < 500 && err.getStatus() !== 429) await this.screening.releasePostKey(form.id, postHash, id);
      throw err;
    }
  }

  private async take(
    actor: Actor,
    form: IntakeForm,
    submission: Submission,
    { id, fields, mapped, postHash, sent, relay }: { id: string; fields: SubmittedFields; mapped: MappedSubmission; postHash: Buffer; sent: Buffer; relay: FormTraps['relay'] | null },
  ): Promise<SubmissionAcceptedView> {
    // Kept as received before any rule runs; a rule can hold it, never lose it. A retry of a post
    // already taken (same key, or the same fields, within 24 hours) gets the first reference.
    const textual = submission.rawBody && /json|x-www-form-urlencoded/.test(submission.contentType ?? '');
    const raw = textual ? storable(submission.rawBody!.toString('utf8')) : null;
    const name = [mapped.person.firstName, mapped.person.lastName].filter(Boolean).join(' ');
    const text = mapped.request ?? '';
    const arrival = await this.screening.receivePost(
      { id, channel: 'web_form', formId: form.id, contentType: submission.contentType, rawBody: raw, fields, ip: actor.ip, senderEmail: mapped.person.email ?? null, postKey: postHash, contentHash: sent },
      text,
    );
    if ('first' in arrival) {
      // The first reference for other content would tell the sender it was taken while it was
      // dropped. A key claimed before hashes were kept (null) is taken as the same post.
      if (arrival.firstContentHash && !arrival.firstContentHash.equals(sent)) {
        throw new ProblemException(422, 'This Idempotency-Key was used with a different request within the last 24 hours; send a new key for new content (a retry must repeat the first request exactly).', {
          errors: [{ field: 'Idempotency-Key', message: 'was used with a different request' }],
        });
      }
      return { reference: arrival.first, status: 'accepted' };
    }
    const { receivedAt, nearCopies, bySender } = arrival;
    const sender = { email: mapped.person.email, phone: mapped.person.phone, skype: mapped.person.skypeId, ip: actor.ip };
    const verdict = await this.screening.judge({ sender, name, text, fields, freeText: freeTextOf(form, fields), channel: 'web_form' }, relay ? { ...form, relay } : form, nearCopies, receivedAt, bySender);

    if (verdict.outcome === 'clean') {
      const notify = await this.accept(actor, form, { id, receivedAt, fields, mapped, contentType: submission.contentType, rawBody: raw }, { status: 'accepted', verdict });
      void notify();
    } else {
      await this.screening.setAside(id, verdict); // held for review, or (blocked) only the attempt kept
    }
    // The same answer whatever the verdict: no oracle for spammers.
    return { reference: id, status: 'accepted' };
  }

  /** A submission that passed screening, or that a person released: it becomes a capture with the submission's id. */
  async accept(
    actor: Actor,
    form: IntakeForm,
    s: { id: string; receivedAt: Date; fields: SubmittedFields; mapped: MappedSubmission; contentType: string | null; rawBody: string | null },
    outcome: { status: 'accepted' | 'released'; verdict: Verdict },
    tx?: EntityManager,
  ): Promise<() => Promise<void>> {
    const input: NewCapture = {
      source: 'web_form',
      sourceRef: form.key,
      formId: form.id,
      receivedAt: s.receivedAt,
      contentType: s.contentType,
      rawBody: s.rawBody,
      payload: s.fields,
      person: s.mapped.person,
      request: s.mapped.request,
      inquiryType: s.mapped.inquiryType,
      consents: s.mapped.consents,
      consentWording: s.mapped.consentWording,
      warnings: s.mapped.warnings,
      submission: { id: s.id, ...outcome },
    };
    // A release commits with its decision; a submission that passed joins the arrivals of the same moment.
    const result = tx ? await this.leads.capture(actor, input, tx) : await this.leads.captureSoon(actor, input);
    // The notification, for the caller to send once everything has committed.
    return () => this.notify(form, result.person.id, s.mapped, result.person.ownerId);
  }

  /** Post keys older than the 24 hours they protect (with the daily quarantine purge). */
  purgePostKeys(): Promise<number> {
    return runAsSystem('post key purge', () => this.screening.purgePostKeys());
  }

  /** Where a plain HTML post of this form is sent afterwards, if the form names a page. */
  async thankYouUrl(key: string): Promise<string | null> {
    return (await this.liveForm(key))?.thankYouUrl ?? null;
  }

  /**
   * The script a site includes to post a form here without writing any: it points the form marked
   * `data-crm-form="{key}"` at this service and fills the render token when the page loads (so the
   * fill-time check works); the browser then posts as usual and, with a thank-you URL, lands there.
   */
  async embedScript(key: string): Promise<string> {
    const form = await this.liveForm(key);
    if (!form) throw new NotFoundException('There is no such form.');
    // The script runs on the customer's site, so a relative URL would post there, and the Host
    // header is the sender's to choose (a shared cache would hand a forged one to every visitor).
    // So: PUBLIC_BASE_URL when set, else the address the browser loaded this script from
    // (document.currentScript), which is this service as the visitor reaches it. Nothing of the
    // request goes into the script, so it is the same for every caller and safe to cache.
    const base = this.config.PUBLIC_BASE_URL ? `${this.config.PUBLIC_BASE_URL.replace(/\/+$/, '')}/api/intake/forms/${encodeURIComponent(form.key)}` : null;
    return `(function () {
  var key = ${JSON.stringify(form.key)}, src = document.currentScript && document.currentScript.src.split('#')[0].split('?')[0];
  var path = ${JSON.stringify(base)} || (src ? src.slice(0, src.lastIndexOf('/')) : null);
  if (!path) return;
  function arm(form) {
    form.setAttribute('action', path);
    form.setAttribute('method', 'post');
    fetch(path + '/render-token', { credentials: 'omit' }).then(function (r) { return r.json(); }).then(function (t) {
      var input = form.querySelector('input[name="' + t.field + '"]') || document.createElement('input');
      input.type = 'hidden'; input.name = t.field; input.value = t.token;
      form.appendChild(input);
    });
  }
  function start() { Array.prototype.forEach.call(document.querySelectorAll('form[data-crm-form="' + key + '"]'), arm); }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start); else start();
})();
`;
  }

  /** For the page to embed when it renders the form (its minimum fill time is measured from it). */
  async renderToken(key: string): Promise<{ field: string; token: string }> {
    const form = await this.liveForm(key);
    if (!form) throw new NotFoundException('There is no such form.');
    return { field: RENDER_TOKEN_FIELD, token: this.screening.renderToken(form) };
  }

  /**
   * Processes a held submission a person released, inside the decision's transaction, as the
   * person who sent it (the consent they gave is theirs, not the reviewer's).
   */
  async reprocess(submissionId: string, verdict: Verdict, tx: EntityManager): Promise<() => Promise<void>> {
    const s = await this.screening.submission(submissionId, tx);
    if (!s?.formId) throw new NotFoundException('There is no such submission.');
    const form = await this.forms.findById(s.formId, tx);
    if (!form) throw new NotFoundException('The submission’s form no longer exists.');
    const fields = s.fields as SubmittedFields;
    const { mapped, errors } = mapSubmission(form, fields, this.config.DEFAULT_PHONE_REGION, s.receivedAt);
    if (errors.length) throw new ProblemException(422, 'The submission no longer fits its form’s mapping; it stays held.', { errors });
    const sender: Actor = { type: 'anonymous', id: null, roles: [], requestId: null, ip: s.ip };
    return this.accept(sender, form, { id: s.id, receivedAt: s.receivedAt, fields, mapped, contentType: s.contentType, rawBody: s.rawBody }, { status: 'released', verdict }, tx);
  }

  /**
   * Tells staff about the lead, read as it is now (after the commit): an active customer's person
   * only to that customer's account managers (6.2(8)), a restricted person to no one (9.4). Read
   * as the system, whoever released the arrival: the reviewer may not see the customer.
   */
  private async notify(form: IntakeForm, personId: string, mapped: MappedSubmission, ownerId: string | null): Promise<void> {
    // Without a mail server nobody is told: no need to ask who would be (a query per submission).
    const audience = this.notifications.sending
      ? await runAsSystem('new-lead notification', () => this.leads.notificationAudience(personId)).catch(() => null)
      : { restricted: false, customerCompanyId: null, accountManagerEmails: [] };
    if (!audience) return; // gone (erased or merged) since it was stored: no one to tell about it
    const owner = ownerId && !audience.customerCompanyId ? await this.users.get(ownerId).catch(() => null) : null;
    await this.notifications.newLead({
      personId,
      personName: [mapped.person.firstName, mapped.person.lastName].filter(Boolean).join(' '),
      company: mapped.person.companyName ?? null,
      formName: form.name,
      request: mapped.request,
      ownerEmail: owner?.active ? owner.email : form.notifyEmail,
      restricted: audience.restricted,
      accountManagerEmails: audience.customerCompanyId ? audience.accountManagerEmails : null,
    });
  }

  /**
   * Who may post: the form's website (its registered origin), its relay signing the body
   * (X-Signature: HMAC-SHA256 of the raw body, hex, optionally `sha256=`-prefixed), or its relay
   * holding an API key scoped to this form (X-Api-Key). A relay's
   * visitor headers count only with the key. Returns the relay, for a key.
   */
  private async authorise(form: IntakeForm, submission: Submission): Promise<Relay | null> {
    if (submission.apiKey) {
      const key = await this.apiKeys.authenticate(submission.apiKey);
      if (!key) throw new UnauthorizedException('The X-Api-Key is not a valid key.');
      if (key.channel !== 'web_form' || key.formId !== form.id) throw new ForbiddenException('This API key is not for this form.');
      const seconds = submission.visitorTimeOnPage != null && /^\d{1,7}(\.\d{1,3})?$/.test(submission.visitorTimeOnPage.trim()) ? Number(submission.visitorTimeOnPage) : null;
      // Not a plain address (a list, a port, junk): absent, so the relay's own address counts; never a 500 at the inet column.
      return { visitorIp: plainIp(submission.visitorIp), timeOnPageSeconds: seconds };
    }
    if (submission.signature !== null) {
      const given = Buffer.from(submission.signature.replace(/^sha256=/, ''), 'hex');
      const expected = createHmac('sha256', form.signingSecret).update(submission.rawBody ?? Buffer.alloc(0)).digest();
      if (!submission.rawBody || given.length !== expected.length || !timingSafeEqual(given, expected)) {
        throw new UnauthorizedException('The X-Signature does not match the body (HMAC-SHA256 of the raw JSON or url-encoded body, hex).');
      }
      return null;
    }
    if (!submission.origin || !form.allowedOrigins.includes(submission.origin)) {
      throw new ForbiddenException('This form accepts submissions from its website, or from its relay (X-Signature, or an X-Api-Key for this form).');
    }
    return null;
  }

  private assertValid(form: Pick<IntakeForm, 'fieldMapping' | 'inquiryTypeValues' | 'consentFields' | 'consentTexts'>): void {
    const errors = mappingErrors(form);
    if (errors.length) throw new ProblemException(422, 'The form’s mapping is not usable; see errors.', { errors });
  }
}

// Fields screening reads elsewhere (name, request) or that hold no words of the sender's (address, phone, dates, consents).
const NOT_FREE_TEXT = new Set(['name', 'firstName', 'lastName', 'request', 'email', 'phone', 'age', 'birthDate', 'inquiryType', 'skypeId']);

/** Every other free text the sender typed: company, position, location, custom fields (not the bot traps). */
function freeTextOf(form: IntakeForm, fields: SubmittedFields): Record<string, string> {
  const traps = new Set([form.honeypotField, RENDER_TOKEN_FIELD, ...Object.keys(form.consentFields)]);
  const out: Record<string, string> = {};
  for (const [field, raw] of Object.entries(fields)) {
    if (traps.has(field) || CF7_FIELD.test(field) || NOT_FREE_TEXT.has(form.fieldMapping[field] ?? '')) continue;
    const value = (Array.isArray(raw) ? raw : [raw]).join(' ').trim();
    if (value) out[field] = value;
  }
  return out;
}

/** Contact Form 7 with Akismet says when the page's script ran: the visitor's time on page, if it reads as one. */
function cf7TimeOnPage(fields: SubmittedFields): number | null {
  const ran = Number(fields[CF7_SCRIPT_TIME]);
  if (!Number.isFinite(ran) || ran <= 0) return null;
  const seconds = (Date.now() - ran) / 1000;
  return seconds >= 0 && seconds < 86_400 ? seconds : null;
}

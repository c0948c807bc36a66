import { ForbiddenException, Inject, Injectable, NotFoundException, UnauthorizedException } from '@nestjs/common';
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { AuditService } from '../../audit/audit.service';
import { UsersService } from '../../auth/users.service';
import type { Actor } from '../../common/actor';
import { ProblemException } from '../../common/problem-details';
import { definedOnly } from '../../common/validation';
import type { AppConfig } from '../../config/app-config';
import { APP_CONFIG } from '../../config/config.module';
import { LeadsService } from '../../leads/leads.service';
import { NotificationsService } from '../../notifications/notifications.service';
import type { CreatedIntakeFormView, CreateIntakeFormDto, IntakeFormView, SubmissionAcceptedView, UpdateIntakeFormDto } from './dto/intake-form.dto';
import type { IntakeForm } from './entities/intake-form.entity';
import { mappingErrors, mapSubmission, type SubmittedFields } from './form-mapping';
import { IntakeFormsRepository } from './intake-forms.repository';

const FORM_CACHE_MS = 5_000;

export interface Submission {
  contentType: string | null;
  /** The body bytes as received, for JSON and url-encoded bodies (multipart is streamed). */
  rawBody: Buffer | null;
  body: unknown;
  origin: string | null;
  signature: string | null;
}

const toView = (f: IntakeForm): IntakeFormView => ({
  id: f.id, key: f.key, name: f.name, submitPath: `/api/intake/forms/${f.key}`, allowedOrigins: f.allowedOrigins, fieldMapping: f.fieldMapping,
  defaultInquiryType: f.defaultInquiryType, inquiryTypeValues: f.inquiryTypeValues, consentFields: f.consentFields, notifyEmail: f.notifyEmail,
  archivedAt: f.archivedAt, createdAt: f.createdAt, updatedAt: f.updatedAt,
});

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
    private readonly audit: AuditService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async create(actor: Actor, dto: CreateIntakeFormDto): Promise<CreatedIntakeFormView> {
    const form = { inquiryTypeValues: {}, consentFields: {}, allowedOrigins: [], notifyEmail: null, ...definedOnly(dto), signingSecret: randomBytes(32).toString('base64url') };
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
    return toView(form);
  }

  async update(actor: Actor, id: string, dto: UpdateIntakeFormDto): Promise<IntakeFormView> {
    return this.forms.transaction(async (tx) => {
      const before = await this.forms.findById(id, tx);
      if (!before) throw new NotFoundException('There is no such form.');
      const changes = definedOnly(dto) as Partial<IntakeForm>;
      this.assertValid({ ...before, ...changes });
      await this.forms.update(tx, id, changes);
      const after = (await this.forms.findById(id, tx))!;
      await this.audit.record(actor, { action: 'intake_form.updated', entityType: 'intake_form', entityId: id, before: { ...toView(before) }, after: { ...toView(after) } }, tx);
      this.formCache.delete(after.key);
      return toView(after);
    });
  }

  /** Archived forms refuse submissions; their captures keep pointing at them. */
  async archive(actor: Actor, id: string): Promise<IntakeFormView> {
    return this.forms.transaction(async (tx) => {
      const before = await this.forms.findById(id, tx);
      if (!before) throw new NotFoundException('There is no such form.');
      if (!before.archivedAt) await this.forms.update(tx, id, { archivedAt: new Date() });
      const after = (await this.forms.findById(id, tx))!;
      await this.audit.record(actor, { action: 'intake_form.archived', entityType: 'intake_form', entityId: id, before: { archivedAt: before.archivedAt }, after: { archivedAt: after.archivedAt } }, tx);
      this.formCache.delete(after.key);
      return toView(after);
    });
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
   * notification follows and never holds up or fails the answer.
   */
  async submit(actor: Actor, key: string, submission: Submission): Promise<SubmissionAcceptedView> {
    const receivedAt = new Date();
    const form = await this.liveForm(key);
    if (!form) throw new NotFoundException('There is no such form.');
    this.authorise(form, submission);

    const fields = toFields(submission.body);
    const { mapped, errors } = mapSubmission(form, fields, this.config.DEFAULT_PHONE_REGION, receivedAt);
    if (mapped.age) this.leads.assertOldEnough(mapped.age.years, mapped.age.field);
    if (errors.length) throw new ProblemException(422, 'Some fields are missing or invalid; nothing was stored.', { errors });

    const textual = submission.rawBody && /json|x-www-form-urlencoded/.test(submission.contentType ?? '');
    const result = await this.leads.capture(actor, {
      source: 'web_form',
      sourceRef: form.key,
      formId: form.id,
      receivedAt,
      contentType: submission.contentType,
      rawBody: textual ? submission.rawBody!.toString('utf8') : null,
      payload: fields,
      person: mapped.person,
      request: mapped.request,
      inquiryType: mapped.inquiryType,
      consents: mapped.consents,
    });
    void this.notify(form, result.person.id, mapped, result.person.ownerId);
    return { reference: result.captureId, status: 'accepted' };
  }

  private async notify(form: IntakeForm, personId: string, mapped: ReturnType<typeof mapSubmission>['mapped'], ownerId: string | null): Promise<void> {
    const owner = ownerId ? await this.users.get(ownerId).catch(() => null) : null;
    await this.notifications.newLead({
      personId,
      personName: [mapped.person.firstName, mapped.person.lastName].filter(Boolean).join(' '),
      company: mapped.person.companyName ?? null,
      formName: form.name,
      request: mapped.request,
      ownerEmail: owner?.active ? owner.email : form.notifyEmail,
    });
  }

  /** A relay signs the raw body (HMAC-SHA256, hex, optionally `sha256=`-prefixed); a browser must come from a registered origin. */
  private authorise(form: IntakeForm, submission: Submission): void {
    if (submission.signature !== null) {
      const given = Buffer.from(submission.signature.replace(/^sha256=/, ''), 'hex');
      const expected = createHmac('sha256', form.signingSecret).update(submission.rawBody ?? Buffer.alloc(0)).digest();
      if (!submission.rawBody || given.length !== expected.length || !timingSafeEqual(given, expected)) {
        throw new UnauthorizedException('The X-Signature does not match the body (HMAC-SHA256 of the raw JSON or url-encoded body, hex).');
      }
      return;
    }
    if (!submission.origin || !form.allowedOrigins.includes(submission.origin)) {
      throw new ForbiddenException('This form accepts submissions from its website, or signed by its relay (X-Signature).');
    }
  }

  private assertValid(form: Pick<IntakeForm, 'fieldMapping' | 'inquiryTypeValues' | 'consentFields'>): void {
    const errors = mappingErrors(form);
    if (errors.length) throw new ProblemException(422, 'The form’s mapping is not usable; see errors.', { errors });
  }
}

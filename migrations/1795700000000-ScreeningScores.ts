import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Screening by scores: each rule has a weight; the learner's counts from the firm's own review
 * decisions (a release is ham, "spam" is spam) live here so every instance uses one model.
 * Words are kept as hashes, never as text, and with no link to the message they came from;
 * screening_lesson only records which submissions were learned, so none is learned twice.
 */
const MONEY = String.raw`(starting at|from only|for just|only)\s?\$\s?\d`;

/** [kind, pattern, tag] of the shipped rules dropped, and why (hits on the training split: spam caught / ham held). */
const DROPPED: [string, string, string][] = [
  ['phrase', 'legal action', 'misleading'], // 1 / 1
  ['word', 'widow', 'misleading'], // 2 / 2
  ['phrase', 'first page', 'spam'], // 0 / 1
  ['word', 'hookup', 'spam'], // 0 / 1
  ['phrase', 'without prescription', 'spam'], // 0 / 1
  ['word', 'dmca', 'misleading'], // 0 / 3
  // Everyday business words that held real inquiries:
  ['phrase', 'decision makers', 'spam'],
  ['phrase', 'working capital', 'spam'],
  ['phrase', 'annual fee', 'misleading'],
  ['phrase', 'your homepage', 'spam'],
  // A rate ("$150/hr") is what a freelancer or a buyer writes:
  ['regex', String.raw`\$\s?\d+\s?(/|per\s)\s?h(ou)?r`, 'spam'],
];

export class ScreeningScores1795700000000 implements MigrationInterface {
  name = 'ScreeningScores1795700000000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "screening_rule" ADD "weight" real NOT NULL DEFAULT 0.5`);
    // Shipped rules that did not earn their place: on the training split (easy-ham-1, spam-1, read
    // as the mail channel reads them) they held as much ham as they caught spam, or they are
    // everyday business words and money amounts real inquiries use (issue 15). Only the shipped
    // ones (no author) go; a rule staff added stays.
    await q.query(`DELETE FROM "screening_rule" WHERE "created_by" IS NULL AND ("kind", "pattern") IN (SELECT * FROM unnest($1::text[], $2::text[]))`, [DROPPED.map((r) => r[0]), DROPPED.map((r) => r[1])]);
    // A money amount after "only" caught 62 spam and no ham on the training split, but a budget
    // ("only $40,000") is a real inquiry's words too: a weak signal, never a hold alone.
    await q.query(`UPDATE "screening_rule" SET "weight" = 0.3 WHERE "created_by" IS NULL AND "kind" = 'regex' AND "pattern" = $1`, [MONEY]);
    await q.query(`CREATE TABLE "screening_lesson" ("submission_id" uuid NOT NULL, "label" text NOT NULL, "learned_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
      CONSTRAINT "screening_lesson_label_check" CHECK (label IN ('spam','ham')), CONSTRAINT "PK_screening_lesson" PRIMARY KEY ("submission_id"))`);
    await q.query(`CREATE SEQUENCE "screening_learned_word_seq"`);
    await q.query(`CREATE TABLE "screening_learned_word" ("key" text NOT NULL, "spam" integer NOT NULL DEFAULT 0, "ham" integer NOT NULL DEFAULT 0, "seq" bigint NOT NULL,
      "changed_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_screening_learned_word" PRIMARY KEY ("key"))`);
    await q.query(`CREATE INDEX "screening_learned_word_seq_idx" ON "screening_learned_word" ("seq")`);
    await q.query(`CREATE INDEX "screening_learned_word_changed_idx" ON "screening_learned_word" ("changed_at")`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`INSERT INTO "screening_rule" ("kind", "pattern", "tag") SELECT * FROM unnest($1::text[], $2::text[], $3::text[])`, [DROPPED.map((r) => r[0]), DROPPED.map((r) => r[1]), DROPPED.map((r) => r[2])]);
    await q.query(`DROP TABLE "screening_learned_word"`);
    await q.query(`DROP SEQUENCE "screening_learned_word_seq"`);
    await q.query(`DROP TABLE "screening_lesson"`);
    await q.query(`ALTER TABLE "screening_rule" DROP COLUMN "weight"`);
  }
}

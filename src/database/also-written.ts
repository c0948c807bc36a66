/**
 * A channel's own rows for each capture, written in leads' capture statement (one round trip):
 * CTEs over `e`, the batch's captures in order (`n` from 1, with `capture_id` and `person_id`).
 * `name` tells the statement's shape apart; `ctes` takes the statement's parameter function.
 */
export interface AlsoWritten {
  name: string;
  ctes(param: (value: unknown) => string): string[];
}

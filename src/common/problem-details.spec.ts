import { BadRequestException, ServiceUnavailableException } from '@nestjs/common';
import { QueryFailedError } from 'typeorm';
import { ProblemException, sendProblem, toProblem } from './problem-details';
import type { Logger } from '@nestjs/common';
import type { FastifyReply } from 'fastify';

describe('problem documents', () => {
  it('keeps field errors and extensions, and the instance path', () => {
    const p = toProblem(new ProblemException(422, 'Fix these.', { errors: [{ field: 'email', message: 'bad' }] }), '/api/x');
    expect(p).toEqual({ type: 'about:blank', title: 'Unprocessable Entity', status: 422, detail: 'Fix these.', instance: '/api/x', errors: [{ field: 'email', message: 'bad' }] });
    expect(toProblem(new ServiceUnavailableException({ status: 'error', details: { db: 'down' } }))).toMatchObject({ status: 503, details: { db: 'down' } });
    expect(toProblem(new BadRequestException('Nope'))).toMatchObject({ status: 400, detail: 'Nope' });
  });

  it('a unique violation is a 409 and a data exception a 400; anything else unexpected is a 500 that tells nothing', () => {
    const sqlError = (code: string) => new QueryFailedError('SELECT 1', [], Object.assign(new Error('duplicate key value violates unique constraint; Key (email)=(kari@example.no)'), { code }));
    expect(toProblem(sqlError('23505'))).toMatchObject({ status: 409 });
    expect(toProblem(sqlError('22P02'))).toMatchObject({ status: 400 });
    const internal = toProblem(sqlError('XX000'));
    expect(internal.status).toBe(500);
    expect(JSON.stringify(internal)).not.toContain('kari@example.no');
    expect(toProblem(new TypeError('x is undefined')).detail).not.toContain('undefined');
  });

  it('a database that is down, restarting or stalled is a 503 with Retry-After, never a 500', () => {
    const sqlError = (code: string) => new QueryFailedError('SELECT 1', [], Object.assign(new Error('x'), { code }));
    for (const code of ['57P01', '57P03', '08006', '57014', '53300']) expect(toProblem(sqlError(code))).toMatchObject({ status: 503, retryAfterSeconds: 5 });
    expect(toProblem(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }))).toMatchObject({ status: 503 });
    expect(toProblem(new Error('timeout exceeded when trying to connect'))).toMatchObject({ status: 503 });
    expect(toProblem(new Error('Connection terminated unexpectedly'))).toMatchObject({ status: 503 });
  });

  it('a 503 of our own is logged for what it is, not as the database being away', () => {
    const warnings: string[] = [];
    const logger = { warn: (m: string) => warnings.push(m), error: () => undefined } as unknown as Logger;
    const reply = { header: () => reply, status: () => reply, send: () => reply } as unknown as FastifyReply;
    const unset = new ProblemException(503, 'The chatbot webhook is not configured: DRIFT_VERIFICATION_TOKEN must be set.');
    sendProblem(reply, toProblem(unset), logger, unset);
    const down = Object.assign(new Error('x'), { code: 'ECONNREFUSED' });
    sendProblem(reply, toProblem(down), logger, down);
    expect(warnings).toEqual(['Unavailable: The chatbot webhook is not configured: DRIFT_VERIFICATION_TOKEN must be set.', 'Database unavailable: ECONNREFUSED']);
  });
});

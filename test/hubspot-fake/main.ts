/**
 * Runs the fake HubSpot on its own, for local demos: `npm run hubspot:fake`.
 *
 *   PORT                 port to listen on (default 4010)
 *   HOST                 address to listen on (default 127.0.0.1)
 *   RATE_LIMIT_PER_10S   requests per rolling ten seconds (default 100)
 *   RATE_LIMIT_DAILY     requests per UTC day (default 250000)
 *   HUBSPOT_FAKE_QUIET   set to 1 to stop logging one line per request
 *
 * Point the app at it with the printed URL as the client's `basePath` (any bearer token is accepted).
 * Faults can be injected while it runs, e.g.:
 *   curl -X POST localhost:4010/__fake/faults -H 'content-type: application/json' -d '{"failNext":3,"failStatus":503}'
 *   curl -X POST localhost:4010/__fake/faults -d '{"delayNext":1,"delayMs":5000}'
 *   curl -X POST localhost:4010/__fake/faults -d '{"failEmail":"someone@example.com","failEmailMessage":"nope"}'
 *   curl -X POST localhost:4010/__fake/faults -d '{"perTenSeconds":5}'
 *   curl localhost:4010/__fake/state      (contacts, unsubscribed, purged, counters)
 *   curl -X POST localhost:4010/__fake/reset
 */
import { FakeHubSpot } from './fake-hubspot';

function intFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) {
    console.error(`${name} must be a non-negative integer; got ${JSON.stringify(raw)}`);
    process.exit(2);
  }
  return value;
}

async function main(): Promise<void> {
  const port = intFromEnv('PORT', 4010);
  const host = process.env.HOST || '127.0.0.1';
  const quiet = process.env.HUBSPOT_FAKE_QUIET === '1';
  const fake = new FakeHubSpot({
    rateLimit: { perTenSeconds: intFromEnv('RATE_LIMIT_PER_10S', 100), daily: intFromEnv('RATE_LIMIT_DAILY', 250_000) },
    controlRoutes: true,
    onRequest: quiet
      ? undefined
      : (e) => console.log(`${new Date(e.at).toISOString()} ${e.method} ${e.path} -> ${e.status === 0 ? 'dropped' : e.status}${e.faults.length ? ` [${e.faults.join(',')}]` : ''}`),
  });
  const { url } = await fake.start(port, host);
  console.log(`fake HubSpot listening on ${url}  (basePath: '${url}', any Bearer token; control routes under ${url}/__fake/)`);

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: stopping fake HubSpot`);
    fake.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        console.error(err);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});

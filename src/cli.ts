#!/usr/bin/env node
/**
 * Operator commands: `npm run cli -- users:create --email a@b.no --name "Kari" --role admin`.
 * The password is read from CRM_USER_PASSWORD when set (for scripts), otherwise prompted.
 */
import { NestFactory } from '@nestjs/core';
import { Command, Option } from 'commander';
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { validate } from 'class-validator';
import { plainToInstance } from 'class-transformer';
import { AppModule } from './app.module';
import { UsersService } from './auth/users.service';
import { CreateUserDto } from './auth/dto/user.dto';
import { ROLES } from './domain/roles';
import { SYSTEM_ACTOR } from './domain/actor';
import { loadEnvironment } from './config/app-config';
import { openDatabase } from './database/database';
import { localSecrets } from './database/embedded-postgres';
import { migrate } from './database/migrate';
import { prepareServiceRole } from './database/service-role';

function promptHidden(question: string): Promise<string> {
  let muted = false;
  const output = new Writable({
    write(chunk, _enc, done) {
      if (!muted) process.stdout.write(chunk);
      done();
    },
  });
  const rl = createInterface({ input: process.stdin, output, terminal: true });
  return new Promise((resolve) => {
    rl.question(question, (answer) => {
      rl.close();
      process.stdout.write('\n');
      resolve(answer);
    });
    muted = true;
  });
}

async function readPassword(): Promise<string> {
  if (process.env.CRM_USER_PASSWORD) return process.env.CRM_USER_PASSWORD;
  if (!process.stdin.isTTY) throw new Error('No terminal to prompt for the password: set CRM_USER_PASSWORD.');
  const first = await promptHidden('Password (12 characters or more): ');
  const second = await promptHidden('Repeat the password: ');
  if (first !== second) throw new Error('The passwords differ.');
  return first;
}

async function createUser(opts: { email: string; name?: string; role: string[] }): Promise<void> {
  const dto = plainToInstance(CreateUserDto, { email: opts.email, name: opts.name ?? opts.email.split('@')[0], roles: opts.role, password: await readPassword() });
  const errors = await validate(dto);
  if (errors.length) throw new Error(errors.flatMap((e) => Object.values(e.constraints ?? {})).join('\n'));

  const env = loadEnvironment(process.env);
  const database = await openDatabase(env, 'attach');
  try {
    await migrate(database.url);
    await prepareServiceRole(database.url, database.appUrl);
    const config = { ...env, LOG_LEVEL: 'silent', JOBS_ENABLED: false, databaseUrl: database.url, databaseAppUrl: database.appUrl, jwtSecret: env.JWT_SECRET ?? localSecrets(env.DATA_DIR).jwtSecret };
    const app = await NestFactory.createApplicationContext(AppModule.forRoot(config), { logger: false });
    try {
      const user = await app.get(UsersService).create(SYSTEM_ACTOR, dto);
      console.log(`Created ${user.roles.join(', ')} user ${user.email} (id ${user.id}).`);
    } finally {
      await app.close();
    }
  } finally {
    await database.stop();
  }
}

const program = new Command('cli').description('Operator commands for the lead-intake CRM');
program
  .command('users:create')
  .description('Create a staff user (the first admin, typically)')
  .requiredOption('--email <email>', 'their e-mail address, used to sign in')
  .option('--name <name>', 'their name (defaults to the e-mail local part)')
  .addOption(new Option('--role <role...>', 'one or more roles').choices([...ROLES]).makeOptionMandatory())
  .action(createUser);

program.parseAsync().catch((err) => {
  const detail = (err as { response?: { detail?: string } }).response?.detail;
  console.error(detail ?? (err instanceof Error ? err.message : String(err)));
  process.exitCode = 1;
});

import { Controller, Get, NotFoundException, Param, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Public } from '../access/decorators';
import { ProblemException } from '../common/problem-details';

/** Where the built console is: beside the sources (tests, `npm start`) or beside dist/ (the image). */
export const CONSOLE_DIR = [join(__dirname, '..', '..', 'console', 'dist'), join(__dirname, '..', '..', '..', 'console', 'dist')].find((dir) => existsSync(join(dir, 'index.html')));

/**
 * The staff console (a single-page app) at /console: its files are public, like any web page's
 * code; everything it shows comes from the API, behind the guard, with the user's own token. The
 * app routes in the URL's fragment (/console/#/persons/…), so the page is one file and its code
 * the hashed files under assets/: no other path is served, and no fallback is needed.
 */
@Controller('console')
@Public()
@ApiExcludeController()
export class ConsoleController {
  @Get()
  page(@Res() reply: FastifyReply): Promise<void> {
    return this.send(reply, 'index.html');
  }

  @Get('assets/:file')
  asset(@Param('file') file: string, @Res() reply: FastifyReply): Promise<void> {
    // One segment of the build's own names: nothing else under the folder is reachable.
    if (!/^[\w.-]+\.(js|css|svg|png|woff2?)$/.test(file) || !CONSOLE_DIR || !existsSync(join(CONSOLE_DIR, 'assets', file))) throw new NotFoundException('There is no such file.');
    return this.send(reply, `assets/${file}`);
  }

  private async send(reply: FastifyReply, file: string): Promise<void> {
    if (!CONSOLE_DIR) throw new ProblemException(503, 'The console is not built here: `npm start` builds it, or run `npm run build -w console`.');
    // Built files carry their content's hash in their names: cached for good. The page itself never is.
    void reply.header('cache-control', file === 'index.html' ? 'no-cache' : 'public, max-age=31536000, immutable');
    await reply.sendFile(file, CONSOLE_DIR);
  }
}

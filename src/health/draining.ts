import { Injectable } from '@nestjs/common';

/**
 * The service is stopping (SIGTERM): readiness answers 503 so the load balancer sends no new
 * requests, and every answer closes its connection, so no client reuses a connection the
 * server is about to close (the reset a client sees when it races an idle-connection close).
 */
@Injectable()
export class Draining {
  active = false;

  start(): void {
    this.active = true;
  }
}
